"""Modal submissions: the New cycle form and Suggest changes. The fallback (registered last)
closes a modal nothing knows any more, saying so."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.errors import after_ack
from bot.listeners.forms import CYCLE_FORM, SUGGEST_FORM
from bot.payloads import ViewSubmission
from bot.people import Acting, acting
from bot.services import Services
from bot.turns import send_notices
from conversations import agreement, organisation
from conversations.errors import Refusal
from prompts import render, render_plain

# Which field of the cycle form each refusal belongs on (the rest go on the name).
CYCLE_FIELD = {"end_before_start": "end", "cycle_in_past": "end"}


def _field_error(refusal: Refusal, field: str) -> dict[str, str]:
    return {field: render_plain(f"errors/{refusal.code}", **refusal.params)}


def _acting(
    services: Services, client: WebClient, submission: ViewSubmission
) -> AbstractContextManager[Acting]:
    """A modal's unit of work: its errors go back in the ack, so no Web API call before it."""
    return acting(
        services=services,
        client=client,
        team_id=submission.team_id,
        user_id=submission.user_id,
        refresh=False,
    )


def submit_cycle(
    *, services: Services, client: WebClient, submission: ViewSubmission
) -> tuple[dict[str, str], str | None]:
    """Create the cycle; returns (field errors, confirmation text)."""
    values = submission.values
    try:
        name = organisation.clean_name(values.get("name", ""), "cycle_add")
        start = organisation.iso_date(values.get("start", ""), what="start", usage="cycle_add")
        end = organisation.iso_date(values.get("end", ""), what="end", usage="cycle_add")
        with _acting(services, client, submission) as a:
            cycle, previous = organisation.add_cycle(
                session=a.session, actor=a.actor, name=name, start=start, end=end, today=a.today
            )
    except Refusal as refusal:
        field = refusal.params.get("what") if refusal.code == "bad_date" else None
        return _field_error(refusal, str(field or CYCLE_FIELD.get(refusal.code, "name"))), None
    return {}, render("commands/cycle_added", cycle=cycle, previous=previous)


def submit_suggestion(
    *, services: Services, client: WebClient, submission: ViewSubmission
) -> tuple[dict[str, str], agreement.Decision | None]:
    """Return the goal to its owner with the manager's comment; (field errors, decision)."""
    goal_id = submission.private_metadata.partition("|")[0]
    try:
        with _acting(services, client, submission) as a:
            decision = agreement.suggest_changes(
                session=a.session,
                actor=a.actor,
                goal_id=int(goal_id) if goal_id.isdigit() else 0,
                comment=submission.values.get("comment", ""),
                now=a.now,
            )
    except Refusal as refusal:
        return _field_error(refusal, "comment"), None
    return {}, decision


def tell_both(client: WebClient, submission: ViewSubmission, decision: agreement.Decision) -> None:
    """The manager's message becomes the record of what was done; the owner gets the comment."""
    done = blocks.message(
        render("agreement/suggested_manager", goal=decision.goal, owner=decision.owner)
    )
    _, _, where = submission.private_metadata.partition("|")
    channel, _, ts = where.partition("|")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, **done)
    else:
        client.chat_postMessage(channel=submission.user_id, **done)
    send_notices(client=client, notices=decision.notices)


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
            text = confirmation
            after_ack(
                services,
                lambda: client.chat_postMessage(channel=submission.user_id, **blocks.message(text)),
            )

    @app.view(SUGGEST_FORM)
    def suggestion_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = ViewSubmission.parse(body)
        errors, decision = submit_suggestion(
            services=services, client=client, submission=submission
        )
        if decision is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        after_ack(services, lambda: tell_both(client, submission, decision))

    @app.view(re.compile(".*"))
    def stale_view(ack: Ack) -> None:
        ack(response_action="update", view=blocks.modal("Cascade", render("errors/stale_view")))
