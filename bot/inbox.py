"""The inbox: a DM answer or a click that Slack was told succeeded is never lost.

The rules, in the order of an answer's life:

1. **Recorded before the ack.** The ack function writes one inbox row (team, user, the delivery's
   identity, received-at, the raw payload) in one INSERT and one commit, then acks. Slack's retry
   of the same event id (or a click's trigger) finds the row there and records nothing twice.
2. **Done from the row, after the ack, in order of receipt, once.** The work after the ack does
   not act on the payload it came with: it drains the person's inbox (`drain`), oldest row first
   (rows are numbered as they are recorded). Each row's work runs in one transaction that first
   takes the person's lock (storage/people.py `lock_person`: their row, FOR NO KEY UPDATE, read
   with who they are; SQLite's write lock) and marks the row applied with the work it causes,
   so whichever process gets there first does it, and nobody does it twice. A process that
   receives a person's later answer first does their earlier ones before it, whoever recorded
   them: two processes behind a round-robin balancer apply one person's answers in the order
   they were sent. A row whose work changed nothing (a refusal, a failure: the person was told)
   is marked answered.
3. **Overtaken answers are not applied late.** Before a row is done, if the person's flow has
   moved on since it was received other than by their own earlier answers (storage/inbox.py
   `next_waiting`: a conversation of theirs changed after the row's receipt and after their
   latest applied row), the row is marked lost and the person is told "I lost your answer to … —
   please send it again" (the template `inbox/lost_answer`), in the same transaction.
4. **Nothing is left behind.** At start-up (`cascade serve`, `run`, `sandbox`), before serving,
   every waiting row is done (`recover`). While serving, a sweeper (`start_sweeper`) does the rows
   that have waited longer than `STALE` (the process that recorded them died, or its work is
   stuck): a process killed mid-run has its rows done by the survivors within seconds, not only
   when it is restarted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError

from bot import blocks
from bot.errors import handled
from bot.faults import kill_point
from bot.outbox import new_owner
from bot.services import Services
from bot.turns import REPLY
from prompts import render
from storage import forgotten, inbox, outbox, people
from storage.db import (
    HURRY,
    DatabaseAway,
    hurried_transaction,
    patiently,
    reachable,
    reading,
    transaction,
)
from storage.models import InboxMessage, InboxStatus
from storage.people import DirectoryState

logger = logging.getLogger("cascade")

MESSAGE = "message"  # a DM (a new message or an edit): bot/listeners/messages
ACTION = "action"  # a click: bot/listeners/actions
STALE = timedelta(seconds=5)  # waiting longer than this: the sweeper does it
SWEEP_EVERY = 2.0  # seconds

# What does a recorded row's work, by kind: (services, client, the Slack payload, the row).
Replay = Callable[[Services, WebClient, InboxMessage], None]
REPLAYS: dict[str, Replay] = {}


@dataclass(frozen=True)
class Received:
    """A DM or a click as it came (its row, unsaved), and whether its row was recorded."""

    row: InboxMessage
    recorded: bool


def replays(kind: str, replay: Replay) -> None:
    """Declare what does the work of a recorded `kind` (each listener package, at registration)."""
    REPLAYS[kind] = replay


def record(
    services: Services,
    *,
    team_id: str,
    user_id: str,
    kind: str,
    delivery: str,
    body: dict[str, Any],
    said: str,
) -> Received:
    """On the ack path: one INSERT, one commit. `said` is how the person would recognise it.
    One that cannot be recorded in `HURRY` seconds (on SQLite, another writer held the lock that
    long) is done from memory after the ack, as before there was an inbox: a crash before its
    work commits would lose it (the log says so). With the database away (restarting) it is not
    acked at all: a 503 (bot/errors.py), and Slack delivers an event again."""
    row = InboxMessage(
        team_id=team_id,
        user_id=user_id,
        kind=kind,
        delivery=delivery,
        payload={"body": body, "said": said[:200]},
        received_at=services.clock(),
    )
    if not (team_id and user_id and delivery):  # nothing to know it again by: done from memory
        return Received(row, recorded=False)
    try:
        with hurried_transaction(services.engine) as session:
            inbox.record(session=session, message=row)
    except OperationalError as error:
        # A server restarting: not acked, Slack delivers it again. (SQLite's only such error is
        # another writer's lock, and a check would wait on that lock too.)
        if services.engine.dialect.name != "sqlite" and not reachable(services.engine):
            raise DatabaseAway() from error
        logger.warning("inbox: a %s not recorded in %.1f s; done unrecorded", kind, HURRY)
        return Received(row, recorded=False)
    return Received(row, recorded=True)


def after_ack(services: Services, client: WebClient, received: Received) -> None:
    """Once the row is recorded and acked: the person's inbox is drained in the background, after
    the person's earlier work in this process. (Not a Bolt lazy listener: Bolt starts those
    alongside the ack function, so one could look for the row before it is recorded.) A row that
    could not be recorded is done from memory, in its turn."""
    team_id, user_id = received.row.team_id, received.row.user_id

    def work() -> None:
        if not received.recorded:
            _do(services, client, received.row)
        # The database restarting under it: drained again (each row is done once, under lock).
        until = received.row.delivery if received.recorded else None
        patiently(lambda: drain(services, client, team_id, user_id, until))

    services.serial.submit(f"{team_id}:{user_id}", work)


def drain(
    services: Services, client: WebClient, team_id: str, user_id: str, until: str | None = None
) -> None:
    """Do every waiting row of this person, oldest first (rule 2); with `until` (a delivery),
    stop once that one is done: a later row is drained by the process that recorded it."""
    while (waiting := _next(services, team_id, user_id)) is not None:
        kill_point(services.settings, "after_ack")  # recorded and acked; its work not started
        _do(services, client, waiting.message, waiting.directory)
        _answered(services, waiting.message)
        if waiting.message.delivery == until:
            return


def _do(
    services: Services,
    client: WebClient,
    row: InboxMessage,
    directory: DirectoryState | None = None,
) -> None:
    """A row's work, as its listener would have done it (marked applied with it, if recorded);
    `directory`: the directory's state for its person, read with it."""
    work = REPLAYS[row.kind]
    body = row.payload.get("body") or {}
    handled(
        f"inbox {row.kind}",
        body,
        _respond(body),
        client,
        lambda: work(services, client, row),
        from_inbox=row if row.id is not None else None,
        directory=directory,
    )


def _next(services: Services, team_id: str, user_id: str) -> inbox.Waiting | None:
    """The person's oldest waiting row; those their flow has overtaken are told lost (rule 3).
    Looked for without a lock (on SQLite a writer's lock is the only one): the row's work takes
    the person's lock, and finds it still waiting, or does nothing."""
    while True:
        with reading(services.engine) as session:
            waiting = inbox.next_waiting(session=session, team_id=team_id, user_id=user_id)
            if waiting is None or not waiting.overtaken:
                return waiting
        _tell_lost(services, waiting.message)


def _tell_lost(services: Services, row: InboxMessage) -> None:
    """Mark the row lost, and owe its person "please send it again", in one transaction."""
    owner = new_owner()
    with transaction(services.engine) as session:
        people.lock_person(session=session, team_id=row.team_id, user_id=row.user_id)
        now = services.clock()
        lost = InboxStatus.LOST
        if not inbox.mark_done(session=session, message_id=row.id or 0, status=lost, now=now):
            return
        text = render("inbox/lost_answer", said=str(row.payload.get("said") or ""))
        again = outbox.Owed(row.team_id, REPLY, row.user_id, blocks.message(text))
        outbox.enqueue(session=session, messages=[again], now=now, owner=owner)
    logger.info("inbox %s overtaken by the flow: asked to send it again", row.id)
    services.sender.deliver_owned(owner, reply_to=row.user_id)


def _answered(services: Services, row: InboxMessage) -> None:
    """A row whose work committed nothing (refused, failed, ignored) is done all the same, unless
    Slack retried it meanwhile: then it waits to be done again."""
    if row.status != InboxStatus.PENDING:
        return  # applied, with its work
    with transaction(services.engine) as session:
        people.lock_person(session=session, team_id=row.team_id, user_id=row.user_id)
        if forgotten.is_forgotten(session=session, team_id=row.team_id, user_id=row.user_id):
            found = inbox.get_message(session=session, message_id=row.id or 0)
            if found is not None:
                inbox.drop(session=session, message=found)  # they were told; nothing is kept
            return
        inbox.mark_done(
            session=session,
            message_id=row.id or 0,
            status=InboxStatus.ANSWERED,
            now=services.clock(),
            deliveries=row.deliveries,
        )


def _respond(body: dict[str, Any]) -> Any:
    """Bolt's respond for a recorded payload's response_url (any process can use it)."""
    from slack_bolt.context.respond import Respond

    url = body.get("response_url")
    return Respond(response_url=url) if isinstance(url, str) and url else None


def recover(services: Services, client: WebClient, *, older_than: timedelta | None = None) -> int:
    """Do every waiting row (with `older_than`, only those waiting that long); returns how many
    people had some (rule 4)."""
    since = services.clock() - older_than if older_than is not None else None
    with transaction(services.engine) as session:
        waiting = inbox.waiting_people(session=session, received_before=since)
    for team_id, user_id in waiting:
        try:
            drain(services, client, team_id, user_id)
        except Exception:
            logger.exception("inbox: could not do %s's waiting answers", user_id)
    if waiting:
        logger.info("inbox: did the waiting answers of %d people", len(waiting))
    return len(waiting)


def start_sweeper(services: Services, client: WebClient) -> threading.Event:
    """Sweep for stale rows every `SWEEP_EVERY` seconds, in a daemon thread; set the returned
    event to stop it."""
    stop = threading.Event()

    def sweep() -> None:
        while not stop.wait(SWEEP_EVERY):
            try:
                recover(services, client, older_than=STALE)
            except Exception:
                logger.exception("inbox: the sweep failed")

    threading.Thread(target=sweep, name="cascade-inbox", daemon=True).start()
    return stop
