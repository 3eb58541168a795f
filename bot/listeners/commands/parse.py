"""`/goals` text → a typed command. Every malformed input raises a Refusal naming the problem."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date

from conversations.errors import Refusal
from conversations.organisation import clean_name, iso_date

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
SLACK_TOKEN = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>")
DOUBLE_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'}
)


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class CycleAdd:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class UnitAdd:
    name: str
    parent: str | None
    manager: str  # Slack user id


@dataclass(frozen=True)
class UnitMembers:
    name: str
    members: tuple[str, ...]  # Slack user ids


@dataclass(frozen=True)
class Plan:
    unit: str | None


@dataclass(frozen=True)
class SetGoal:
    pass


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Tree:
    unit: str | None


@dataclass(frozen=True)
class NotYetAvailable:
    command: str


Command = Help | CycleAdd | UnitAdd | UnitMembers | Plan | SetGoal | Mine | Tree | NotYetAvailable

LATER_COMMANDS = {"team", "checkin", "barrier", "summary", "pause", "resume"}


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


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text.translate(DOUBLE_QUOTES))
    except ValueError as error:
        raise Refusal("open_quote", usage="all") from error


def _name(raw: str, usage: str) -> str:
    return clean_name(readable(raw), usage)


def _mention(raw: str, usage: str) -> str:
    match = MENTION.match(raw)
    if match is None:
        raise Refusal("not_a_mention", usage=usage, value=readable(raw)[:40])
    return match.group(1)


def _options(tokens: list[str], allowed: set[str], usage: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.lower() in allowed:
            if key.lower() in options:
                raise Refusal("repeated_option", usage=usage, option=key.lower())
            options[key.lower()] = value
        else:
            positional.append(token)
    return positional, options


def _cycle(args: list[str]) -> Command:
    if not args or args[0].lower() != "add":
        raise Refusal("unknown_command", usage="cycle", value=readable(" ".join(args))[:40])
    if len(args) != 4:
        raise Refusal("wrong_arguments", usage="cycle_add", got=len(args) - 1, expected=3)
    name = _name(args[1], "cycle_add")
    start = iso_date(readable(args[2]), what="start", usage="cycle_add")
    end = iso_date(readable(args[3]), what="end", usage="cycle_add")
    return CycleAdd(name=name, start=start, end=end)


def _unit(args: list[str]) -> Command:
    verb = args[0].lower() if args else ""
    if verb == "add":
        positional, options = _options(args[1:], {"parent", "manager"}, "unit_add")
        if len(positional) != 1 or "manager" not in options:
            raise Refusal("wrong_arguments_unit_add", usage="unit_add")
        parent = _name(options["parent"], "unit_add") if "parent" in options else None
        return UnitAdd(
            name=_name(positional[0], "unit_add"),
            parent=parent,
            manager=_mention(options["manager"], "unit_add"),
        )
    if verb == "members":
        if len(args) < 3:
            raise Refusal("wrong_arguments_unit_members", usage="unit_members")
        members = tuple(dict.fromkeys(_mention(a, "unit_members") for a in args[2:]))
        return UnitMembers(name=_name(args[1], "unit_members"), members=members)
    raise Refusal("unknown_command", usage="unit", value=readable(" ".join(args))[:40])


def parse(text: str) -> Command:
    """Parse the text after `/goals`."""
    tokens = _tokens(text.strip())
    if not tokens or tokens[0].lower() == "help":
        return Help()
    head, args = tokens[0].lower(), tokens[1:]
    if head == "cycle":
        return _cycle(args)
    if head == "unit":
        return _unit(args)
    if head in ("plan", "tree"):
        if len(args) > 1:
            raise Refusal("one_unit_only", usage=head)
        unit = _name(args[0], head) if args else None
        return Plan(unit=unit) if head == "plan" else Tree(unit=unit)
    if head in ("set", "mine"):
        if args:
            raise Refusal("no_arguments", usage=head, command=head)
        return SetGoal() if head == "set" else Mine()
    if head in LATER_COMMANDS:
        return NotYetAvailable(command=head)
    raise Refusal("unknown_command", usage="all", value=readable(tokens[0])[:40])
