"""`/goals …`: parse → call a service or start a flow → render → reply.

Replies to set-up commands and views are ephemeral; flows talk in the person's DM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.listeners.commands.parse import (
    Command,
    CycleAdd,
    Help,
    Mine,
    NotYetAvailable,
    Plan,
    SetGoal,
    Tree,
    UnitAdd,
    UnitMembers,
    parse,
)
from bot.listeners.forms import new_cycle_button
from bot.payloads import SlashCommand
from bot.people import Acting, acting
from bot.reply import refusal_text
from bot.services import Services
from bot.turns import send_turn
from conversations import flow, goal_interview, objectives, organisation, views
from conversations.errors import Refusal
from prompts import render


@dataclass
class Reply:
    text: str = ""  # an ephemeral reply, if any
    extra: list[blocks.Block] = field(default_factory=list)
    turn: flow.Turn | None = None  # a flow's messages, sent to the DM


def goals_command(
    *, services: Services, command: dict[str, Any], respond: Any, client: WebClient
) -> None:
    payload = SlashCommand.parse(command)
    try:
        reply = _run(services, client, payload)
    except Refusal as refusal:
        reply = Reply(refusal_text(refusal))
    if reply.turn is not None:
        send_turn(client=client, user_id=payload.user_id, turn=reply.turn)
        if not payload.channel_id.startswith("D"):  # typed in a channel: say where to look
            reply.text = reply.text or render("commands/continue_in_dm")
    if reply.text:
        respond(**blocks.message(reply.text, *reply.extra), response_type="ephemeral")


def _mentioned(command: Command) -> list[str]:
    if isinstance(command, UnitAdd):
        return [command.manager]
    if isinstance(command, UnitMembers):
        return list(command.members)
    return []


def _run(services: Services, client: WebClient, payload: SlashCommand) -> Reply:
    command = parse(payload.text)  # bad input is refused before anything is read or written
    with acting(
        services=services,
        client=client,
        team_id=payload.team_id,
        user_id=payload.user_id,
        also=tuple(_mentioned(command)),
    ) as a:
        return _dispatch(a, command)


def _dispatch(a: Acting, command: Command) -> Reply:
    session, who, now, today = a.session, a.actor, a.now, a.today
    if isinstance(command, Help):
        steps = organisation.next_steps(session=session, actor=who)
        return Reply(
            render("commands/help", steps=steps), [new_cycle_button()] if who.is_admin else []
        )
    if isinstance(command, CycleAdd):
        cycle, previous = organisation.add_cycle(
            session=session,
            actor=who,
            name=command.name,
            start=command.start,
            end=command.end,
            today=today,
        )
        return Reply(render("commands/cycle_added", cycle=cycle, previous=previous))
    if isinstance(command, UnitAdd):
        added = organisation.add_unit(
            session=session,
            actor=who,
            name=command.name,
            parent_name=command.parent,
            manager_user_id=command.manager,
        )
        return Reply(render("commands/unit_added", added=added))
    if isinstance(command, UnitMembers):
        result = organisation.set_unit_members(
            session=session, actor=who, name=command.name, member_user_ids=list(command.members)
        )
        return Reply(render("commands/members_set", result=result))
    if isinstance(command, Plan):
        unit = objectives.planned_unit(session=session, actor=who, name=command.unit)
        answers = {"unit_id": unit.id} if unit is not None else {}
        return Reply(
            turn=flow.start(
                session=session,
                actor=who,
                flow=objectives.FLOW,
                now=now,
                today=today,
                answers=answers,
            )
        )
    if isinstance(command, SetGoal):
        return Reply(
            turn=flow.start(
                session=session, actor=who, flow=goal_interview.FLOW, now=now, today=today
            )
        )
    if isinstance(command, Mine):
        active, mine = views.my_goals(session=session, actor=who)
        return Reply(render("commands/mine", cycle=active, mine=mine))
    if isinstance(command, Tree):
        tree = views.alignment_tree(session=session, actor=who, unit_name=command.unit)
        return Reply(render("commands/tree", tree=tree))
    assert isinstance(command, NotYetAvailable)
    return Reply(render("commands/not_yet_available", command=command.command))
