"""Setting up: `/goals cycle add`, `unit add`, `unit members`, `settings summary`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.handling import Reply
from bot.listeners.commands.parse import CHANNEL, mention, name, options, readable
from bot.triggers import subcommand
from bot.work import Acting
from conversations.actor import Who
from conversations.errors import Refusal
from conversations.services import organisation, welcome
from conversations.services.organisation import iso_date
from conversations.views import summary
from prompts import render


@dataclass(frozen=True)
class CycleAdd:
    name: str
    start: date
    end: date

    @classmethod
    def parse(cls, words: list[str]) -> CycleAdd:
        if len(words) != 3:
            raise Refusal("wrong_arguments", got=len(words), expected=3)
        return cls(
            name=name(words[0]),
            start=iso_date(readable(words[1]), field="start"),
            end=iso_date(readable(words[2]), field="end"),
        )


@subcommand("cycle add", who=Who.ADMIN)
def cycle_add(a: Acting, args: CycleAdd) -> Reply:
    added = organisation.add_cycle(
        session=a.session, actor=a.actor, name=args.name, start=args.start, end=args.end, now=a.now
    )
    return Reply(render("commands/cycle_added", added=added))


def _tell_whom_it_concerns(a: Acting, then: welcome.Organisation) -> int:
    """Whoever the change made a manager or a member hears so, with this change."""
    notices = welcome.notices(
        session=a.session, team_id=a.actor.team_id, then=then, now=a.now, by=a.actor.person_id
    )
    a.owe_notices(notices)
    return len(notices)


@dataclass(frozen=True)
class UnitAdd:
    name: str
    parent: str | None
    manager: str  # Slack user id

    @property
    def mentions(self) -> tuple[str, ...]:
        return (self.manager,)

    @classmethod
    def parse(cls, words: list[str]) -> UnitAdd:
        positional, named = options(words, {"parent", "manager"})
        if len(positional) != 1 or "manager" not in named:
            raise Refusal("wrong_arguments_unit_add")
        return cls(
            name=name(positional[0]),
            parent=name(named["parent"], "parent") if "parent" in named else None,
            manager=mention(named["manager"], "manager"),
        )


@subcommand("unit add", who=Who.ADMIN)
def unit_add(a: Acting, args: UnitAdd) -> Reply:
    then = welcome.before(session=a.session, team_id=a.actor.team_id)
    added = organisation.add_unit(
        session=a.session,
        actor=a.actor,
        name=args.name,
        parent_name=args.parent,
        manager_user_id=args.manager,
    )
    told = _tell_whom_it_concerns(a, then)
    return Reply(render("commands/unit_added", added=added, told=told))


@dataclass(frozen=True)
class UnitMembers:
    name: str
    members: tuple[str, ...]  # Slack user ids

    @property
    def mentions(self) -> tuple[str, ...]:
        return self.members

    @classmethod
    def parse(cls, words: list[str]) -> UnitMembers:
        if len(words) < 2:
            raise Refusal("wrong_arguments_unit_members")
        members = tuple(dict.fromkeys(mention(w, "members") for w in words[1:]))
        return cls(name=name(words[0], "unit"), members=members)


@subcommand("unit members", who=Who.LEADER)
def unit_members(a: Acting, args: UnitMembers) -> Reply:
    then = welcome.before(session=a.session, team_id=a.actor.team_id)
    result = organisation.set_unit_members(
        session=a.session, actor=a.actor, name=args.name, member_user_ids=list(args.members)
    )
    told = _tell_whom_it_concerns(a, then)
    return Reply(render("commands/members_set", result=result, told=told))


@dataclass(frozen=True)
class SettingsSummary:
    channel: str | None  # a channel id; None: say where the summary goes now

    @classmethod
    def parse(cls, words: list[str]) -> SettingsSummary:
        """`settings summary #channel` (Slack sends the channel as `<#C123|name>`), or nothing."""
        if not words:
            return cls(channel=None)
        match = CHANNEL.match(words[0]) if len(words) == 1 else None
        if match is None:
            raise Refusal("not_a_channel", field="channel", value=readable(" ".join(words))[:40])
        return cls(channel=match.group(1))


@subcommand("settings summary", who=Who.ADMIN)
def settings_summary(a: Acting, args: SettingsSummary) -> Reply:
    team_id = a.actor.team_id
    default = a.settings.cascade_summary_channel
    if args.channel is None:
        channel = summary.summary_channel(session=a.session, team_id=team_id, default=default)
        chosen = summary.summary_channel(session=a.session, team_id=team_id, default=None)
        template, previous = "summary/channel_shown", None
    else:
        previous = summary.set_summary_channel(
            session=a.session, actor=a.actor, channel_id=args.channel
        )
        channel, chosen, template = args.channel, args.channel, "summary/channel_set"
    workspace, slot = summary.schedule(session=a.session, team_id=team_id, now=a.now)
    return Reply(
        render(
            template,
            channel=channel,
            previous=previous or default,
            from_environment=channel is not None and chosen is None,
            weekday_index=workspace.summary_weekday,
            time=workspace.summary_time,
            tz=slot.tz,
        )
    )
