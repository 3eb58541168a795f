"""Modals Cascade opens, built from prompts/."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.action_ids import BARRIER_FORM, CHECKIN_FORM, CYCLE_FORM, SUGGEST_FORM
from bot.turns import choice_button
from conversations.views.mine import MyGoals
from prompts import render, render_plain
from storage.models import Confidence, Goal, Person


def cycle_form() -> dict[str, Any]:
    return blocks.form(
        CYCLE_FORM,
        render_plain("cycle_form/title"),
        render_plain("cycle_form/submit"),
        [
            blocks.text_input("name", render_plain("cycle_form/name_label")),
            blocks.date_input("start", render_plain("cycle_form/start_label")),
            blocks.date_input("end", render_plain("cycle_form/end_label")),
        ],
        intro=render("cycle_form/intro"),
    )


def new_cycle_button() -> blocks.Block:
    return blocks.actions(blocks.button(render_plain("buttons/new_cycle"), CYCLE_FORM))


def suggest_form(goal: Goal, owner: Person, metadata: str) -> dict[str, Any]:
    """The manager's comment when suggesting changes; `metadata` says which goal and message."""
    view = blocks.form(
        SUGGEST_FORM,
        render_plain("agreement/form_title"),
        render_plain("agreement/form_submit"),
        [
            blocks.text_input(
                "comment", render_plain("agreement/form_label"), max_length=3000, multiline=True
            )
        ],
        intro=render("agreement/form_intro", goal=goal, owner=owner),
    )
    view["private_metadata"] = metadata
    return view


IN_THE_WAY = "in_the_way"


def checkin_form(goals: list[Goal]) -> dict[str, Any]:
    """One modal for the whole check-in: per goal progress, confidence and a note; then "anything
    in the way?". Block ids name the goal: `progress_<id>`, `confidence_<id>`, `note_<id>`."""
    options = [(render_plain(f"checkin/{c.value}"), c.value) for c in Confidence]
    inputs: list[blocks.Block] = []
    for goal in goals:
        inputs.append(blocks.sections(render("checkin/goal_heading", goal=goal))[0])
        inputs.append(
            blocks.text_input(
                f"progress_{goal.id}",
                render_plain("checkin/progress_label"),
                initial=str(goal.progress),
                max_length=5,
            )
        )
        inputs.append(
            blocks.select_input(
                f"confidence_{goal.id}",
                render_plain("checkin/confidence_label"),
                options,
                initial=goal.confidence or Confidence.ON_TRACK.value,
            )
        )
        inputs.append(
            blocks.text_input(
                f"note_{goal.id}",
                render_plain("checkin/note_label"),
                max_length=3000,
                multiline=True,
                optional=True,
            )
        )
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
    view = blocks.form(
        CHECKIN_FORM,
        render_plain("checkin/form_title"),
        render_plain("checkin/form_submit"),
        inputs,
        intro=render("checkin/form_intro"),
    )
    view["private_metadata"] = ",".join(str(g.id) for g in goals)
    return view


BARRIER_TEXT = "what"


def barrier_form() -> dict[str, Any]:
    """Report a barrier: one question, what is in the way."""
    return blocks.form(
        BARRIER_FORM,
        render_plain("barrier/form_title"),
        render_plain("barrier/form_submit"),
        [
            blocks.text_input(
                BARRIER_TEXT, render_plain("barrier/form_label"), max_length=3000, multiline=True
            )
        ],
        intro=render("barrier/form_intro"),
    )


def goal_buttons(found: MyGoals) -> list[blocks.Block]:
    """Under `/goals mine` and the Home: a row per goal its owner can act on now."""
    return [blocks.actions(*map(choice_button, row)) for row in found.choices]
