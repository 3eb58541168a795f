"""Goals and views: `/goals help`, `plan`, `set`, `mine`, `tree`, `checkin`, `team`, `summary`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handling import Reply
from bot.listeners.commands.parse import Nothing, name
from bot.listeners.views.checkin import checkin_modal
from bot.summary_blocks import summary_message
from bot.triggers import subcommand
from bot.turns import choice_rows, help_choices
from bot.work import Acting
from conversations.actor import Who
from conversations.errors import Refusal
from conversations.flows import goal_interview, objectives
from conversations.offers import Choice, Offer
from conversations.services import planning
from conversations.views import managers, mine, summary, team
from conversations.views.next_steps import next_steps
from conversations.views.tree import alignment_tree
from prompts import render


@dataclass(frozen=True)
class Anything:
    """Whatever follows `help`: it shows the same either way."""

    @classmethod
    def parse(cls, words: list[str]) -> Anything:
        return cls()


@subcommand("help", reads=True, hint=1)
def help_(a: Acting, args: Anything) -> Reply:
    steps = next_steps(session=a.session, actor=a.actor, now=a.now)
    admin = [(Choice(Offer.NEW_CYCLE),)] if a.actor.is_admin else []
    return Reply(render("commands/help", steps=steps), choice_rows(admin))


@dataclass(frozen=True)
class OneUnit:
    """Nothing, or the name of one unit."""

    unit: str | None

    @classmethod
    def parse(cls, words: list[str]) -> OneUnit:
        if len(words) > 1:
            raise Refusal("one_unit_only")
        return cls(unit=name(words[0], "unit") if words else None)


@subcommand("plan", who=Who.LEADER)
def plan(a: Acting, args: OneUnit) -> Reply:
    unit = objectives.planned_unit(session=a.session, actor=a.actor, name=args.unit)
    start = objectives.Start(unit_id=unit.id if unit is not None else None)
    return Reply(turn=a.start_flow(objectives.FLOW, start))


@subcommand("set", hint=2)
def set_goal(a: Acting, args: Nothing) -> Reply:
    return Reply(turn=a.start_flow(goal_interview.FLOW, goal_interview.Start()))


@dataclass(frozen=True)
class OneCycle:
    """Nothing, or the name of one cycle."""

    cycle: str | None = None

    @classmethod
    def parse(cls, words: list[str]) -> OneCycle:
        if len(words) > 1:
            raise Refusal("one_cycle_only")
        return cls(cycle=name(words[0], "cycle") if words else None)


@subcommand("mine", reads=True, hint=3)
def mine_(a: Acting, args: OneCycle) -> Reply:
    found = mine.my_goals(session=a.session, actor=a.actor, now=a.now, cycle_name=args.cycle)
    text = render("commands/mine", found=found)
    return Reply(text, choice_rows(found.choices))


@dataclass(frozen=True)
class UnitAndCycle:
    unit: str | None  # with no `cycle`, this one name may be a cycle's (conversations/views)
    cycle: str | None = None

    @classmethod
    def parse(cls, words: list[str]) -> UnitAndCycle:
        if len(words) > 2:
            raise Refusal("unit_and_cycle_only")
        return cls(
            unit=name(words[0], "unit") if words else None,
            cycle=name(words[1], "cycle") if len(words) > 1 else None,
        )


@subcommand("tree", reads=True)
def tree(a: Acting, args: UnitAndCycle) -> Reply:
    found = alignment_tree(
        session=a.session, actor=a.actor, unit_name=args.unit, cycle_name=args.cycle, now=a.now
    )
    return Reply(render("commands/tree", tree=found))


@subcommand("checkin", hint=5)
def checkin_(a: Acting, args: Nothing) -> Reply:
    return Reply(modal=checkin_modal(a))


@subcommand("team", who=Who.MANAGER, reads=True, hint=4)
def team_(a: Acting, args: Nothing) -> Reply:
    cycle = planning.current(session=a.session, team_id=a.actor.team_id, now=a.now)
    # How they are doing first: the team view then reads the units, members and goals it shares.
    [mine] = managers.numbers(
        session=a.session,
        team_id=a.actor.team_id,
        managers=[a.actor.person],
        cycle=cycle,
        now=a.now,
    )
    teams = team.teams_of(session=a.session, actor=a.actor, now=a.now)
    text = render("team/team", teams=teams) + "\n\n" + render("team/how_you_are_doing", n=mine)
    return Reply(text, choice_rows(help_choices(teams)))


@subcommand("summary", who=Who.LEADER, reads=True)
def summary_(a: Acting, args: OneUnit) -> Reply:
    found = summary.on_demand(session=a.session, actor=a.actor, unit_name=args.unit, now=a.now)
    return Reply(message=summary_message(found, audience="ephemeral", tz=a.actor.person.tz))
