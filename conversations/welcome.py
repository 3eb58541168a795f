"""People hear at once when the organisation changes around them: someone made a unit's manager,
or added to (or moved into) a unit, is told so, with what to do next.

Works the same for every way the organisation changes (`/goals unit add`, `/goals unit members`,
`cascade org import`): take `before(...)`, make the change, then `notices(...)` compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from conversations import planning
from conversations.flow import Choice, Notice, Offer
from storage import objectives, people, units
from storage.models import Cycle, ObjectiveStatus, Unit

KIND = "welcome"


@dataclass(frozen=True)
class Organisation:
    """Who manages which units and who belongs where, at one moment."""

    manages: dict[int, frozenset[int]]  # person id → unit ids
    member_of: dict[int, int]  # person id → unit id


def before(*, session: Session, team_id: str) -> Organisation:
    """The organisation as it is now, to compare with after a change."""
    manages: dict[int, set[int]] = {}
    for unit in units.list_units(session=session, team_id=team_id):
        if unit.manager_id is not None and unit.id is not None:
            manages.setdefault(unit.manager_id, set()).add(unit.id)
    return Organisation(
        manages={k: frozenset(v) for k, v in manages.items()},
        member_of=units.memberships(session=session, team_id=team_id),
    )


def _published(session: Session, team_id: str, unit_id: int | None, cycle: Cycle | None) -> bool:
    if unit_id is None or cycle is None or cycle.id is None:
        return False
    return any(
        o.status == ObjectiveStatus.PUBLISHED
        for o in objectives.list_objectives(
            session=session, team_id=team_id, unit_id=unit_id, cycle_id=cycle.id
        )
    )


def notices(
    *,
    session: Session,
    team_id: str,
    then: Organisation,
    now: datetime,
    by: int | None = None,
) -> list[Notice]:
    """One message to each person whose place changed since `then`, except `by` (who made the
    change and knows): the units they now manage, the unit they now belong to, and what next."""
    after = before(session=session, team_id=team_id)
    cycle = planning.current(session=session, team_id=team_id, now=now)
    by_id: dict[int, Unit] = {
        u.id: u for u in units.list_units(session=session, team_id=team_id) if u.id is not None
    }
    told: list[Notice] = []
    changed = sorted(
        {p for p, ids in after.manages.items() if ids - then.manages.get(p, frozenset())}
        | {p for p, u in after.member_of.items() if then.member_of.get(p) != u}
    )
    for person_id in changed:
        person = people.get_person_by_id(session=session, team_id=team_id, person_id=person_id)
        if person_id == by or person is None or person.deleted or person.is_bot:
            continue
        new_units = sorted(
            after.manages.get(person_id, frozenset()) - then.manages.get(person_id, frozenset())
        )
        manages = [by_id[u] for u in new_units if u in by_id]
        joined_id = after.member_of.get(person_id)
        joined = (
            by_id.get(joined_id)
            if joined_id is not None and then.member_of.get(person_id) != joined_id
            else None
        )
        choices: list[Choice] = []
        plannable = [
            u
            for u in manages
            if u.parent_id is None or _published(session, team_id, u.parent_id, cycle)
        ]
        if cycle is not None and plannable:
            choices.append(Choice(Offer.PLAN_UNIT, f"{plannable[0].id}/{cycle.id}", primary=True))
        unit_ready = joined is not None and _published(session, team_id, joined.id, cycle)
        if cycle is not None and unit_ready:
            choices.append(Choice(Offer.SET_GOALS, str(cycle.id), primary=not choices))
        managers = {
            u.id: m.user_id
            for u in [*manages, *([joined] if joined else [])]
            if u.manager_id is not None
            and (
                m := people.get_person_by_id(
                    session=session, team_id=team_id, person_id=u.manager_id
                )
            )
            is not None
        }
        context = {
            "manages": manages,
            "plannable": [u.name for u in plannable],
            "joined": joined,
            "joined_manager": managers.get(joined.id) if joined else None,
            "unit_ready": unit_ready,
            "cycle": cycle,
            "parents": {u.id: by_id.get(u.parent_id or 0) for u in manages},
        }
        told.append(Notice(person.user_id, "welcome/placed", context, tuple(choices), kind=KIND))
    return told
