"""Every user-facing word of Cascade, as Jinja2 templates rendered to Slack mrkdwn.

Every `{{ value }}` is escaped for mrkdwn (`&`, `<`, `>`) unless it is `Trusted`: user text can
never ping `@channel` or forge a link. Filters that build Slack syntax (`mention`, `channel`,
`date`) return `Trusted` text.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound


class Trusted(str):
    """Text already in mrkdwn, built by Cascade itself; rendered as-is."""


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalize(value: Any) -> Any:
    if isinstance(value, Trusted) or not isinstance(value, str):
        return value
    return mrkdwn_escape(value)


def _mention(user_id: str) -> Trusted:
    return Trusted(f"<@{user_id}>")


CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def _channel(channel_id: str) -> str:
    """A link to a channel, when given a channel id; anything else is shown as escaped text."""
    return Trusted(f"<#{channel_id}>") if CHANNEL_ID.fullmatch(channel_id) else channel_id


def _date(value: date) -> Trusted:
    return Trusted(f"{value:%a %-d %b %Y}")


def _local_time(value: datetime, tz: str) -> Trusted:
    """An instant as it reads on the wall in `tz`: "10:00"."""
    try:
        zone = ZoneInfo(tz)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    return Trusted(f"{value.astimezone(zone):%H:%M}")


def _bar(progress: int) -> Trusted:
    """A text progress bar: ▓▓▓░░░░░░░ for 30%."""
    filled = max(0, min(10, round(progress / 10)))
    return Trusted("▓" * filled + "░" * (10 - filled))


QUOTE_LIMIT = 600  # characters of someone's text quoted in a message about it


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut at a word with "…" (lines kept)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-\n") + "…"


def _quote(text: str, limit: int = QUOTE_LIMIT) -> Trusted:
    """Someone's text as a mrkdwn quote: escaped, every line marked, and past `limit` cut with a
    line that says so."""
    shown = shorten(text.strip(), limit)
    quoted = "\n".join(">" + mrkdwn_escape(line) for line in shown.splitlines() or [""])
    if shown == text.strip():
        return Trusted(quoted)
    note = ENV.get_template("shortened/quote.md.j2").render(total=len(text.strip())).strip()
    return Trusted(f"{quoted}\n{note}")


def possessive(name: str) -> str:
    """ "Acme" → "Acme's", "Sales" → "Sales'": never "Sales's"."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def cut_label(text: str, limit: int) -> str:
    """Text for a button of at most `limit` characters: cut at a word, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-") + "…"


def exists(template: str) -> bool:
    """Whether `prompts/<template>.md.j2` exists."""
    try:
        ENV.get_template(f"{template}.md.j2")
    except TemplateNotFound:
        return False
    return True


def under(folder: str) -> list[str]:
    """The templates in `prompts/<folder>/`, by name (`commands/usage/plan`), sorted."""
    return sorted(
        name.removesuffix(".md.j2")
        for name in ENV.list_templates(extensions=["j2"])
        if name.startswith(f"{folder}/") and "/" not in name[len(folder) + 1 :]
    )


def _build(*, for_slack: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("prompts", ""),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize if for_slack else None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["mention"] = _mention
    env.filters["date"] = _date
    env.filters["bar"] = _bar
    env.filters["local_time"] = _local_time
    env.filters["possessive"] = possessive
    env.filters["quote"] = _quote
    # A macro's output, whose values were escaped as the macro rendered them (never user text).
    env.filters["rendered"] = Trusted
    env.filters["channel"] = _channel
    return env


ENV = _build(for_slack=True)
PLAIN = _build(for_slack=False)  # for the terminal: the CLI prints words as they are


def render(template: str, /, **context: Any) -> Trusted:
    """Render `prompts/<name>.md.j2` to mrkdwn text (safe to embed in another template)."""
    return Trusted(ENV.get_template(f"{template}.md.j2").render(**context).strip())


def render_plain(template: str, /, **context: Any) -> str:
    """Render a template for the terminal, without mrkdwn escaping."""
    return PLAIN.get_template(f"{template}.md.j2").render(**context).strip()
