"""Text from Slack, cleaned once at the edge: what every flow, repository and template receives.

Control characters other than newline and tab are removed (a NUL cannot be stored in PostgreSQL's
text, and none of them means anything in a goal), and the result is Unicode-normalised (NFC), so
the same words typed on two keyboards are the same text. Zero-width joiners, right-to-left marks
and the like are format characters, not control characters: they stay.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Cc, less \t (09) and \n (0a)
_SLACK_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_ENTITY = re.compile("|".join(map(re.escape, _SLACK_ENTITIES)))


def clean(text: str) -> str:
    """Control characters (but newline and tab) removed, then NFC; a lone CR becomes a newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def typed(text: str) -> str:
    """What a person typed in a message, from Slack's escaped form: `&lt;` `&gt;` `&amp;` back to
    the characters (in one pass, so a typed `&lt;` stays `&lt;`), then cleaned. Tokens Slack made
    (`<@U123>`, `<!here>`) stay as they are; every template escapes them again when shown."""
    return clean(_ENTITY.sub(lambda m: _SLACK_ENTITIES[m.group(0)], text))
