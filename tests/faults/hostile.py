"""Hostile text, as hypothesis strategies: what a person (or a forger) could put in any field."""

from __future__ import annotations

from hypothesis import strategies as st

# Slack's own syntax, broadcasts, escapes, quoting, injection-shaped text, control and format
# characters, and the words the flows react to.
TOKENS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123|team>",
    "<@U123>",
    "<@UBOB|bob>",
    "<#C123|general>",
    "<https://evil.example|x>",
    "<mailto:a@b.c|mail>",
    "&lt;",
    "&gt;",
    "&amp;",
    "&amp;lt;",
    "<",
    ">",
    "&",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\r\n",
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",
    "\u0301",  # a combining accent with nothing before it
    "مرحبا",
    "שלום",
    "👩🏽\u200d💻",
    '"',
    "'",
    "“",
    "`",
    "```",
    "\\",
    '{"f": "objectives", "s": "review", "v": 1, "x": "publish"}',
    "'; DROP TABLE goal; --",
    "1 OR 1=1",
    "%s%s%n",
    "{{ 7*7 }}",
    "{% raw %}",
    "*bold* _it_ ~s~",
    "done",
    "publish",
    "submit",
    "skip",
    "none",
    "yes",
    "no",
    "add",
    "back",
    "help",
    "edit 1 ",
    "remove 1",
    "retire 1",
    "1",
    "0",
    "-1",
    "99999999999999999999999999999",
    "1e308",
    "2027-02-30",
    "end of March",
    "Q2",
    " ",
    "\n\n\n",
    "\t",
]

CHARACTERS = st.characters(blacklist_categories=("Cs",))  # no lone surrogates: not UTF-8
LONG = st.builds(
    lambda piece, times: (piece * times)[:40_000],
    st.sampled_from(["x", "é", "<!here>", "\x00", "👍", "a b ", "\u200b"]),
    st.integers(min_value=1_000, max_value=40_000),
)
FRAGMENT = st.one_of(st.sampled_from(TOKENS), st.text(CHARACTERS, max_size=40))
SHORT = st.one_of(st.lists(FRAGMENT, min_size=1, max_size=6).map("".join), st.text(CHARACTERS))
# One case in sixteen is a long one: enough to cover every step with them, not to spend the run.
HOSTILE = st.integers(min_value=0, max_value=15).flatmap(lambda n: LONG if n == 0 else SHORT)
