"""Button clicks: answers to a flow's question, agreement, forms. `HANDLERS` is the one table
from action id to handler; the fallback (registered last) answers clicks on buttons nothing knows
any more."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.action_ids import CYCLE_FORM, FLOW_ANSWER, OFFERS
from bot.errors import reported
from bot.forms import barrier_form, checkin_form, cycle_form, suggest_form
from bot.payloads import Click, Malformed, parse_id
from bot.reply import refusal_text, tell_user
from bot.services import Services
from bot.turns import answered, parse_answer, updated
from bot.work import Acting, acting
from conversations.errors import Refusal
from conversations.flows import goal_closing, goal_interview, objectives
from conversations.offers import Offer
from conversations.services import agreement, barrier, checkin, organisation
from prompts import render
from storage import goals, people

Handler = Callable[[Services, dict[str, Any], WebClient, Any], None]


def _goal_id(click: Click) -> int:
    goal_id = parse_id(click.value)
    if goal_id is None:
        raise Refusal("goal_gone")
    return goal_id


def answer_flow(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    """A button under a flow's question: the same as typing that answer, if still current."""
    click = Click.parse(body)
    parsed = parse_answer(click.value)
    if parsed is None:
        tell_user(
            body=body, respond=respond, client=client, text=render("errors/not_a_flow_button")
        )
        return
    target, value = parsed
    with acting(
        services=services, client=client, team_id=click.team_id, user_id=click.user_id
    ) as a:
        turn = a.reply(value, clicked=target)
        if turn is not None:
            a.owe_turn(turn)
    if turn is not None and turn.accepted and click.message_blocks:
        # the question loses its buttons
        respond(**answered(click, turn.redrawn), replace_original=True)


def agree(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            decision = agreement.agree(
                session=a.session, actor=a.actor, goal_id=_goal_id(click), now=a.now
            )
            a.owe_notices(decision.notices)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    text = render("agreement/agreed_manager", goal=decision.goal, owner=decision.owner)
    respond(**blocks.message(text), replace_original=True)


def open_suggestion_form(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            goal, owner = agreement.check_may_decide(
                session=a.session, actor=a.actor, goal_id=_goal_id(click)
            )
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    container = body.get("container") or {}
    where = f"{goal.id}|{container.get('channel_id', '')}|{container.get('message_ts', '')}"
    client.views_open(trigger_id=click.trigger_id, view=suggest_form(goal, owner, where))


def _start(flow: str, answers: Callable[[Click], dict[str, Any]]) -> Handler:
    """A button that starts (or resumes) a flow: Set my goals, Revise, Plan our objectives."""

    def start(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        click = Click.parse(body)
        try:
            with acting(
                services=services, client=client, team_id=click.team_id, user_id=click.user_id
            ) as a:
                a.owe_turn(a.start_flow(flow, answers(click)))
        except Refusal as refusal:
            tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))

    return start


def open_checkin(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    """Check in: the one form, for every agreed goal."""
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            asked = checkin.form_goals(session=a.session, actor=a.actor)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    client.views_open(trigger_id=click.trigger_id, view=checkin_form(asked))


def _barrier_event(event: barrier.Event) -> Handler:
    """Acknowledge, Resolved or Escalate, on a barrier's message."""

    def act(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        click = Click.parse(body)
        try:
            with acting(
                services=services, client=client, team_id=click.team_id, user_id=click.user_id
            ) as a:
                decision = barrier.act(
                    session=a.session,
                    actor=a.actor,
                    barrier_id=_barrier_id(click),
                    event=event,
                    now=a.now,
                )
                a.owe_notices(decision.notices)
                reporter = people.get_person_by_id(
                    session=a.session,
                    team_id=a.actor.team_id,
                    person_id=decision.barrier.reporter_id,
                )
                mine = decision.barrier.holder_id == a.actor.person_id
        except Refusal as refusal:
            tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
            return
        if click.message_blocks:  # the message keeps its words; its buttons say what is left
            done = render(
                "barrier/holder_done",
                event=event.value,
                holder=decision.holder,
                reporter=reporter if reporter and reporter.id != a.actor.person_id else None,
            )
            left = barrier.holder_choices(decision.barrier) if mine else ()
            respond(**updated(click, done, left), replace_original=True)

    act.__name__ = f"barrier_{event.value}"
    return act


def _barrier_id(click: Click) -> int:
    barrier_id = parse_id(click.value)
    if barrier_id is None:
        raise Refusal("barrier_gone")
    return barrier_id


def report_anticipated(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    """One click: the barrier a person anticipated when they set the goal is in the way now."""
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            goal = goals.get_goal(
                session=a.session, team_id=a.actor.team_id, goal_id=_goal_id(click)
            )
            if goal is None or goal.owner_id != a.actor.person_id or not goal.anticipated_barriers:
                raise Refusal("goal_gone")
            reported = barrier.report(
                session=a.session,
                actor=a.actor,
                text=goal.anticipated_barriers,
                now=a.now,
                goal_id=goal.id,
            )
            a.owe_notices(reported.notices)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    text = render(
        "barrier/reported",
        holder=reported.holder,
        barrier=reported.barrier,
        trimmed=reported.trimmed,
        limit=barrier.TEXT_LIMIT,
    )
    tell_user(body=body, respond=respond, client=client, text=text)


def _close_goal(outcome: str) -> Handler:
    """Achieved / Missed / Dropped on the closing nudge: the closing flow, its outcome given."""
    return _start(
        goal_closing.FLOW,
        lambda click: {"goal_id": parse_id(click.value), "outcome": outcome},
    )


def _unit_to_plan(click: Click) -> dict[str, Any]:
    """`unit` or `unit/cycle` (an invitation or an offer for a given cycle)."""
    unit, _, cycle = click.value.partition("/")
    unit_id, cycle_id = parse_id(unit), parse_id(cycle)
    answers: dict[str, Any] = {} if unit_id is None else {"unit_id": unit_id}
    return answers if cycle_id is None else {**answers, "cycle_id": cycle_id}


def _cycle_to_set(click: Click) -> dict[str, Any]:
    cycle_id = parse_id(click.value)
    return {} if cycle_id is None else {"cycle_id": cycle_id}


def _new_goal(click: Click) -> dict[str, Any]:
    return {**_cycle_to_set(click), "new": True}


def _one_goal(click: Click) -> dict[str, Any]:
    return {"goal_id": _goal_id(click)}


def _change_goal(click: Click) -> dict[str, Any]:
    return {"goal_id": _goal_id(click), "change": True}


def request_drop(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    """The owner asks to drop an agreed goal: their manager is asked to agree."""
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            goal, notices = agreement.request_drop(
                session=a.session, actor=a.actor, goal_id=_goal_id(click)
            )
            a.owe_notices(notices)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    deciders = [n.user_id for n in notices]
    tell_user(
        body=body,
        respond=respond,
        client=client,
        text=render("agreement/drop_asked", goal=goal, deciders=deciders),
    )


def _decided(
    body: dict[str, Any],
    client: WebClient,
    respond: Any,
    services: Services,
    decide: Callable[[Acting, int], agreement.Decision],
    template: str,
) -> None:
    """A manager's answer to a request about a goal; their message becomes its record."""
    click = Click.parse(body)
    try:
        with acting(
            services=services, client=client, team_id=click.team_id, user_id=click.user_id
        ) as a:
            decision = decide(a, _goal_id(click))
            a.owe_notices(decision.notices)
    except Refusal as refusal:
        tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
        return
    text = render(template, goal=decision.goal, owner=decision.owner)
    respond(**blocks.message(text), replace_original=True)


def agree_drop(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    def decide(a: Acting, goal_id: int) -> agreement.Decision:
        return agreement.agree_drop(session=a.session, actor=a.actor, goal_id=goal_id, now=a.now)

    _decided(body, client, respond, services, decide, "agreement/dropped_manager")


def keep_goal(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    def decide(a: Acting, goal_id: int) -> agreement.Decision:
        return agreement.keep_goal(session=a.session, actor=a.actor, goal_id=goal_id)

    _decided(body, client, respond, services, decide, "agreement/kept_manager")


def open_barrier_form(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    client.views_open(trigger_id=Click.parse(body).trigger_id, view=barrier_form())


def open_cycle_form(
    services: Services, body: dict[str, Any], client: WebClient, respond: Any
) -> None:
    """The New cycle form, for an admin (the button is shown to admins; a forged click is not)."""
    click = Click.parse(body)
    with acting(
        services=services, client=client, team_id=click.team_id, user_id=click.user_id
    ) as a:
        organisation.require_admin(a.session, a.actor)
    client.views_open(trigger_id=click.trigger_id, view=cycle_form())


def stale_action(services: Services, body: dict[str, Any], client: WebClient, respond: Any) -> None:
    tell_user(body=body, respond=respond, client=client, text=render("errors/stale_button"))


OFFER_HANDLERS: dict[Offer, Handler] = {
    Offer.AGREE_GOAL: agree,
    Offer.SUGGEST_CHANGES: open_suggestion_form,
    Offer.REVISE_GOAL: _start(goal_interview.FLOW, _one_goal),
    Offer.SET_GOALS: _start(goal_interview.FLOW, _cycle_to_set),
    Offer.PLAN_UNIT: _start(objectives.FLOW, _unit_to_plan),
    Offer.CHECK_IN: open_checkin,
    Offer.ACKNOWLEDGE_BARRIER: _barrier_event(barrier.Event.ACKNOWLEDGE),
    Offer.RESOLVE_BARRIER: _barrier_event(barrier.Event.RESOLVE),
    Offer.ESCALATE_BARRIER: _barrier_event(barrier.Event.ESCALATE),
    Offer.REPORT_ANTICIPATED: report_anticipated,
    Offer.GOAL_ACHIEVED: _close_goal("achieved"),
    Offer.GOAL_MISSED: _close_goal("missed"),
    Offer.GOAL_DROPPED: _close_goal("dropped"),
    Offer.REPORT_BARRIER: open_barrier_form,
    Offer.NEW_GOAL: _start(goal_interview.FLOW, _new_goal),
    Offer.RESUME_GOAL: _start(goal_interview.FLOW, _one_goal),
    Offer.CHANGE_GOAL: _start(goal_interview.FLOW, _change_goal),
    Offer.DROP_GOAL: request_drop,
    Offer.AGREE_DROP: agree_drop,
    Offer.KEEP_GOAL: keep_goal,
}

HANDLERS: list[tuple[str | re.Pattern[str], Handler]] = [
    (CYCLE_FORM, open_cycle_form),
    (re.compile(f"^{FLOW_ANSWER}\\d+$"), answer_flow),
    *((OFFERS[offer], handler) for offer, handler in OFFER_HANDLERS.items()),
    (re.compile(".*"), stale_action),  # last: clicks nothing else claims
]


def _nothing(value: str) -> object:
    return True if value == "" else None


def _maybe_id(value: str) -> object:
    """Nothing, or a row id (a button for a given cycle)."""
    return True if value == "" else parse_id(value)


def _unit_and_cycle(value: str) -> object:
    """A unit id, or "unit id/cycle id"."""
    unit, slash, cycle = value.partition("/")
    return parse_id(unit) if not slash else parse_id(unit) and parse_id(cycle)


OFFER_VALUES: dict[Offer, Callable[[str], object]] = {
    Offer.AGREE_GOAL: parse_id,
    Offer.SUGGEST_CHANGES: parse_id,
    Offer.REVISE_GOAL: parse_id,
    Offer.SET_GOALS: _maybe_id,
    Offer.PLAN_UNIT: _unit_and_cycle,
    Offer.CHECK_IN: _nothing,
    Offer.ACKNOWLEDGE_BARRIER: parse_id,
    Offer.RESOLVE_BARRIER: parse_id,
    Offer.ESCALATE_BARRIER: parse_id,
    Offer.REPORT_ANTICIPATED: parse_id,
    Offer.GOAL_ACHIEVED: parse_id,
    Offer.GOAL_MISSED: parse_id,
    Offer.GOAL_DROPPED: parse_id,
    Offer.REPORT_BARRIER: _nothing,
    Offer.NEW_GOAL: _maybe_id,
    Offer.RESUME_GOAL: parse_id,
    Offer.CHANGE_GOAL: parse_id,
    Offer.DROP_GOAL: parse_id,
    Offer.AGREE_DROP: parse_id,
    Offer.KEEP_GOAL: parse_id,
}

# What a button's value must be, by action id: a click whose value no Cascade button carries gets
# the same 400 as a payload of a shape Slack never sends (bot/errors.py).
VALUES: list[tuple[str | re.Pattern[str], Callable[[str], object]]] = [
    (re.compile(f"^{FLOW_ANSWER}\\d+$"), parse_answer),
    *((OFFERS[offer], parse) for offer, parse in OFFER_VALUES.items()),
]


def check_value(click: Click) -> None:
    """Refuse a click whose value no Cascade button carries."""
    for action_id, parse in VALUES:
        matches = (
            action_id.match(click.action_id)
            if isinstance(action_id, re.Pattern)
            else action_id == click.action_id
        )
        if matches and parse(click.value) is None:
            raise Malformed(f"{click.action_id} cannot carry {click.value[:40]!r}")


def _ack(ack: Ack, body: dict[str, Any]) -> None:
    check_value(Click.parse(body))  # parsing only: nothing is read or written before the ack
    ack()


def register(app: App, services: Services) -> None:
    """Every click is acknowledged at once; the work, and its Web API calls, run lazily."""
    for action_id, handler in HANDLERS:
        app.action(action_id)(ack=_ack, lazy=[reported(_lazy(services, handler))])


def _lazy(services: Services, handler: Handler) -> Callable[..., None]:
    def lazy(body: dict[str, Any], client: WebClient, respond: Any) -> None:
        handler(services, body, client, respond)

    lazy.__name__ = lazy.__qualname__ = handler.__name__
    return lazy
