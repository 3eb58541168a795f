"""A person's data-protection rights: a copy of everything about them, and erasure."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from conversations.errors import Refusal
from conversations.services.barrier import manager_of
from storage import barriers, erasure, forgotten, people, units
from storage.export import export_person
from storage.models import Person

Rows = dict[str, list[dict[str, object]]]


def find(*, session: Session, who: str) -> list[Person]:
    """Whoever `who` names (a Slack user id or an email), in every workspace; refused if nobody."""
    found = erasure.people_matching(session=session, who=who)
    if not found:
        raise Refusal("no_such_person", who=who)
    return found


def export(*, session: Session, who: str, now: datetime) -> Rows:
    """Everything about them, in the export format (and what else Cascade keeps of theirs)."""
    result: Rows = {}
    for person in find(session=session, who=who):
        for key, rows in export_person(session=session, person=person, now=now).items():
            result.setdefault(key, []).extend(rows)
    return result


def already_forgotten(*, session: Session, who: str) -> bool:
    """Whether `who` names someone erased before, of whom nothing is left to erase."""
    return not erasure.people_matching(session=session, who=who) and forgotten.named(
        session=session, who=who
    )


def forget(*, session: Session, who: str) -> dict[str, int]:
    """Erase them, in every workspace, and remember (as hashes only: storage/forgotten.py) that
    they were, so that nothing writes them back; refused while they manage a unit (it would be
    left without a manager), naming it. A barrier someone else reported that they hold goes to
    the reporter's manager now, so it still sits with someone who can act on it. Returns, per
    kind, how many rows went or changed."""
    found = find(session=session, who=who)
    for person in found:
        managed = units.units_managed_by(
            session=session, team_id=person.team_id, person_id=person.id or 0
        )
        if managed:
            raise Refusal("forget_manager", who=who, unit=managed[0].name)
    counts: dict[str, int] = {}
    for person in found:
        holders = {
            b.id or 0: _new_holder(session, person, b.reporter_id)
            for b in barriers.held_by(
                session=session, team_id=person.team_id, person_id=person.id or 0
            )
        }
        forgotten.remember(session=session, person=person)
        erased = erasure.erase_person(session=session, person=person, holders=holders)
        for kind, count in erased.items():
            counts[kind] = counts.get(kind, 0) + count
    return counts


def _new_holder(session: Session, person: Person, reporter_id: int) -> int | None:
    reporter = people.get_person_by_id(
        session=session, team_id=person.team_id, person_id=reporter_id
    )
    manager = manager_of(session, person.team_id, reporter) if reporter is not None else None
    return manager.id if manager is not None and manager.id != person.id else None
