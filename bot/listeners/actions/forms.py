"""Buttons that open a form: Check in, Report a barrier, New cycle."""

from __future__ import annotations

from bot.handling import Reply
from bot.listeners.views.barrier import barrier_form
from bot.listeners.views.checkin import checkin_modal
from bot.listeners.views.cycle import cycle_form
from bot.payloads import Click
from bot.triggers import clicked
from bot.work import Acting
from conversations.offers import Offer


@clicked(Offer.CHECK_IN)
def open_checkin(a: Acting, click: Click, value: None) -> Reply:
    """Check in: the one form, for every agreed goal."""
    return Reply(modal=checkin_modal(a))


@clicked(Offer.NEW_CYCLE)
def open_cycle_form(a: Acting, click: Click, value: None) -> Reply:
    """The New cycle form, for an admin (the button is shown to admins; a forged click is not)."""
    return Reply(modal=cycle_form())


@clicked(Offer.REPORT_BARRIER)
def open_barrier_form(a: Acting, click: Click, value: None) -> Reply:
    return Reply(modal=barrier_form())
