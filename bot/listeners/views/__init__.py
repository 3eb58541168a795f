"""Modal submissions. The fallback closes a modal no flow knows any more, saying so."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.listeners.forms import CYCLE_FORM, SUGGEST_FORM
from bot.payloads import ViewSubmission
from bot.people import actor, local_date, refresh_directory
from bot.services import Services
from bot.turns import send_notices
from conversations import agreement, organisation
from conversations.errors import Refusal
from prompts import render, render_plain
from storage.db import transaction

# Which field of the cycle form each refusal belongs on.
CYCLE_FIELD = {"bad_date": "start", "end_before_start": "end", "cycle_in_past": "end"}


def _date(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refusal("bad_date", value=raw[:40], what=what) from None


def submit_cycle(
    *, services: Services, client: WebClient, submission: ViewSubmission
) -> tuple[dict[str, str], str | None]:
    """Create the cycle; returns (field errors, confirmation text)."""
    refresh_directory(
        services=services, client=client, team_id=submission.team_id, user_ids=[submission.user_id]
    )
    values = submission.values
    try:
        name = organisation.clean_name(values.get("name", ""), "cycle_add")
        start = _date(values.get("start", ""), "start")
        end = _date(values.get("end", ""), "end")
        with transaction(services.engine) as session:
            who = actor(
                services=services,
                session=session,
                team_id=submission.team_id,
                user_id=submission.user_id,
            )
            today = local_date(services.clock(), who.person.tz)
            cycle, previous = organisation.add_cycle(
                session=session, actor=who, name=name, start=start, end=end, today=today
            )
    except Refusal as refusal:
        field = CYCLE_FIELD.get(refusal.code, "name")
        if refusal.code == "bad_date" and refusal.params.get("what") == "end":
            field = "end"
        return {field: render_plain(f"errors/{refusal.code}", **refusal.params)}, None
    return {}, render("commands/cycle_added", cycle=cycle, previous=previous)


def register(app: App, services: Services) -> None:
    @app.view(CYCLE_FORM)
    def cycle_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = ViewSubmission.parse(body)
        errors, confirmation = submit_cycle(services=services, client=client, submission=submission)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        if confirmation:
            client.chat_postMessage(channel=submission.user_id, **blocks.message(confirmation))

    @app.view(SUGGEST_FORM)
    def suggestion_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = ViewSubmission.parse(body)
        goal_id, _, where = submission.private_metadata.partition("|")
        channel, _, ts = where.partition("|")
        try:
            with transaction(services.engine) as session:
                who = actor(
                    services=services,
                    session=session,
                    team_id=submission.team_id,
                    user_id=submission.user_id,
                )
                decision = agreement.suggest_changes(
                    session=session,
                    actor=who,
                    goal_id=int(goal_id) if goal_id.isdigit() else 0,
                    comment=submission.values.get("comment", ""),
                    now=services.clock(),
                )
        except Refusal as refusal:
            ack(
                response_action="errors",
                errors={"comment": render_plain(f"errors/{refusal.code}", **refusal.params)},
            )
            return
        ack()
        done = blocks.message(
            render("agreement/suggested_manager", goal=decision.goal, owner=decision.owner)
        )
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, **done)
        else:
            client.chat_postMessage(channel=submission.user_id, **done)
        send_notices(client=client, notices=decision.notices)

    @app.view(re.compile(".*"))
    def stale_view(ack: Ack) -> None:
        ack(response_action="update", view=blocks.modal("Cascade", render("errors/stale_view")))
