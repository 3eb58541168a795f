"""Modals Cascade opens, built from prompts/."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.action_ids import CYCLE_FORM, SUGGEST_FORM
from bot.turns import choice_button
from conversations.views import MyGoals
from prompts import render, render_plain
from storage.models import Goal, Person


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


def goal_buttons(found: MyGoals) -> list[blocks.Block]:
    """Under `/goals mine` and the Home: a row per goal its owner can act on now."""
    return [blocks.actions(*map(choice_button, row)) for row in found.choices]
