"""Button clicks. Every button is an `Offer` (conversations/offers.py: its action id, value and
who may click), handled in this package (`@clicked`) or by the flow it starts (its `entries`);
a flow's question has its own answer buttons. The fallback (registered last) answers clicks on
buttons nothing knows any more."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import triggers
from bot.errors import reported
from bot.handling import Origin, Reply, perform
from bot.payloads import Click, Malformed
from bot.services import Services
from bot.triggers import CLICKS
from bot.turns import FLOW_ANSWER, answered, parse_answer
from bot.work import Acting
from conversations.actor import Who
from conversations.flows.registry import FLOWS
from conversations.flows.spec import FlowSpec
from conversations.offers import Offer
from prompts import render

triggers.load(sys.modules[__name__])

ClickRun = Callable[[Acting, Click, Any], Reply]
FLOW_ANSWERS = re.compile(f"^{FLOW_ANSWER}\\d+$")


def _starts(spec: FlowSpec, offer: Offer) -> ClickRun:
    """A button that starts (or resumes) a flow, as the flow's entry for it says."""
    entry = spec.starting.entries[offer]

    def start(a: Acting, click: Click, value: Any) -> Reply:
        return Reply(turn=a.start_flow(spec.name, entry(value)))

    start.__name__ = f"start_{spec.name}"
    return start


def handlers() -> dict[Offer, ClickRun]:
    """Every offer's handler: its own, or the flow it starts."""
    found: dict[Offer, ClickRun] = {o: h.run for o, h in CLICKS.items()}
    for spec in FLOWS.values():
        for offer in spec.starting.entries:
            if offer in found:
                raise TypeError(f"{offer} is handled twice")
            found[offer] = _starts(spec, offer)
    return found


def answer_flow(a: Acting, click: Click, value: None) -> Reply:
    """A button under a flow's question: the same as typing that answer, if still current."""
    parsed = parse_answer(click.value)
    if parsed is None:
        return Reply(render("errors/not_a_flow_button"))
    target, answer = parsed
    turn = a.reply(answer, clicked=target)
    if turn is None:
        return Reply()
    replace = answered(click, turn.redrawn) if turn.accepted and click.message_blocks else None
    return Reply(turn=turn, replace=replace)


def check_value(click: Click) -> None:
    """Refuse a click whose value no Cascade button carries (a 400, as for a payload of a shape
    Slack never sends: bot/errors.py)."""
    if FLOW_ANSWERS.match(click.action_id):
        valid = parse_answer(click.value) is not None
    else:
        offer = next((o for o in Offer if o.action_id == click.action_id), None)
        valid = offer is None or _reads(offer, click.value)
    if not valid:
        raise Malformed(f"{click.action_id} cannot carry {click.value[:40]!r}")


def _reads(offer: Offer, value: str) -> bool:
    try:
        offer.read(value)
    except ValueError:
        return False
    return True


def _ack(ack: Ack, body: dict[str, Any]) -> None:
    check_value(Click.parse(body))  # parsing only: nothing is read or written before the ack
    ack()


def register(app: App, services: Services) -> None:
    """Every click is acknowledged at once; the work, and its Web API calls, run lazily."""
    for offer, run in handlers().items():
        app.action(offer.action_id)(ack=_ack, lazy=[reported(_lazy(services, run, offer))])
    app.action(FLOW_ANSWERS)(ack=_ack, lazy=[reported(_lazy(services, answer_flow))])

    def stale_action(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        Origin.of(body, client, respond).tell(render("errors/stale_button"))

    app.action(re.compile(".*"))(ack=_ack, lazy=[reported(stale_action)])  # last: the rest


def _lazy(services: Services, run: ClickRun, offer: Offer | None = None) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        click = Click.parse(body)
        if offer is not None and not _reads(offer, click.value):
            return  # refused in its ack, with a 400 (Bolt runs lazy listeners even so)
        value = offer.read(click.value) if offer is not None else None
        origin = Origin.of(body, client, respond)
        who = offer.who if offer is not None else Who.ANYONE

        def handle(a: Acting, _: None) -> Reply:
            return run(a, click, value)

        handle.__name__ = run.__name__
        perform(services, origin, handle, None, who=who)

    lazy.__name__ = lazy.__qualname__ = run.__name__
    return lazy
