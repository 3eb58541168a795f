"""Modals: each form is declared beside its modal in this package (bot/triggers.py); a form's
errors go back in the ack, on their fields. The fallback (registered last) closes a modal nothing
knows any more, saying so."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks, triggers
from bot.payloads import ViewSubmission
from bot.services import Services
from bot.triggers import FORMS, Form
from bot.work import acting
from conversations.actor import permit
from conversations.errors import Refusal
from prompts import exists, render, render_plain

triggers.load(sys.modules[__name__])

Errors = dict[str, str]  # block id → what is wrong with it


def field_errors(refusal: Refusal, fields: tuple[str, ...]) -> Errors:
    """Each refusal on the input it is about (else on the form's first input), in the form's own
    words where a command's would not fit (prompts/form_errors/ over prompts/errors/)."""
    errors: Errors = {}
    for one in getattr(refusal, "refusals", [refusal]):
        field = one.field if one.field in fields else fields[0]
        template = f"form_errors/{one.code}"
        if not exists(template):
            template = f"errors/{one.code}"
        errors.setdefault(field, render_plain(template, **one.params))
    return errors


def submit(services: Services, client: WebClient, form: Form, submission: ViewSubmission) -> Errors:
    """The form's unit of work: no Web API call before the ack, so its errors can go back in it;
    what it owes (its reply, by DM) is delivered after."""
    try:
        with acting(
            services=services,
            client=client,
            team_id=submission.team_id,
            user_id=submission.user_id,
            ack_path=True,
        ) as a:
            permit(session=a.session, actor=a.actor, who=form.who)
            reply = form.submit(a, submission)
            if reply.text:
                a.owe_text(reply.text)
    except Refusal as refusal:
        return field_errors(refusal, form.fields(submission))
    return {}


def register(app: App, services: Services) -> None:
    for callback_id, form in FORMS.items():
        app.view(callback_id)(_submitted(services, form))

    @app.view(re.compile(".*"))
    def stale_view(ack: Ack) -> None:
        ack(response_action="update", view=blocks.modal("Cascade", render("errors/stale_view")))


def _submitted(services: Services, form: Form) -> Callable[..., None]:
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        errors = submit(services, client, form, ViewSubmission.parse(body))
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    submitted.__name__ = form.submit.__name__
    return submitted
