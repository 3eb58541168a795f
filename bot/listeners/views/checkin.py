"""The check-in form: per goal progress, confidence and a note; then "anything in the way?".
Its inputs are named by conversations/services/checkin.py (`input_name`, `IN_THE_WAY`)."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.handling import Reply
from bot.listeners.views.modal import modal
from bot.payloads import ViewSubmission
from bot.triggers import form
from bot.work import Acting
from conversations.offers import parse_id
from conversations.services import barrier, checkin
from conversations.services.checkin import IN_THE_WAY, input_name
from conversations.services.commitments import CAME, NOT_YET
from prompts import render, render_plain
from storage.models import Commitment, Confidence, Goal

FORM = "checkin"
PROMISES_ASKED = 3  # per goal: a modal holds 100 blocks


def _goal_inputs(goal: Goal, options: list[tuple[str, str]]) -> list[blocks.Block]:
    assert goal.id is not None
    return [
        blocks.sections(render("checkin/goal_heading", goal=goal))[0],
        blocks.text_input(
            input_name("progress", goal.id),
            render_plain("checkin/progress_label"),
            initial=str(goal.progress),
            max_length=5,
        ),
        blocks.select_input(
            input_name("confidence", goal.id),
            render_plain("checkin/confidence_label"),
            options,
            initial=goal.confidence or Confidence.ON_TRACK.value,
        ),
        blocks.text_input(
            input_name("note", goal.id),
            render_plain("checkin/note_label"),
            max_length=3000,
            multiline=True,
            optional=True,
        ),
    ]


def checkin_modal(a: Acting) -> dict[str, Any]:
    """The check-in form for this person now, or a refusal saying why there is nothing to ask."""
    goals = checkin.form_goals(session=a.session, actor=a.actor)
    return checkin_form(
        goals, checkin.promised(session=a.session, actor=a.actor, goals_asked=goals)
    )


def _promise_inputs(promises: list[Commitment]) -> list[blocks.Block]:
    """Per promise of help on the goal: did it come?"""
    options = [(render_plain(f"checkin/help_{a}"), a) for a in (CAME, NOT_YET)]
    return [
        blocks.select_input(
            input_name("help", c.id or 0),
            render_plain("checkin/help_label", commitment=c),
            options,
            optional=True,
        )
        for c in promises
    ]


def checkin_form(goals: list[Goal], promised: dict[int, list[Commitment]]) -> dict[str, Any]:
    """One modal for the whole check-in; its metadata lists the goals it asks about."""
    options = [(render_plain(f"checkin/{c.value}"), c.value) for c in Confidence]
    inputs = [
        block
        for goal in goals
        for block in [
            *_goal_inputs(goal, options),
            *_promise_inputs(promised.get(goal.id or 0, [])[:PROMISES_ASKED]),
        ]
    ]
    inputs.append(
        blocks.text_input(
            IN_THE_WAY,
            render_plain("checkin/in_the_way_label"),
            max_length=3000,
            multiline=True,
            optional=True,
            hint=render_plain("checkin/in_the_way_hint"),
        )
    )
    view = modal(FORM, "checkin/form_", inputs)
    view["private_metadata"] = ",".join(str(g.id) for g in goals)
    return view


def _help_said(values: dict[str, str]) -> dict[int, str]:
    """The answers about promises of help: commitment id → "came" or "not_yet"."""
    said = {}
    for name, value in values.items():
        kind, _, number = name.partition("_")
        commitment_id = parse_id(number) if kind == "help" else None
        if commitment_id is not None and value in (CAME, NOT_YET):
            said[commitment_id] = value
    return said


def _goal_ids(submission: ViewSubmission) -> list[int]:
    return [i for i in (parse_id(x) for x in submission.private_metadata.split(",")) if i]


def _fields(submission: ViewSubmission) -> tuple[str, ...]:
    kinds = ("progress", "confidence")
    return (*(input_name(kind, i) for i in _goal_ids(submission) for kind in kinds), IN_THE_WAY)


@form(FORM, fields=_fields)
def submit_checkin(a: Acting, submission: ViewSubmission) -> Reply:
    """Record the check-in (and a barrier, if something is in the way); confirmed in the DM."""
    values = submission.values
    answers = [
        checkin.Answer(
            goal_id=goal_id,
            progress=values.get(input_name("progress", goal_id), ""),
            confidence=values.get(input_name("confidence", goal_id), ""),
            note=values.get(input_name("note", goal_id), ""),
            help=_help_said(values),
        )
        for goal_id in _goal_ids(submission)
    ]
    recorded = checkin.record(
        session=a.session,
        actor=a.actor,
        answers=answers,
        in_the_way=values.get(IN_THE_WAY, ""),
        now=a.now,
    )
    a.owe_notices(recorded.notices)
    return Reply(render("checkin/recorded", recorded=recorded, limit=barrier.TEXT_LIMIT))
