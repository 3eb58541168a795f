"""`/goals …`: parse → call a service or start a flow → render → reply.

`SUBCOMMANDS` is the one table from what a person types to its parser, its handler and the form
a refusal shows. Adding a command is one row and one handler. Replies to set-up commands and views
are ephemeral; flows talk in the person's DM.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.forms import checkin_form, goal_buttons, new_cycle_button
from bot.listeners.commands import parse
from bot.payloads import SlashCommand
from bot.reply import refusal_text
from bot.services import Services
from bot.summary_blocks import summary_message
from bot.work import Acting, acting
from conversations.errors import Refusal
from conversations.flows import engine, goal_interview, objectives
from conversations.services import barrier, checkin, organisation, pause, planning, welcome
from conversations.views import mine, summary, team
from conversations.views.next_steps import next_steps
from conversations.views.tree import alignment_tree
from prompts import render


@dataclass
class Reply:
    text: str = ""  # an ephemeral reply, if any
    extra: list[blocks.Block] = field(default_factory=list)
    turn: engine.Turn | None = None  # a flow's messages, owed to the person's DM
    modal: dict[str, Any] | None = None  # a form to open (the command's trigger allows one)
    message: dict[str, Any] | None = None  # an ephemeral reply built as blocks already


def _help(a: Acting, command: Any) -> Reply:
    steps = next_steps(session=a.session, actor=a.actor, now=a.now)
    return Reply(
        render("commands/help", steps=steps), [new_cycle_button()] if a.actor.is_admin else []
    )


def _cycle_add(a: Acting, command: parse.CycleAdd) -> Reply:
    added = organisation.add_cycle(
        session=a.session,
        actor=a.actor,
        name=command.name,
        start=command.start,
        end=command.end,
        today=planning.today(session=a.session, team_id=a.actor.team_id, now=a.now),
    )
    return Reply(render("commands/cycle_added", added=added))


def _tell_whom_it_concerns(a: Acting, then: welcome.Organisation) -> int:
    """Whoever the change made a manager or a member hears so, with this change."""
    notices = welcome.notices(
        session=a.session, team_id=a.actor.team_id, then=then, now=a.now, by=a.actor.person_id
    )
    a.owe_notices(notices)
    return len(notices)


def _unit_add(a: Acting, command: parse.UnitAdd) -> Reply:
    then = welcome.before(session=a.session, team_id=a.actor.team_id)
    added = organisation.add_unit(
        session=a.session,
        actor=a.actor,
        name=command.name,
        parent_name=command.parent,
        manager_user_id=command.manager,
    )
    told = _tell_whom_it_concerns(a, then)
    return Reply(render("commands/unit_added", added=added, told=told))


def _unit_members(a: Acting, command: parse.UnitMembers) -> Reply:
    then = welcome.before(session=a.session, team_id=a.actor.team_id)
    result = organisation.set_unit_members(
        session=a.session, actor=a.actor, name=command.name, member_user_ids=list(command.members)
    )
    told = _tell_whom_it_concerns(a, then)
    return Reply(render("commands/members_set", result=result, told=told))


def _plan(a: Acting, command: parse.Plan) -> Reply:
    unit = objectives.planned_unit(session=a.session, actor=a.actor, name=command.unit)
    answers = {"unit_id": unit.id} if unit is not None else {}
    return Reply(turn=a.start_flow(objectives.FLOW, answers))


def _set(a: Acting, command: Any) -> Reply:
    return Reply(turn=a.start_flow(goal_interview.FLOW))


def _mine(a: Acting, command: parse.Mine) -> Reply:
    found = mine.my_goals(session=a.session, actor=a.actor, now=a.now, cycle_name=command.cycle)
    text = render("commands/mine", cycle=found.cycle, mine=found.mine, earlier=found.earlier)
    return Reply(text, goal_buttons(found))


def _tree(a: Acting, command: parse.Tree) -> Reply:
    tree = alignment_tree(
        session=a.session,
        actor=a.actor,
        unit_name=command.unit,
        cycle_name=command.cycle,
        now=a.now,
    )
    return Reply(render("commands/tree", tree=tree))


def _checkin(a: Acting, command: Any) -> Reply:
    return Reply(modal=checkin_form(checkin.form_goals(session=a.session, actor=a.actor)))


def _barrier(a: Acting, command: parse.ReportBarrier) -> Reply:
    reported = barrier.report(session=a.session, actor=a.actor, text=command.text, now=a.now)
    a.owe_notices(reported.notices)
    return Reply(
        render(
            "barrier/reported",
            holder=reported.holder,
            barrier=reported.barrier,
            trimmed=reported.trimmed,
            limit=barrier.TEXT_LIMIT,
        )
    )


def _barriers(a: Acting, command: Any) -> Reply:
    return Reply(
        render("barrier/list", mine=mine.open_barriers(session=a.session, actor=a.actor, now=a.now))
    )


def _team(a: Acting, command: Any) -> Reply:
    return Reply(
        render("team/team", teams=team.teams_of(session=a.session, actor=a.actor, now=a.now))
    )


def _summary(a: Acting, command: parse.Summary) -> Reply:
    found = summary.on_demand(session=a.session, actor=a.actor, unit_name=command.unit, now=a.now)
    return Reply(message=summary_message(found, audience="ephemeral", tz=a.actor.person.tz))


def _settings_summary(a: Acting, command: parse.SettingsSummary) -> Reply:
    team_id = a.actor.team_id
    default = a.settings.cascade_summary_channel
    if command.channel is None:
        channel = summary.summary_channel(session=a.session, team_id=team_id, default=default)
        chosen = summary.summary_channel(session=a.session, team_id=team_id, default=None)
        template, previous = "summary/channel_shown", None
    else:
        previous = summary.set_summary_channel(
            session=a.session, actor=a.actor, channel_id=command.channel
        )
        channel, chosen, template = command.channel, command.channel, "summary/channel_set"
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


def _pause(a: Acting, command: parse.Pause) -> Reply:
    until = command.until or pause.pause_for(command.duration or "", a.today)
    pause.pause(session=a.session, actor=a.actor, until=until, today=a.today)
    return Reply(render("pause/paused", until=until))


def _resume(a: Acting, command: Any) -> Reply:
    was = pause.resume(session=a.session, actor=a.actor, today=a.today)
    return Reply(render("pause/resumed", was=was))


@dataclass(frozen=True)
class Subcommand:
    parse: Callable[[list[str]], parse.Command]
    run: Callable[[Acting, Any], Reply]
    usage: str  # the right form shown with a refusal (prompts/commands/usage)
    raw: bool = False  # takes free text: its words are not split on quotes
    reads: bool = False  # only reads (a view): it never takes the write lock


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": Subcommand(parse.help_, _help, "all", reads=True),
    "cycle add": Subcommand(parse.cycle_add, _cycle_add, "cycle_add"),
    "unit add": Subcommand(parse.unit_add, _unit_add, "unit_add"),
    "unit members": Subcommand(parse.unit_members, _unit_members, "unit_members"),
    "plan": Subcommand(parse.plan, _plan, "plan"),
    "set": Subcommand(parse.set_goal, _set, "set"),
    "mine": Subcommand(parse.mine, _mine, "mine", reads=True),
    "tree": Subcommand(parse.tree, _tree, "tree", reads=True),
    "checkin": Subcommand(parse.checkin, _checkin, "checkin"),
    "barrier": Subcommand(parse.barrier, _barrier, "barrier", raw=True),
    "barriers": Subcommand(parse.barriers, _barriers, "barriers", reads=True),
    "pause": Subcommand(parse.pause, _pause, "pause"),
    "resume": Subcommand(parse.resume, _resume, "resume"),
    "team": Subcommand(parse.team, _team, "team", reads=True),
    "summary": Subcommand(parse.summary, _summary, "summary", reads=True),
    "settings summary": Subcommand(parse.settings_summary, _settings_summary, "settings_summary"),
}
GROUPS = {"cycle", "unit", "settings"}  # words that only begin a subcommand


def lookup(words: list[str], raw_text: str | None = None) -> tuple[Subcommand, list[str]]:
    """The subcommand the words name, and the words after it. An unknown one is refused with
    the nearest that exists, and echoed as typed (`raw_text`: quotes kept)."""
    if not words:
        return SUBCOMMANDS["help"], []
    head = words[0].lower()
    pair = f"{head} {words[1].lower()}" if len(words) > 1 else ""
    if pair in SUBCOMMANDS:
        return SUBCOMMANDS[pair], words[2:]
    if head in SUBCOMMANDS:
        return SUBCOMMANDS[head], words[1:]
    raw = (parse.raw_tokens(raw_text) if raw_text is not None else words) or words
    usage, value = (head, " ".join(raw)) if head in GROUPS else ("all", raw[0])
    refusal = Refusal(
        "unknown_command", value=parse.readable(value)[:60], suggestion=_nearest(words)
    )
    raise parse.BadCommand(refusal, "all" if refusal.params["suggestion"] else usage)


def _nearest(words: list[str]) -> str | None:
    """The subcommand nearest to a mistyped one: `hepl` → `help`, `unit ad` → `unit add`."""
    pair = " ".join(words[:2]).lower()
    near: list[str] = []
    if len(words) > 1:
        near = difflib.get_close_matches(pair, [c for c in SUBCOMMANDS if " " in c], 1, 0.75)
    if not near:
        single = [c for c in SUBCOMMANDS if " " not in c]
        near = difflib.get_close_matches(words[0].lower(), single, 1, 0.6)
    return near[0] if near else None


def read(text: str) -> tuple[Subcommand, parse.Command]:
    """Parse the text after `/goals`; bad input is refused before anything is read or written."""
    head, _, rest = text.strip().partition(" ")
    free = SUBCOMMANDS.get(head.lower())
    if free is not None and free.raw:  # free text: apostrophes and quotes are the person's own
        subcommand, args = free, [rest]
    else:
        subcommand, args = lookup(parse.tokens(text), text)
    try:
        return subcommand, subcommand.parse(args)
    except Refusal as refusal:
        raise parse.BadCommand(refusal, subcommand.usage) from refusal


def goals_command(
    *, services: Services, command: dict[str, Any], respond: Any, client: WebClient
) -> None:
    payload = SlashCommand.parse(command)
    try:
        subcommand, parsed = read(payload.text)
    except parse.BadCommand as bad:
        respond(**blocks.message(refusal_text(bad.refusal, bad.usage)), response_type="ephemeral")
        return
    try:
        with acting(
            services=services,
            client=client,
            team_id=payload.team_id,
            user_id=payload.user_id,
            also=getattr(parsed, "mentions", ()),
            reads_only=subcommand.reads,
        ) as a:
            reply = _dispatch(a, subcommand, parsed)
            if reply.turn is not None:
                a.owe_turn(reply.turn)
    except Refusal as refusal:
        reply = Reply(refusal_text(refusal, subcommand.usage))
    if reply.turn is not None and not payload.channel_id.startswith("D"):
        reply.text = reply.text or render("commands/continue_in_dm")  # say where to look
    if reply.text:
        respond(**blocks.message(reply.text, *reply.extra), response_type="ephemeral")
    if reply.message is not None:
        respond(**reply.message, response_type="ephemeral")
    if reply.modal is not None:
        client.views_open(trigger_id=payload.trigger_id, view=reply.modal)


def _dispatch(a: Acting, subcommand: Subcommand, command: parse.Command) -> Reply:
    return subcommand.run(a, command)
