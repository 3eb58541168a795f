"""`/goals` text → a typed command. Every malformed input raises `BadCommand`: the refusal, and
which command's right form to show."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from conversations.errors import Refusal
from conversations.services.organisation import clean_name, iso_date

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

    @property
    def mentions(self) -> tuple[str, ...]:
        return (self.manager,)


@dataclass(frozen=True)
class UnitMembers:
    name: str
    members: tuple[str, ...]  # Slack user ids

    @property
    def mentions(self) -> tuple[str, ...]:
        return self.members


@dataclass(frozen=True)
class Plan:
    unit: str | None


@dataclass(frozen=True)
class SetGoal:
    pass


@dataclass(frozen=True)
class Mine:
    cycle: str | None = None


@dataclass(frozen=True)
class Tree:
    unit: str | None  # with no `cycle`, this one name may be a cycle's (conversations/views)
    cycle: str | None = None


@dataclass(frozen=True)
class CheckIn:
    pass


@dataclass(frozen=True)
class ReportBarrier:
    text: str  # as the person typed it (Slack's escaping undone)


@dataclass(frozen=True)
class Barriers:
    pass


@dataclass(frozen=True)
class Team:
    pass


@dataclass(frozen=True)
class Summary:
    unit: str | None


@dataclass(frozen=True)
class SettingsSummary:
    channel: str | None  # a channel id; None: say where the summary goes now


@dataclass(frozen=True)
class Pause:
    duration: str | None  # "2w", "10 days"…
    until: date | None


@dataclass(frozen=True)
class Resume:
    pass


Command = (
    Help
    | CycleAdd
    | UnitAdd
    | UnitMembers
    | Plan
    | SetGoal
    | Mine
    | Tree
    | CheckIn
    | ReportBarrier
    | Barriers
    | Team
    | Summary
    | SettingsSummary
    | Pause
    | Resume
)


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


def _name(raw: str, field: str = "name") -> str:
    return clean_name(readable(raw), field=field)


def _mention(raw: str, field: str) -> str:
    match = MENTION.match(raw)
    if match is None:
        raise Refusal("not_a_mention", field=field, value=readable(raw)[:40])
    return match.group(1)


def _options(args: list[str], allowed: set[str]) -> tuple[list[str], dict[str, str]]:
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


# One parser per subcommand: the words after the subcommand's own → its typed command.


def help_(args: list[str]) -> Command:
    return Help()


def cycle_add(args: list[str]) -> Command:
    if len(args) != 3:
        raise Refusal("wrong_arguments", got=len(args), expected=3)
    return CycleAdd(
        name=_name(args[0]),
        start=iso_date(readable(args[1]), field="start"),
        end=iso_date(readable(args[2]), field="end"),
    )


def unit_add(args: list[str]) -> Command:
    positional, options = _options(args, {"parent", "manager"})
    if len(positional) != 1 or "manager" not in options:
        raise Refusal("wrong_arguments_unit_add")
    return UnitAdd(
        name=_name(positional[0]),
        parent=_name(options["parent"], "parent") if "parent" in options else None,
        manager=_mention(options["manager"], "manager"),
    )


def unit_members(args: list[str]) -> Command:
    if len(args) < 2:
        raise Refusal("wrong_arguments_unit_members")
    members = tuple(dict.fromkeys(_mention(a, "members") for a in args[1:]))
    return UnitMembers(name=_name(args[0], "unit"), members=members)


def _one_unit(args: list[str]) -> str | None:
    if len(args) > 1:
        raise Refusal("one_unit_only")
    return _name(args[0], "unit") if args else None


def plan(args: list[str]) -> Command:
    return Plan(unit=_one_unit(args))


def tree(args: list[str]) -> Command:
    if len(args) > 2:
        raise Refusal("unit_and_cycle_only")
    return Tree(
        unit=_name(args[0], "unit") if args else None,
        cycle=_name(args[1], "cycle") if len(args) > 1 else None,
    )


def mine(args: list[str]) -> Command:
    if len(args) > 1:
        raise Refusal("one_cycle_only")
    return Mine(cycle=_name(args[0], "cycle") if args else None)


def _no_arguments(command: Command, word: str) -> Callable[[list[str]], Command]:
    def parse(args: list[str]) -> Command:
        if args:
            raise Refusal("no_arguments", command=word)
        return command

    return parse


set_goal = _no_arguments(SetGoal(), "set")
checkin = _no_arguments(CheckIn(), "checkin")
team = _no_arguments(Team(), "team")
barriers = _no_arguments(Barriers(), "barriers")
resume = _no_arguments(Resume(), "resume")


def barrier(args: list[str]) -> Command:
    """The words after `barrier`, untouched (apostrophes and quotes are the person's own)."""
    text = readable(" ".join(args)).strip()
    if not text:
        raise Refusal("empty_barrier")
    return ReportBarrier(text=text)


def pause(args: list[str]) -> Command:
    if not args:
        raise Refusal("bad_pause", value="")
    if args[0].lower() == "until":
        if len(args) != 2:
            raise Refusal("bad_pause", value=readable(" ".join(args))[:40])
        return Pause(duration=None, until=iso_date(readable(args[1]), field="until"))
    return Pause(duration=readable(" ".join(args)), until=None)


def summary(args: list[str]) -> Command:
    return Summary(unit=_one_unit(args))


def settings_summary(args: list[str]) -> Command:
    """`settings summary #channel` (Slack sends the channel as `<#C123|name>`), or nothing."""
    if not args:
        return SettingsSummary(channel=None)
    if len(args) > 1:
        raise Refusal("not_a_channel", field="channel", value=readable(" ".join(args))[:40])
    match = CHANNEL.match(args[0])
    if match is None:
        raise Refusal("not_a_channel", field="channel", value=readable(args[0])[:40])
    return SettingsSummary(channel=match.group(1))
