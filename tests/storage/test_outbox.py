"""The outbox's rules, on SQLite and PostgreSQL: once-only keys, leases, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from storage import outbox, workspaces
from storage.db import transaction
from storage.models import OutboxStatus
from tests.helpers import counting_statements

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def owed(n: int, kind: str = "reply") -> list[outbox.Owed]:
    return [outbox.Owed("T", kind, f"U{i}", {"text": f"hello {i}"}) for i in range(n)]


def once(team_id: str, key: outbox.Key) -> list[outbox.Owed]:
    kind, subject, period_key = key
    return [
        outbox.Owed(team_id, kind, "UMGR", {"text": "hi"}, subject=subject, period_key=period_key)
    ]


def test_a_once_only_key_is_written_once(engine: Engine) -> None:
    key = ("gate_nudge", "unit:1", "2027-03-01")
    with transaction(engine) as s:
        assert outbox.enqueue(session=s, messages=once("T", key), now=NOW) == {key}
    with transaction(engine) as s:
        assert outbox.enqueue(session=s, messages=once("T", key), now=NOW) == set()
        assert outbox.owed(session=s, team_id="T", kind=key[0], subject=key[1], period_key=key[2])
    with transaction(engine) as s:  # another workspace, another day: their own keys
        assert outbox.enqueue(session=s, messages=once("T2", key), now=NOW) == {key}
        other_day = (key[0], key[1], "2027-03-02")
        assert outbox.enqueue(session=s, messages=once("T", other_day), now=NOW) == {other_day}
    with transaction(engine) as s:
        assert len(outbox.list_messages(session=s)) == 3


def test_once_only_messages_racing_from_many_threads_are_written_once(engine: Engine) -> None:
    keys = [("checkin", f"U{i}", "2027-W09") for i in range(20)]

    def write() -> int:
        with transaction(engine) as s:
            rows = [m for key in keys for m in once("T", key)]
            return len(outbox.enqueue(session=s, messages=rows, now=NOW))

    with ThreadPoolExecutor(max_workers=6) as pool:
        won = list(pool.map(lambda _: write(), range(6)))
    assert sum(won) == 20


def test_two_senders_never_take_the_same_row(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(50), now=NOW)

    def take(owner: str) -> list[int]:
        with transaction(engine) as s:
            return [m.id or 0 for m in outbox.claim_due(session=s, owner=owner, now=NOW, limit=30)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        taken = list(pool.map(take, ["a", "b", "c", "d"]))
    flat = [i for ids in taken for i in ids]
    assert len(flat) == len(set(flat)) == 50


def test_rows_written_by_a_request_are_its_own_until_the_lease_runs_out(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(3), now=NOW, owner="request")
    with transaction(engine) as s:
        assert outbox.claim_due(session=s, owner="tick", now=NOW + timedelta(seconds=5)) == []
        later = NOW + outbox.LEASE + timedelta(seconds=1)  # the request's process died
        assert len(outbox.claim_due(session=s, owner="tick", now=later)) == 3


def test_failures_back_off_then_give_up(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(1), now=NOW)
        [row] = outbox.claim_due(session=s, owner="a", now=NOW)
        assert row.id
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        with transaction(engine) as s:
            outbox.mark_failed(
                session=s,
                message_id=row.id,
                error="ratelimited",
                now=NOW,
                retry_at=NOW + timedelta(minutes=attempt),
            )
            [after] = outbox.list_messages(session=s)
            assert after.attempts == attempt and after.lease_owner is None
    assert after.status == OutboxStatus.FAILED and after.error == "ratelimited"


def test_a_sent_row_is_never_claimed_again(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(1), now=NOW)
        [row] = outbox.claim_due(session=s, owner="a", now=NOW)
        outbox.mark_sent(session=s, message_id=row.id or 0, ts="1.0001", now=NOW)
    with transaction(engine) as s:
        later = NOW + timedelta(days=1)
        assert outbox.claim_due(session=s, owner="b", now=later) == []
        [sent] = outbox.list_messages(session=s)
        assert (sent.status, sent.ts, sent.sent_at) == (OutboxStatus.SENT, "1.0001", NOW)


def test_everything_owed_to_someone_gone_fails_at_once(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(2) + owed(2), now=NOW)
        assert (
            outbox.fail_pending_to(
                session=s, team_id="T", recipient="U1", error="user_not_found", now=NOW
            )
            == 2
        )
        assert [m.recipient for m in outbox.list_messages(session=s, status="pending")] == [
            "U0",
            "U0",
        ]


def test_a_long_batch_keeps_its_lease_rewriting_only_rows_that_need_it(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(3), now=NOW, owner="mine")
        outbox.enqueue(session=s, messages=owed(1, "other"), now=NOW, owner="theirs")
    written: list[int] = []
    for seconds in (5, 30, 35):  # renewed at 30 s, not at 5 s (fresh) nor 35 s (just renewed)
        with transaction(engine) as s:
            before = {m.id: m.lease_until for m in outbox.leased_to(session=s, owner="mine")}
            outbox.renew_lease(session=s, owner="mine", now=NOW + timedelta(seconds=seconds))
        with transaction(engine) as s:
            after = {m.id: m.lease_until for m in outbox.leased_to(session=s, owner="mine")}
        written.append(sum(before[i] != after[i] for i in after))
    assert written == [0, 3, 0]
    assert set(after.values()) == {NOW + timedelta(seconds=30) + outbox.LEASE}
    with transaction(engine) as s:  # another sender's rows are theirs, unchanged
        theirs = outbox.leased_to(session=s, owner="theirs")
    assert [m.lease_until for m in theirs] == [NOW + outbox.LEASE]


def test_a_lease_takes_at_most_its_limit_of_many_pending_rows(engine: Engine) -> None:
    """PostgreSQL may run an `IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)` subquery again for
    each row and lease far more than asked: one lease of 200 from 1,200 takes exactly 200."""
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(1200), now=NOW)
    with transaction(engine) as s:
        assert outbox.lease_due(session=s, owner="a", now=NOW, limit=200) == 200
        assert [m.recipient for m in outbox.leased_to(session=s, owner="a")] == [
            f"U{i}" for i in range(200)
        ]


def test_ready_tells_each_row_what_it_waits_for(engine: Engine) -> None:
    """One read: a suspended workspace's rows, and a row behind an earlier one owed to the same
    person that no sender holds (due later), but not behind one this or another sender holds."""
    later = NOW + timedelta(minutes=5)
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(3), now=NOW)  # U0, U1, U2
        first = outbox.list_messages(session=s)
        outbox.defer(session=s, message_ids=[first[0].id or 0], until=later)  # U0: left behind
        outbox.enqueue(session=s, messages=owed(3), now=NOW, owner="mine")  # U0, U1, U2 again
        outbox.enqueue(
            session=s,
            messages=[outbox.Owed("TS", "reply", "U9", {"text": "x"})],
            now=NOW,
            owner="mine",
        )
        outbox.lease_due(session=s, owner="theirs", now=NOW)  # U1 and U2's first: held
        workspaces.suspend(session=s, team_id="TS", reason="token_revoked", at=NOW)
    with transaction(engine) as s:
        found = outbox.ready(session=s, owner="mine", now=NOW)
    assert [(r.row.recipient, r.suspended, r.behind) for r in found] == [
        ("U0", False, later),
        ("U1", False, None),
        ("U2", False, None),
        ("U9", True, None),
    ]


def test_many_rows_are_marked_sent_in_one_statement_with_their_places(engine: Engine) -> None:
    with transaction(engine) as s:
        outbox.enqueue(session=s, messages=owed(3), now=NOW, owner="mine")
        ids = [m.id or 0 for m in outbox.leased_to(session=s, owner="mine")]
    sent = [outbox.Sent(i, f"1.{i}", f"D{i}") for i in ids[:2]]
    with counting_statements(engine) as counted, transaction(engine) as s:
        outbox.mark_all_sent(session=s, sent=sent, now=NOW)
    assert len([c for c in counted if c.lstrip().upper().startswith("UPDATE")]) == 1
    with transaction(engine) as s:
        rows = {m.id: m for m in outbox.list_messages(session=s)}
    assert [(rows[i].status, rows[i].ts, rows[i].channel, rows[i].attempts) for i in ids] == [
        (OutboxStatus.SENT, f"1.{ids[0]}", f"D{ids[0]}", 1),
        (OutboxStatus.SENT, f"1.{ids[1]}", f"D{ids[1]}", 1),
        (OutboxStatus.PENDING, None, None, 0),
    ]
