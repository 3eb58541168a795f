"""Modal submissions: the New cycle form and Suggest changes. The fallback (registered last)
closes a modal nothing knows any more, saying so."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.action_ids import BARRIER_FORM, CHECKIN_FORM, CYCLE_FORM, SUGGEST_FORM
from bot.forms import BARRIER_TEXT, IN_THE_WAY
from bot.payloads import ViewSubmission, parse_id
from bot.services import Services
from bot.work import Acting, acting
from conversations.errors import Refusal
from conversations.services import agreement, barrier, checkin, organisation, planning
from prompts import exists, render, render_plain

Errors = dict[str, str]  # block id → what is wrong with it
CYCLE_FIELDS = ("name", "start", "end")  # the cycle form's inputs, by the field they hold


def _field_error(refusal: Refusal, fields: tuple[str, ...]) -> dict[str, str]:
    """Each refusal on the input it is about (else on the form's first input), in the form's own
    words where a command's would not fit (prompts/form_errors/ over prompts/errors/)."""
    errors: dict[str, str] = {}
    for one in getattr(refusal, "refusals", [refusal]):
        field = one.field if one.field in fields else fields[0]
        template = f"form_errors/{one.code}"
        if not exists(template):
            template = f"errors/{one.code}"
        errors.setdefault(field, render_plain(template, **one.params))
    return errors


def _acting(
    services: Services, client: WebClient, submission: ViewSubmission
) -> AbstractContextManager[Acting]:
    """A modal's unit of work: its errors go back in the ack, so no Web API call before it."""
    return acting(
        services=services,
        client=client,
        team_id=submission.team_id,
        user_id=submission.user_id,
        ack_path=True,
    )


def submit_cycle(*, services: Services, client: WebClient, submission: ViewSubmission) -> Errors:
    """Create the cycle (its confirmation is owed to the admin's DM); returns field errors."""
    values = submission.values
    try:
        name = organisation.clean_name(values.get("name", ""))
        start = organisation.iso_date(values.get("start", ""), field="start")
        end = organisation.iso_date(values.get("end", ""), field="end")
        with _acting(services, client, submission) as a:
            today = planning.today(session=a.session, team_id=a.actor.team_id, now=a.now)
            added = organisation.add_cycle(
                session=a.session, actor=a.actor, name=name, start=start, end=end, today=today
            )
            a.owe_text(render("commands/cycle_added", added=added))
    except Refusal as refusal:
        return _field_error(refusal, CYCLE_FIELDS)
    return {}


def submit_suggestion(
    *, services: Services, client: WebClient, submission: ViewSubmission
) -> Errors:
    """Return the goal to its owner with the manager's comment; returns field errors.

    The manager's message with the buttons becomes the record of what was done."""
    goal_id, _, where = submission.private_metadata.partition("|")
    channel, _, ts = where.partition("|")
    try:
        with _acting(services, client, submission) as a:
            decision = agreement.suggest_changes(
                session=a.session,
                actor=a.actor,
                goal_id=parse_id(goal_id) or 0,
                comment=submission.values.get("comment", ""),
                now=a.now,
            )
            a.owe_notices(decision.notices)
            done = render("agreement/suggested_manager", goal=decision.goal, owner=decision.owner)
            a.owe_text(done, replacing=(channel, ts) if channel and ts else None)
    except Refusal as refusal:
        return _field_error(refusal, ("comment",))
    return {}


def submit_checkin(*, services: Services, client: WebClient, submission: ViewSubmission) -> Errors:
    """Record the check-in (and a barrier, if something is in the way); confirmed in the DM."""
    goal_ids = [i for i in (parse_id(x) for x in submission.private_metadata.split(",")) if i]
    values = submission.values
    answers = [
        checkin.Answer(
            goal_id=goal_id,
            progress=values.get(f"progress_{goal_id}", ""),
            confidence=values.get(f"confidence_{goal_id}", ""),
            note=values.get(f"note_{goal_id}", ""),
        )
        for goal_id in goal_ids
    ]
    fields = (*(f"{kind}_{i}" for i in goal_ids for kind in ("progress", "confidence")), IN_THE_WAY)
    try:
        with _acting(services, client, submission) as a:
            recorded = checkin.record(
                session=a.session,
                actor=a.actor,
                answers=answers,
                in_the_way=values.get(IN_THE_WAY, ""),
                now=a.now,
            )
            a.owe_notices(recorded.notices)
            a.owe_text(render("checkin/recorded", recorded=recorded, limit=barrier.TEXT_LIMIT))
    except Refusal as refusal:
        return _field_error(refusal, fields)
    return {}


def submit_barrier(*, services: Services, client: WebClient, submission: ViewSubmission) -> Errors:
    """Report a barrier from the Home's form; the reporter's confirmation comes by DM."""
    try:
        with _acting(services, client, submission) as a:
            reported = barrier.report(
                session=a.session,
                actor=a.actor,
                text=submission.values.get(BARRIER_TEXT, ""),
                now=a.now,
            )
            a.owe_notices(reported.notices)
            a.owe_text(
                render(
                    "barrier/reported",
                    holder=reported.holder,
                    barrier=reported.barrier,
                    trimmed=reported.trimmed,
                    limit=barrier.TEXT_LIMIT,
                )
            )
    except Refusal as refusal:
        return _field_error(refusal, (BARRIER_TEXT,))
    return {}


FORMS: dict[str, Callable[..., Errors]] = {
    CYCLE_FORM: submit_cycle,
    SUGGEST_FORM: submit_suggestion,
    CHECKIN_FORM: submit_checkin,
    BARRIER_FORM: submit_barrier,
}


def register(app: App, services: Services) -> None:
    """Each form's errors come back in the ack; what it owes is delivered after it."""
    for callback_id, submit in FORMS.items():
        app.view(callback_id)(_submitted(services, submit))

    @app.view(re.compile(".*"))
    def stale_view(ack: Ack) -> None:
        ack(response_action="update", view=blocks.modal("Cascade", render("errors/stale_view")))


def _submitted(services: Services, submit: Callable[..., Errors]) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        errors = submit(services=services, client=client, submission=ViewSubmission.parse(body))
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    submitted.__name__ = submit.__name__
    return submitted
