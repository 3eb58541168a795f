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
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot import inbox, triggers
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
from storage.models import InboxMessage

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


def register(app: App, services: Services) -> None:
    """Every click is recorded in the inbox and acknowledged at once; the work, and its Web API
    calls, run lazily, from the inbox (bot/inbox.py)."""

    def record(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        click = Click.parse(body)  # parsing only: nothing is read before the ack
        check_value(click)
        action = (body.get("actions") or [{}])[0]
        delivery = click.trigger_id or str(action.get("action_ts") or "")
        received = inbox.record(
            services,
            team_id=click.team_id,
            user_id=click.user_id,
            kind=inbox.ACTION,
            delivery=f"a:{delivery}" if delivery else "",
            body=body,
            said=click.label or click.value,
        )
        ack()
        inbox.after_ack(services, client, received)

    routes = {offer.action_id: (offer, run) for offer, run in handlers().items()}
    inbox.replays(inbox.ACTION, lambda s, client, row: replay(s, client, row, routes))
    app.action(re.compile(".*"))(record)


def replay(
    services: Services,
    client: WebClient,
    row: InboxMessage,
    routes: dict[str, tuple[Offer, ClickRun]],
) -> None:
    """A recorded click's work: its button's handler (a flow's answer button; else a button
    nothing knows any more), as when it came."""
    body = row.payload["body"]
    click = Click.parse(body)
    respond = Respond(response_url=body["response_url"]) if body.get("response_url") else None
    origin = Origin.of(body, client, respond)
    if click.action_id in routes:
        offer, run = routes[click.action_id]
        if _reads(offer, click.value):
            _perform(services, origin, click, run, offer)
    elif FLOW_ANSWERS.match(click.action_id):
        _perform(services, origin, click, answer_flow, None)
    else:
        origin.tell(render("errors/stale_button"))


def _perform(
    services: Services, origin: Origin, click: Click, run: ClickRun, offer: Offer | None
) -> None:
    value = offer.read(click.value) if offer is not None else None
    who = offer.who if offer is not None else Who.ANYONE

    def handle(a: Acting, _: None) -> Reply:
        return run(a, click, value)

    handle.__name__ = run.__name__
    perform(services, origin, handle, None, who=who)
