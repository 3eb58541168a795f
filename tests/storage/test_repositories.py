"""Repository functions, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import (
    barriers,
    checkins,
    commitments,
    cycles,
    events,
    goals,
    inbox,
    people,
    units,
    workspaces,
)
from storage.db import HURRY, hurried_transaction, table_of, transaction
from storage.export import export_workspace
from storage.models import (
    Confidence,
    Goal,
    InboxMessage,
    InboxStatus,
    ObjectiveStatus,
    Person,
)
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def seed(engine: Engine, team_id: str, suffix: str) -> None:
    """One small but complete workspace: every entity has a row."""
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=team_id,
            profiles=[profile("U1", f"Boss{suffix}"), profile("U2", f"Worker{suffix}")],
            units_=[UnitSpec(f"Org{suffix}", "U1", members=("U2",))],
            cycle=(f"C{suffix}", date(2027, 1, 1), date(2027, 6, 30)),
            objectives_=[
                ObjectiveSpec(f"Org{suffix}", f"Grow{suffix}", status=ObjectiveStatus.DRAFT)
            ],
            now=NOW,
        )
        root, cycle, objective = (
            org.units[f"Org{suffix}"],
            org.cycle,
            org.objectives[f"Grow{suffix}"],
        )
        worker_id, boss_id = org.ids["U2"], org.ids["U1"]
        assert root.id and cycle and cycle.id
        goal = goals.create_goal(
            session=s,
            team_id=team_id,
            owner_id=worker_id,
            unit_id=root.id,
            cycle_id=cycle.id,
            objective_id=objective.id,
            statement=f"Sell{suffix}",
        )
        assert goal.id
        checkins.record_checkin(
            session=s,
            team_id=team_id,
            goal_id=goal.id,
            person_id=worker_id,
            progress=10,
            confidence=Confidence.AT_RISK,
            note=f"note{suffix}",
        )
        barriers.report_barrier(
            session=s,
            team_id=team_id,
            reporter_id=worker_id,
            text=f"blocked{suffix}",
            holder_id=boss_id,
            goal_id=goal.id,
        )
        events.claim_event(session=s, team_id=team_id, event_id=f"Ev{suffix}")
        commitments.add_commitment(
            session=s,
            team_id=team_id,
            goal_id=goal.id or 0,
            manager_id=boss_id,
            text=f"help{suffix}",
            due=None,
            now=NOW,
        )


def test_no_repository_function_returns_another_workspaces_rows(engine: Engine) -> None:
    seed(engine, "TA", "Alpha")
    seed(engine, "TB", "Beta")
    with transaction(engine) as s:
        a = export_workspace(session=s, team_id="TA")
        b = export_workspace(session=s, team_id="TB")
        for key, rows in a.items():
            assert rows, key
            assert {r["team_id"] for r in rows} == {"TA"}, key
            assert not any(
                "Beta" in str(v) for r in rows for k, v in r.items() if k not in ("team_id", "id")
            ), key
        assert {r["team_id"] for rows in b.values() for r in rows} == {"TB"}
        # Lookups by id or name never cross workspaces either.
        unit_b = units.find_unit(session=s, team_id="TB", name="OrgBeta")
        assert unit_b and unit_b.id
        assert units.get_unit(session=s, team_id="TA", unit_id=unit_b.id) is None
        assert units.find_unit(session=s, team_id="TA", name="OrgBeta") is None
        assert units.members_of(session=s, team_id="TA", unit_id=unit_b.id) == []
        boss_b = people.get_person(session=s, team_id="TB", user_id="U1")
        assert boss_b and boss_b.id
        assert people.get_person_by_id(session=s, team_id="TA", person_id=boss_b.id) is None
        assert units.units_managed_by(session=s, team_id="TA", person_id=boss_b.id) == []
        assert units.unit_of(session=s, team_id="TA", person_id=boss_b.id + 1) is None
        assert cycles.find_cycle(session=s, team_id="TA", name="CBeta") is None
        current = cycles.current_cycle(session=s, team_id="TA", today=date(2026, 1, 1))
        assert current is not None and current.name == "CAlpha"
        assert set(people.people_by_email(session=s, team_id="TA")) == {
            "bossalpha@example.com",
            "workeralpha@example.com",
        }
        assert workspaces.get_workspace(session=s, team_id="TA").team_id == "TA"
        promise_b = commitments.list_commitments(session=s, team_id="TB")[0]
        assert (
            commitments.get_commitment(session=s, team_id="TA", commitment_id=promise_b.id or 0)
            is None
        )
        assert commitments.of_goals(session=s, team_id="TA", goal_ids=[promise_b.goal_id]) == []
        assert (
            commitments.of_managers(session=s, team_id="TA", manager_ids=[promise_b.manager_id])
            == []
        )


def test_times_come_back_aware_and_in_utc(engine: Engine) -> None:
    tokyo = timezone(timedelta(hours=9))
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s, team_id="T", at=NOW.astimezone(tokyo), profiles=[profile("U1", "A")]
        )
    with transaction(engine) as s:
        person = people.get_person(session=s, team_id="T", user_id="U1")
        assert person and person.synced_at == NOW and person.synced_at.tzinfo is not None


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), transaction(engine) as s:
        people.upsert_profiles(
            session=s, team_id="T", at=datetime(2026, 1, 1), profiles=[profile("U1", "A")]
        )


def test_claim_event_once(engine: Engine) -> None:
    with transaction(engine) as s:
        assert events.claim_event(session=s, team_id="T", event_id="Ev1") is True
        assert events.claim_event(session=s, team_id="T", event_id="Ev1") is False
    with transaction(engine) as s:
        assert events.claim_event(session=s, team_id="T", event_id="Ev1") is False
        assert events.claim_event(session=s, team_id="T", event_id="Ev2") is True


def test_upsert_profiles_changes_only_what_changed(engine: Engine) -> None:
    with transaction(engine) as s:
        assert (
            people.upsert_profiles(session=s, team_id="T", at=NOW, profiles=[profile("U1", "A")])
            == 1
        )
        assert (
            people.upsert_profiles(session=s, team_id="T", at=NOW, profiles=[profile("U1", "A")])
            == 0
        )
        assert (
            people.upsert_profiles(
                session=s, team_id="T", at=NOW, profiles=[profile("U1", "A", tz="Asia/Tokyo")]
            )
            == 1
        )


def test_set_members_reports_moves(engine: Engine) -> None:
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s, team_id="T", at=NOW, profiles=[profile(f"U{i}", f"P{i}") for i in range(4)]
        )
        ids = [p.id for p in people.list_people(session=s, team_id="T")]
        unit = units.create_unit(
            session=s, team_id="T", name="U", parent_id=None, manager_id=ids[0]
        )
        assert unit.id
        assert units.set_members(
            session=s, team_id="T", unit_id=unit.id, person_ids=[ids[1], ids[2]]
        ) == ([ids[1], ids[2]], [])
        assert units.set_members(
            session=s, team_id="T", unit_id=unit.id, person_ids=[ids[2], ids[3]]
        ) == ([ids[3]], [ids[1]])
        assert [p.id for p in units.members_of(session=s, team_id="T", unit_id=unit.id)] == [
            ids[2],
            ids[3],
        ]


def test_unit_and_cycle_names_are_unique_per_workspace(engine: Engine) -> None:
    with transaction(engine) as s:
        units.create_unit(session=s, team_id="T1", name="Sales", parent_id=None, manager_id=None)
        units.create_unit(session=s, team_id="T2", name="Sales", parent_id=None, manager_id=None)
    with pytest.raises(IntegrityError), transaction(engine) as s:
        units.create_unit(session=s, team_id="T1", name="Sales", parent_id=None, manager_id=None)


def test_the_active_cycle_is_the_one_whose_dates_contain_today(engine: Engine) -> None:
    with transaction(engine) as s:
        h2 = cycles.add_cycle(
            session=s, team_id="T", name="H2", start=date(2027, 7, 1), end=date(2027, 12, 31)
        )
        h1 = cycles.add_cycle(
            session=s, team_id="T", name="H1", start=date(2027, 1, 1), end=date(2027, 6, 30)
        )
        assert [c.name for c in cycles.list_cycles(session=s, team_id="T")] == ["H1", "H2"]
        # Before any starts, the next one is current; none is running.
        assert cycles.running_cycle(session=s, team_id="T", today=date(2026, 12, 1)) is None
        assert cycles.current_cycle(session=s, team_id="T", today=date(2026, 12, 1)) == h1
        # Adding a later cycle never changes which one runs.
        assert cycles.current_cycle(session=s, team_id="T", today=date(2027, 4, 11)) == h1
        assert cycles.current_cycle(session=s, team_id="T", today=date(2027, 6, 30)) == h1
        assert cycles.current_cycle(session=s, team_id="T", today=date(2027, 7, 1)) == h2
        assert cycles.current_cycle(session=s, team_id="T", today=date(2028, 1, 1)) is None
        assert cycles.upcoming_cycle(session=s, team_id="T", after=h1.end) == h2
        assert (
            cycles.overlapping_cycle(
                session=s, team_id="T", start=date(2027, 5, 1), end=date(2027, 8, 1)
            )
            == h1
        )
        assert (
            cycles.overlapping_cycle(
                session=s, team_id="T", start=date(2028, 1, 1), end=date(2028, 6, 30)
            )
            is None
        )


def test_set_units_of_joins_moves_and_removes_in_bulk(engine: Engine) -> None:
    with transaction(engine) as s:
        people.upsert_profiles(
            session=s, team_id="T", at=NOW, profiles=[profile(f"U{i}", f"P{i}") for i in range(4)]
        )
        a, b, c, d = (p.id or 0 for p in people.list_people(session=s, team_id="T"))
        first, second = units.create_units(
            session=s,
            team_id="T",
            units=[units.NewUnit("One", None, a), units.NewUnit("Two", None, b)],
        )
        assert units.set_units_of(session=s, team_id="T", units={b: first, c: first}) == 2
        assert units.set_units_of(session=s, team_id="T", units={b: first, c: second}) == 1
        assert units.set_units_of(session=s, team_id="T", units={b: None, d: second}) == 2
        assert units.memberships(session=s, team_id="T") == {c: second, d: second}
        units.set_parents(session=s, team_id="T", parents={second: first})
        assert [(u.name, u.parent_id) for u in units.unit_rows(session=s, team_id="T")] == [
            ("One", None),
            ("Two", first),
        ]
    with transaction(engine) as s:  # another workspace's units are out of reach
        units.set_parents(session=s, team_id="OTHER", parents={second: None})
        assert units.unit_rows(session=s, team_id="T")[1].parent_id == first


def test_the_directory_lease_goes_to_one_owner_until_it_lapses(engine: Engine) -> None:
    lease = timedelta(minutes=2)

    def claim(owner: str, at: datetime, synced_before: datetime | None = None) -> bool:
        with transaction(engine) as s:
            return workspaces.claim_directory_sync(
                session=s,
                team_id="T",
                owner=owner,
                now=at,
                synced_before=synced_before or at,
                lease_until=at + lease,
            )

    assert claim("a", NOW)  # no workspace row yet: claiming creates it
    assert not claim("b", NOW + timedelta(minutes=1))
    assert claim("b", NOW + timedelta(minutes=3))  # a stalled past its lease
    with transaction(engine) as s:
        assert not workspaces.renew_directory_sync(
            session=s, team_id="T", owner="a", lease_until=NOW + timedelta(minutes=9)
        )
        assert not workspaces.release_directory_sync(
            session=s, team_id="T", owner="a", synced_at=NOW
        )
        assert workspaces.release_directory_sync(
            session=s, team_id="T", owner="b", synced_at=NOW + timedelta(minutes=3)
        )
    # Fresh: nobody claims it until the last sync began before `synced_before`.
    assert not claim("c", NOW + timedelta(minutes=4), synced_before=NOW)
    assert claim("c", NOW + timedelta(minutes=4))


def test_plain_rows_hold_columns_of_their_models() -> None:
    """PersonRow and GoalRow are read column by column, by their fields' names; the key first."""
    for row, model in [(people.PersonRow, Person), (goals.GoalRow, Goal)]:
        columns = [c.name for c in table_of(model).columns]
        names = [f.name for f in fields(row)]
        assert names[0] == "id" and set(names) <= set(columns)
        assert names == sorted(names, key=columns.index)  # in the table's order, for reading


def test_a_hurried_write_gives_up_on_a_lock_held_past_its_wait(engine: Engine) -> None:
    """The ack path's record of a delivery waits at most HURRY for a lock (PostgreSQL: the
    readers' pool's connections are opened with lock_timeout; SQLite: the write lock's busy
    timeout), then fails, so the ack can answer in time; with the lock free it records at once."""
    message = InboxMessage(
        team_id="T", user_id="U1", kind="dm", delivery="Ev1", payload={}, received_at=NOW
    )
    with hurried_transaction(engine) as s:
        inbox.record(session=s, message=message)
    with transaction(engine) as holder:  # another transaction busy with that very row
        holder.execute(update(InboxMessage).values(status=InboxStatus.PENDING))
        started = time.monotonic()
        with pytest.raises(OperationalError), hurried_transaction(engine) as s:
            inbox.record(session=s, message=message)
        waited = time.monotonic() - started
    assert HURRY * 0.8 <= waited < HURRY + 1.5, waited
    with hurried_transaction(engine) as s:
        inbox.record(session=s, message=message)
    with transaction(engine) as s:
        [row] = inbox.list_messages(session=s, team_id="T")
    assert row.deliveries == 2
