"""The directory: Slack's people, kept in the database. Slack is asked first (bot/slack.py),
then what it said is written, so no transaction ever waits on Slack (a full sync asks for the
next batch while it writes this one, in a thread of its own)."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.slack import fetch_directory, lookup_users
from storage import forgotten, people, workspaces
from storage.db import reading, transaction
from storage.people import SlackProfile

logger = logging.getLogger("cascade")
DIRECTORY_STALE_AFTER = timedelta(hours=24)
SYNC_BATCH = 1000  # profiles written per transaction while users.list pages stream in
# The lease is renewed by a batch written once half of it has run, so only a syncer that died
# (or stalled) lets it lapse.
DIRECTORY_LEASE = timedelta(minutes=2)
RENEW_AFTER = DIRECTORY_LEASE / 2  # a batch written later than this after the last renewal renews
LEASE_POLL_SECONDS = 0.25
SYNC_WAIT_LIMIT = timedelta(minutes=10)


def claim_directory_sync(
    *, engine: Engine, team_id: str, now: datetime, older_than: timedelta
) -> str | None:
    """Take the lease on this workspace's directory sync if the last full sync began more than
    `older_than` before `now` and nobody (in any process) is syncing; the lease's owner token,
    or None when the directory is fresh enough or another sync is running."""
    owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    with transaction(engine) as session:
        won = workspaces.claim_directory_sync(
            session=session,
            team_id=team_id,
            owner=owner,
            now=now,
            synced_before=now - older_than,
            lease_until=now + DIRECTORY_LEASE,
        )
    return owner if won else None


class LeaseLost(Exception):
    """The lease lapsed (this process stalled past it) and another process took it over."""


def run_directory_sync(
    *, client: WebClient, engine: Engine, team_id: str, now: datetime, owner: str
) -> int:
    """With the lease held: stream users.list into the database a batch at a time (never the
    whole directory in memory, no transaction waiting on Slack: the next batch is asked for
    while this one is written), then mark the directory fresh and give the lease back — given
    back unmarked if anything fails. Returns how many people rows changed."""
    started = renewed = time.monotonic()

    def write(profiles: list[SlackProfile], last: bool) -> int:
        nonlocal renewed
        # `now` is the caller's clock (tests and the sandbox move it); the lease runs on it too.
        at = time.monotonic()
        until = now + timedelta(seconds=at - started) + DIRECTORY_LEASE
        with transaction(engine) as session:
            # Until half the lease has run, nobody else can have taken it: renewing (and so
            # checking) then would only write the workspace row once a batch for nothing.
            due = at - renewed > RENEW_AFTER.total_seconds()
            if not last and due:
                if not workspaces.renew_directory_sync(
                    session=session, team_id=team_id, owner=owner, lease_until=until
                ):
                    raise LeaseLost(team_id)
                renewed = at
            changed = (
                people.upsert_profiles(session=session, team_id=team_id, profiles=profiles, at=now)
                if profiles
                else 0
            )
            if last and not workspaces.release_directory_sync(
                session=session, team_id=team_id, owner=owner, synced_at=now
            ):
                raise LeaseLost(team_id)
        return changed

    changed = 0
    try:
        for batch, last in _batches(fetch_directory(client)):
            changed += write(batch, last=last)
        return changed
    except LeaseLost:
        logger.warning("directory sync of %s lost its lease to another process", team_id)
        return changed
    except BaseException:
        with transaction(engine) as session:
            workspaces.release_directory_sync(
                session=session, team_id=team_id, owner=owner, synced_at=None
            )
        raise


def _batches(profiles: Iterator[SlackProfile]) -> Iterator[tuple[list[SlackProfile], bool]]:
    """The profiles SYNC_BATCH at a time, each with whether it is the last; the next batch is
    asked of Slack (in a thread of its own) while the caller writes this one, so Slack's time
    and the database's overlap. One profile is read ahead to tell the last batch."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="directory-sync")

    def take(ahead: list[SlackProfile]) -> tuple[list[SlackProfile], list[SlackProfile]]:
        batch = ahead + list(itertools.islice(profiles, SYNC_BATCH - len(ahead)))
        return batch, list(itertools.islice(profiles, 1))

    try:
        coming = pool.submit(take, [])
        while True:
            batch, ahead = coming.result()
            if ahead:
                coming = pool.submit(take, ahead)
            yield batch, not ahead
            if not ahead:
                return
    finally:
        # A write that failed leaves at most one users.list call to finish on its own.
        pool.shutdown(wait=False, cancel_futures=True)


def sync_directory(
    *,
    client: WebClient,
    engine: Engine,
    team_id: str,
    now: datetime,
    older_than: timedelta = timedelta(0),
    wait: bool = False,
) -> int | None:
    """Refresh names, emails, time zones and admin flags from Slack, one sync at a time per
    workspace across processes. Skipped (None) when a sync began less than `older_than` before
    `now`, or when another is running and `wait` is False; with `wait`, waits for that one and
    then syncs unless it began at or after `now`. Returns people rows changed."""
    started = time.monotonic()
    at = now
    while True:
        owner = claim_directory_sync(engine=engine, team_id=team_id, now=at, older_than=older_than)
        if owner is not None:
            return run_directory_sync(
                client=client, engine=engine, team_id=team_id, now=at, owner=owner
            )
        if not wait:
            return None
        with transaction(engine) as session:
            synced = workspaces.directory_synced_at(session=session, team_id=team_id)
        if synced is not None and synced >= now - older_than:
            return None
        if time.monotonic() - started > SYNC_WAIT_LIMIT.total_seconds():
            raise TimeoutError(f"another process has been syncing {team_id}'s directory too long")
        time.sleep(LEASE_POLL_SECONDS)
        at = now + timedelta(seconds=time.monotonic() - started)  # leases lapse as time passes


def directory_gaps(
    *,
    engine: Engine,
    team_id: str,
    user_ids: list[str],
    now: datetime,
    known: people.DirectoryState | None = None,
) -> tuple[bool, list[str]]:
    """(whether the whole directory needs a sync — never synced or a day old, which of
    `user_ids` it does not know and may look up: not someone forgotten), read in one query (two
    when some are unknown); none when `known` was read already for all of them."""
    state = known if known is not None and known.asked >= set(user_ids) else None
    lacking: list[str] = []
    if state is None or any(u not in state.known for u in user_ids):
        with reading(engine) as session:
            if state is None:
                state = people.directory_state(session=session, team_id=team_id, user_ids=user_ids)
            lacking = [u for u in user_ids if u not in state.known]
            # Someone forgotten is not looked up: Slack would only tell us what we must not keep.
            if lacking:
                lacking = sorted(
                    set(lacking)
                    - forgotten.forgotten_users(session=session, team_id=team_id, user_ids=lacking)
                )
    synced = state.synced_at
    stale = synced is None or now - synced > DIRECTORY_STALE_AFTER
    return stale, [u for u in user_ids if u in lacking]


def sync_users(
    *, client: WebClient, engine: Engine, team_id: str, user_ids: list[str], now: datetime
) -> None:
    """Look up a few people the directory does not know yet (new since the last sync) with
    users.info: far cheaper than a full users.list, and a stranger stays unknown."""
    profiles = lookup_users(client, user_ids)  # Slack first: no transaction waits on it
    if profiles:
        with transaction(engine) as session:
            people.upsert_profiles(session=session, team_id=team_id, profiles=profiles, at=now)
