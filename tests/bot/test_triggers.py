"""Every declaration of a thing a person can trigger (bot/triggers.py) is whole: a subcommand has
its right form, a button its label and one handler, a form its inputs; the manifest's usage hint
is made from the declarations. (The authorization matrix checks each one's audience:
tests/faults/test_authorization.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.listeners import commands, views
from bot.listeners.actions import handlers
from bot.triggers import FORMS, SUBCOMMANDS
from bot.turns import FLOW_ANSWER
from conversations.offers import Offer
from prompts import exists, render, under

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def test_every_subcommand_has_its_right_form_and_every_form_its_subcommand() -> None:
    assert commands.SUBCOMMANDS is SUBCOMMANDS
    declared = {f"commands/usage/{s.usage}" for s in SUBCOMMANDS.values()}
    assert declared == set(under("commands/usage"))
    for name, subcommand in SUBCOMMANDS.items():
        assert render(f"commands/usage/{subcommand.usage}").startswith(f"`/goals {name}"), name


def test_every_button_has_a_label_one_handler_and_its_own_action_id() -> None:
    assert set(handlers()) == set(Offer)
    assert [o for o in Offer if not exists(f"buttons/{o.value}")] == []
    ids = [o.action_id for o in Offer]
    assert len(set(ids)) == len(ids)
    assert not any(i.startswith(FLOW_ANSWER) for i in ids)


def test_every_form_names_its_inputs() -> None:
    assert views.FORMS is FORMS
    assert set(FORMS) == {
        "cycle_new",
        "goal_suggest",
        "checkin",
        "barrier_new",
        "commitment_help",
        "one_on_one_topic",
    }
    for form in FORMS.values():
        assert form.fields is not None, form.callback_id


def usage_hint() -> str:
    """The manifest's usage hint, made from the subcommands declared with a place in it."""
    hinted = sorted((s.hint, s) for s in SUBCOMMANDS.values() if s.hint)
    words = []
    for _, subcommand in hinted:
        first = re.search(r"`/goals ([^`]*)`", render(f"commands/usage/{subcommand.usage}"))
        assert first is not None, subcommand.name
        words.append(first.group(1).replace("&lt;", "<").replace("&gt;", ">"))
    return " | ".join(words)


def test_the_manifest_usage_hint_is_made_from_the_declarations() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    [goals] = manifest["features"]["slash_commands"]
    assert goals["usage_hint"] == usage_hint(), "copy this hint into manifest.yml"
