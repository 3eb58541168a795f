"""`/goals …`: parse → call the organisation service → render → reply ephemerally."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot import blocks
from bot.listeners.commands.parse import (
    Command,
    CycleAdd,
    Help,
    NotYetAvailable,
    UnitAdd,
    UnitMembers,
    parse,
)
from bot.listeners.forms import new_cycle_button
from bot.payloads import SlashCommand
from bot.people import actor, local_date, refresh_directory
from bot.services import Services
from conversations import organisation
from conversations.errors import Refusal
from conversations.organisation import Actor
from prompts import render
from storage.db import transaction


def goals_command(
    *, services: Services, command: dict[str, Any], respond: Any, client: WebClient
) -> None:
    payload = SlashCommand.parse(command)
    try:
        text, extra = _run(services, client, payload)
    except Refusal as refusal:
        text, extra = refusal_text(refusal), []
    respond(**blocks.message(text, *extra), response_type="ephemeral")


def refusal_text(refusal: Refusal) -> str:
    return render(
        "errors/refusal",
        problem=render(f"errors/{refusal.code}", **refusal.params),
        usage=refusal.usage,
    )


def _mentioned(command: Command) -> list[str]:
    if isinstance(command, UnitAdd):
        return [command.manager]
    if isinstance(command, UnitMembers):
        return list(command.members)
    return []


Reply = tuple[str, list[blocks.Block]]  # the text, and any buttons under it


def _run(services: Services, client: WebClient, payload: SlashCommand) -> Reply:
    command = parse(payload.text)  # bad input is refused before anything is read or written
    refresh_directory(
        services=services,
        client=client,
        team_id=payload.team_id,
        user_ids=[payload.user_id, *_mentioned(command)],
    )
    with transaction(services.engine) as session:
        who = actor(
            services=services, session=session, team_id=payload.team_id, user_id=payload.user_id
        )
        return _dispatch(services, session, who, command)


def _dispatch(services: Services, session: Session, who: Actor, command: Command) -> Reply:
    if isinstance(command, Help):
        steps = organisation.next_steps(session=session, actor=who)
        return render("commands/help", steps=steps), [new_cycle_button()] if who.is_admin else []
    if isinstance(command, CycleAdd):
        today = local_date(services.clock(), who.person.tz)
        cycle, previous = organisation.add_cycle(
            session=session,
            actor=who,
            name=command.name,
            start=command.start,
            end=command.end,
            today=today,
        )
        return render("commands/cycle_added", cycle=cycle, previous=previous), []
    if isinstance(command, UnitAdd):
        added = organisation.add_unit(
            session=session,
            actor=who,
            name=command.name,
            parent_name=command.parent,
            manager_user_id=command.manager,
        )
        return render("commands/unit_added", added=added), []
    if isinstance(command, UnitMembers):
        result = organisation.set_unit_members(
            session=session, actor=who, name=command.name, member_user_ids=list(command.members)
        )
        return render("commands/members_set", result=result), []
    assert isinstance(command, NotYetAvailable)
    return render("commands/not_yet_available", command=command.command), []
