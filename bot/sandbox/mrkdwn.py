"""What Slack would show wrongly in mrkdwn text it accepts: a `<` that is not one of Slack's
tokens (Slack reads `<…>` as a link, so the words vanish or link nowhere), and two sentences run
together (a template whose line break was eaten). The fake Slack checks every text it receives,
so the whole test suite checks every template it renders."""

from __future__ import annotations

import re

# Slack's tokens: mentions, channels, special mentions and dates, links.
TOKEN = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+|!(?:here|channel|everyone|subteam\^[A-Z0-9]+|date\^[^>|]+)"
    r"|(?:https?|mailto|slack):[^>|\s]+)(?:\|[^>]*)?>"
)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
# A sentence's end straight against the next one's start ("…$14M.Next one"), or a word against
# a quote's ">" ("…changes.>Legal"): what an eaten line break leaves.
JOINED = re.compile(r"[A-Za-z0-9)%]{2}[.!?][A-Z][a-z]|[a-z.)]>[^\s]")


def problems(text: str, where: str = "") -> list[str]:
    found: list[str] = []
    bare = TOKEN.sub("", text)
    if "<" in bare:
        at = bare.index("<")
        found.append(
            f"{where}: '<' that is not a Slack token in {bare[max(0, at - 30) : at + 40]!r}"
        )
    words = CODE.sub(" ", bare)
    joined = JOINED.search(words)
    if joined:
        at = joined.start()
        found.append(f"{where}: run-together text {words[max(0, at - 30) : at + 30]!r}")
    return found
