"""One unit of work on behalf of a Slack user: who they are, one transaction, and the messages
the work owes, written into the outbox before the transaction commits and delivered after it."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from bot import blocks
from bot.faults import kill_point
from bot.home import refresh_homes
from bot.outbox import new_owner
from bot.payloads import event_id_of, team_of
from bot.people import actor, refresh_directory
from bot.services import Services
from bot.settings import Settings
from bot.turns import REPLY, Owing, asks_with_buttons, owed_notices, owed_turn
from conversations import clock
from conversations.actor import Actor
from conversations.flows import engine
from conversations.flows.spec import Notice
from storage import conversations, inbox, outbox, people
from storage.db import reading, transaction
from storage.events import claim_event
from storage.models import InboxMessage, InboxStatus
from storage.people import DirectoryState

# Whether the request being handled on this thread has committed a change: the apology after a
# failure must say truthfully whether anything was saved. Reset at the start of each listener.
saved = contextvars.ContextVar("saved", default=False)
# What the request's committed work owes, delivered when its listener is done (after it has
# updated the clicked message, so a person sees their answer before the next question).
_owing: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "owing", default=None
)
HOMES_REFRESHED = 20  # at most, per request: the rest see the change when they next open it


# The Events API delivery this request acts on, (team, event id), until its work has committed:
# it is recorded in the same transaction as that work, never before it, so a retry acts once and
# a crash after the ack loses nothing (Slack retries what was never recorded).
_event: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "event", default=None
)


# The inbox row (bot/inbox.py) this request's work is done from: marked applied in the
# transaction of that work, under the person's inbox lock, never before it.
_inbox: contextvars.ContextVar[InboxMessage | None] = contextvars.ContextVar("inbox", default=None)
# The directory's state for the person, when read already with the work's other reads (the
# inbox reads it with their answer): the directory check then reads nothing again.
_directory: contextvars.ContextVar[DirectoryState | None] = contextvars.ContextVar(
    "directory", default=None
)


class AlreadyHandled(Exception):
    """An earlier delivery of this event did its work (a retry that raced it): nothing to do."""


@contextmanager
def request_scope(
    body: dict[str, Any] | None = None,
    from_inbox: InboxMessage | None = None,
    directory: DirectoryState | None = None,
) -> Iterator[None]:
    """One listener's run: starts with nothing saved or owed; delivers what it owes at the end,
    even if it failed after committing, then refreshes the Homes the change concerns. `body`
    names the event it acts on, if any; `from_inbox`, the inbox row it is done from, and
    `directory` the directory's state read with it."""
    saved.set(False)
    event_id = event_id_of(body or {})
    event_token = _event.set((team_of(body or {}), event_id) if event_id else None)
    inbox_token = _inbox.set(from_inbox)
    directory_token = _directory.set(directory)
    owing: list[Callable[[], object]] = []
    token = _owing.set(owing)
    try:
        yield
    finally:
        _owing.reset(token)
        _event.reset(event_token)
        _inbox.reset(inbox_token)
        _directory.reset(directory_token)
        for deliver in owing:
            deliver()


def _record_event(session: Session) -> None:
    """Record the event this request acts on with the work it causes (once per request)."""
    pending = _event.get()
    if pending is not None:
        team_id, event_id = pending
        if not claim_event(session=session, team_id=team_id, event_id=event_id):
            raise AlreadyHandled(event_id)


def _claim_inbox(session: Session, now: datetime) -> None:
    """Mark the inbox row this request is done from applied, with the work (once per request);
    under the person's lock (taken just before, with who they are), so whoever holds it first
    does it, and nobody twice."""
    pending = _inbox.get()
    if pending is None or pending.id is None:
        return
    applied = InboxStatus.APPLIED
    if not inbox.mark_done(session=session, message_id=pending.id, status=applied, now=now):
        raise AlreadyHandled(f"inbox {pending.id}")


def _first(
    services: Services, session: Session, team_id: str, user_id: str, now: datetime
) -> Actor:
    """Who is acting, and what makes this work happen once: its inbox row (already once per
    delivery), marked applied under the person's lock, which is taken with who they are (one
    statement); else its event's record."""
    pending = _inbox.get()
    if pending is None or pending.id is None:
        _record_event(session)
        return actor(services=services, session=session, team_id=team_id, user_id=user_id)
    theirs = (pending.team_id, pending.user_id) == (team_id, user_id)
    if not theirs:  # (never so: a row is its sender's work) their lock all the same
        people.lock_person(session=session, team_id=pending.team_id, user_id=pending.user_id)
    who = actor(services=services, session=session, team_id=team_id, user_id=user_id, lock=theirs)
    _claim_inbox(session, now)
    return who


def _committed(services: Services) -> None:
    """The event and the inbox row this work acts on were recorded with it: not again."""
    _event.set(None)
    done = _inbox.get()
    if done is not None:
        done.status = InboxStatus.APPLIED  # the caller's copy: nothing left for it to mark
        _inbox.set(None)
        kill_point(services.settings, "after_commit")


@dataclass
class Acting:
    """One unit of work on behalf of a Slack user."""

    session: Session
    actor: Actor
    now: datetime
    today: date
    owner: str  # the outbox lease this work's messages are written under
    settings: Settings
    owed: int = field(default=0)
    wrote: bool = False  # whether anything was written (flushed) in this unit of work
    touched: set[str] = field(default_factory=set)  # people told of a change: their Homes change
    # The person's Home is published by this work itself (they opened it): not refreshed after.
    shows_home: bool = False

    def start_flow(self, flow: str, args: object | None = None) -> engine.Turn:
        """Start a flow with its typed start arguments (`FlowSpec.args`), or resume it."""
        return engine.start(flow=flow, args=args, **self._in_flow())

    def reply(
        self, text: str, clicked: engine.ButtonsFor | None = None, *, message: str | None = None
    ) -> engine.Turn | None:
        """`text` as the answer to the person's current question; `message` names their DM."""
        return engine.reply(text=text, clicked=clicked, message=message, **self._in_flow())

    def edit(self, message: str, text: str) -> engine.Turn | None:
        """The person's DM `message` now reads `text`: a new answer, if its question is open."""
        return engine.edit(message=message, text=text, **self._in_flow())

    def _in_flow(self) -> dict[str, Any]:
        """What the flow engine is told of this unit of work."""
        return {"session": self.session, "actor": self.actor, "now": self.now, "today": self.today}

    def owe_turn(
        self, turn: engine.Turn, *, thread_ts: str | None = None, keep_ts: str | None = None
    ) -> None:
        """What a flow said (to this person, and to others) is owed, with this change; with
        `thread_ts`, what it says to the person goes in that thread of their DM. Once the flow
        has moved on (a new question with buttons, or no conversation left open), the buttons of
        its earlier questions go (but those of the clicked message `keep_ts`)."""
        person = self.actor.person
        moved_on = turn.accepted and (
            asks_with_buttons(turn)
            or conversations.latest_conversation(
                session=self.session, team_id=self.actor.team_id, person_id=person.id or 0
            )
            is None
        )
        owing = owed_turn(
            self.actor.team_id, person.user_id, turn, thread_ts, moved_on=moved_on, keep_ts=keep_ts
        )
        self._owe(owing)
        self.touched.update(n.user_id for n in turn.notices)

    def owe_notices(self, notices: list[Notice], *, keep_ts: str | None = None) -> None:
        self._owe(owed_notices(self.actor.team_id, notices, keep_ts=keep_ts))
        self.touched.update(n.user_id for n in notices)

    def owe_text(self, text: str, *, replacing: tuple[str, str] | None = None) -> None:
        """A message to this person; with `replacing` (channel, ts), it rewrites that message."""
        payload = blocks.message(text)
        if replacing is None:
            message = outbox.Owed(self.actor.team_id, REPLY, self.actor.person.user_id, payload)
        else:
            channel, ts = replacing
            message = outbox.Owed(
                self.actor.team_id, REPLY, channel, {**payload, "ts": ts}, method="chat.update"
            )
        self._owe(Owing(new=[message]))

    def _owe(self, owing: Owing) -> None:
        outbox.enqueue(session=self.session, messages=owing.new, now=self.now, owner=self.owner)
        team_id = self.actor.team_id
        outbox.hold(session=self.session, team_id=team_id, items=owing.held, now=self.now)
        self.owed += len(owing)


UNSEEN = frozenset({"outbox", "slackevent", "inbox"})  # writes no Home shows


def _watch_writes(session: Session, work: Acting) -> None:
    """Note in `work.wrote` whether it changed anything a person sees: a flush, or an INSERT,
    UPDATE or DELETE sent past the session, but those only to the outbox and the event log."""

    def statement(state: ORMExecuteState) -> None:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if not state.is_select and table not in UNSEEN:
            work.wrote = True

    event.listen(session, "after_flush", lambda *_: setattr(work, "wrote", True))
    event.listen(session, "do_orm_execute", statement)


def _homes_to_refresh(work: Acting, has_home: bool) -> list[str]:
    """Not their Home if this work published it or they never opened it; none if it only owed."""
    if not work.wrote:
        return []
    me = work.actor.person.user_id
    shown = {me} if work.shows_home or not has_home else set()
    return sorted((work.touched | {me}) - shown)[:HOMES_REFRESHED]


def _refresh(services: Services, client: WebClient, team_id: str, user_ids: list[str]) -> None:
    """The directory check before a unit of work, from the state read with it, if it was."""
    known = _directory.get()
    refresh_directory(
        services=services, client=client, team_id=team_id, user_ids=user_ids, known=known
    )


@contextmanager
def acting(
    *,
    services: Services,
    client: WebClient,
    team_id: str,
    user_id: str,
    also: tuple[str, ...] = (),
    ack_path: bool = False,
    reads_only: bool = False,
) -> Iterator[Acting]:
    """Refresh the directory if needed (outside any transaction), then open one transaction on
    behalf of `user_id`; `also` names other users the request mentions. What the work owes is
    delivered once it has committed.

    On the ack path (a modal's errors must come back in the ack) pass `ack_path=True`: no Web API
    call before the ack; the owed messages are delivered in the background. Work that only reads
    (a view) passes `reads_only=True`: on SQLite it takes no write lock, so nobody waits on it."""
    if not ack_path:
        _refresh(services, client, team_id, [user_id, *also])
    now = services.clock()
    records = _event.get() is not None or _inbox.get() is not None
    unit = reading if reads_only and not records else transaction
    with unit(services.engine) as session:
        who = _first(services, session, team_id, user_id, now)
        work = Acting(
            session=session,
            actor=who,
            now=now,
            today=clock.local_date(now, who.person.tz),
            owner=new_owner(),
            settings=services.settings,
        )
        _watch_writes(session, work)
        yield work
        has_home = who.person.home_seen_at is not None  # read with the actor, or marked by work
        kill_point(services.settings, "before_commit", _inbox.get() is not None)
    _committed(services)  # the event and inbox row recorded with the work that just committed
    if not (work.wrote or work.owed):
        return
    saved.set(True)
    homes = _homes_to_refresh(work, has_home)

    def after() -> None:
        unreached = (
            services.sender.deliver_owned(work.owner, reply_to=user_id).unreached
            if work.owed
            else set()
        )
        reachable = [u for u in homes if u not in unreached]
        if reachable:
            refresh_homes(services=services, team_id=team_id, user_ids=reachable)

    owing = _owing.get()
    if ack_path:
        services.background.submit(after)
    elif owing is not None:
        owing.append(after)
    else:
        after()
