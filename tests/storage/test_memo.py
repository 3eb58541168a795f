"""What a transaction remembers it has read: asked twice, read once; never stale after a write
of any kind (an added row, a changed one, an UPDATE statement), nor in the next transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, delete
from sqlmodel import col

from storage import cycles, units, workspaces
from storage.db import transaction
from storage.models import Cycle, Unit
from tests.helpers import counting_statements

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TODAY = date(2027, 3, 1)


def test_asked_twice_read_once(engine: Engine) -> None:
    with transaction(engine) as s:
        workspaces.get_workspace(session=s, team_id="T")
        cycles.add_cycle(
            session=s, team_id="T", name="FY27", start=date(2027, 1, 1), end=date(2027, 12, 31)
        )
        units.create_unit(session=s, team_id="T", name="Acme", parent_id=None, manager_id=None)
    with counting_statements(engine) as statements, transaction(engine) as s:
        assert cycles.current_cycle(session=s, team_id="T", today=TODAY) is not None
        assert cycles.running_cycle(session=s, team_id="T", today=TODAY) is not None
        assert cycles.upcoming_cycle(session=s, team_id="T", after=TODAY) is None
        assert [c.name for c in cycles.list_cycles(session=s, team_id="T")] == ["FY27"]
        assert workspaces.local_today(session=s, team_id="T", now=NOW) == TODAY
        assert units.any_units(session=s, team_id="T")
        assert [u.name for u in units.list_units(session=s, team_id="T")] == ["Acme"]
        assert units.any_units(session=s, team_id="T")
        assert units.units_managed_by(session=s, team_id="T", person_id=1) == []
    reads = [q for q in statements if q.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(reads) == 3  # workspace and cycles together, then any_units, then the units


def test_what_is_written_in_the_transaction_is_read_back(engine: Engine) -> None:
    with transaction(engine) as s:
        assert cycles.list_cycles(session=s, team_id="T") == []
        assert units.list_units(session=s, team_id="T") == []
        s.add(Cycle(team_id="T", name="FY27", start=date(2027, 1, 1), end=date(2027, 12, 31)))
        # not flushed yet: asking again flushes first, as a query would
        assert [c.name for c in cycles.list_cycles(session=s, team_id="T")] == ["FY27"]
        assert cycles.current_cycle(session=s, team_id="T", today=TODAY) is not None
        unit = units.create_unit(
            session=s, team_id="T", name="Acme", parent_id=None, manager_id=None
        )
        assert [u.name for u in units.list_units(session=s, team_id="T")] == ["Acme"]
        s.execute(delete(Unit).where(col(Unit.id) == unit.id))  # a statement, not the ORM
        assert units.list_units(session=s, team_id="T") == []
        listed = cycles.list_cycles(session=s, team_id="T")
        listed.clear()  # a caller's own copy: what is remembered stays whole
        assert len(cycles.list_cycles(session=s, team_id="T")) == 1


def test_the_next_transaction_reads_afresh(engine: Engine) -> None:
    with transaction(engine) as s:
        assert units.list_units(session=s, team_id="T") == []
    with transaction(engine) as other:
        units.create_unit(session=other, team_id="T", name="Acme", parent_id=None, manager_id=None)
    with transaction(engine) as s:
        assert [u.name for u in units.list_units(session=s, team_id="T")] == ["Acme"]
