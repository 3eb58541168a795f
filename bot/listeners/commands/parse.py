"""Reading `/goals` text: words, quotes, names, mentions, channels and `key:value` options. Each
subcommand's arguments (beside its handler) parse with these; a malformed input raises
`BadCommand`: the refusal, and which command's right form to show."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from conversations.errors import Refusal
from conversations.services.organisation import clean_name

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
SLACK_TOKEN = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>")
DOUBLE_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'}
)


class BadCommand(Exception):
    """`/goals` text that could not be read: why, and the form to show (commands/usage)."""

    def __init__(self, refusal: Refusal, usage: str) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.usage = usage


def readable(text: str) -> str:
    """Slack's escaped text as the person typed it: tokens become @name / #channel / links."""

    def token(match: re.Match[str]) -> str:
        sigil, target, label, url, url_label = match.groups()
        if url:
            return str(url_label or url)
        if sigil == "!":
            return "@" + str(label or target.split("^")[0])
        return sigil + str(label or target)

    replaced = SLACK_TOKEN.sub(token, text)
    return replaced.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tokens(text: str) -> list[str]:
    try:
        return shlex.split(text.strip().translate(DOUBLE_QUOTES))
    except ValueError as error:
        raise BadCommand(Refusal("open_quote"), "all") from error


def raw_tokens(text: str) -> list[str]:
    """The words as typed, quotes kept: for echoing input back."""
    lexer = shlex.shlex(text.strip().translate(DOUBLE_QUOTES), posix=False)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def name(raw: str, field: str = "name") -> str:
    return clean_name(readable(raw), field=field)


def mention(raw: str, field: str) -> str:
    match = MENTION.match(raw)
    if match is None:
        raise Refusal("not_a_mention", field=field, value=readable(raw)[:40])
    return match.group(1)


def options(args: list[str], allowed: set[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    for token in args:
        key, sep, value = token.partition(":")
        if sep and key.lower() in allowed:
            if key.lower() in options:
                raise Refusal("repeated_option", field=key.lower(), option=key.lower())
            options[key.lower()] = value
        else:
            positional.append(token)
    return positional, options


@dataclass(frozen=True)
class Nothing:
    """The arguments of a subcommand that takes none."""

    @classmethod
    def parse(cls, words: list[str]) -> Nothing:
        if words:
            raise Refusal("no_arguments")
        return cls()
