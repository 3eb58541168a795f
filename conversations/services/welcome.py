"""People hear at once when the organisation changes around them: someone made a unit's manager,
or added to (or moved into) a unit, is told so, with what to do next.

Works the same for every way the organisation changes (`/goals unit add`, `/goals unit members`,
`cascade org import`): take `before(...)`, make the change, then `notices(...)` compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from conversations.flows.spec import Notice
from conversations.offers import Choice, Offer
from conversations.services import planning
from storage import objectives, people, units
from storage.models import Unit

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
    changed = sorted(
        {p for p, ids in after.manages.items() if ids - then.manages.get(p, frozenset())}
        | {p for p, u in after.member_of.items() if then.member_of.get(p) != u}
    )
    # Everyone this reads, in one query each: the people told, their units' managers, and which
    # units have published objectives (whatever the size of the change).
    managers = {u.manager_id for u in by_id.values() if u.manager_id is not None}
    person = {
        p.id: p
        for p in people.people_by_ids(
            session=session, team_id=team_id, person_ids={*changed, *managers}
        )
    }
    published = (
        objectives.published_units(
            session=session, team_id=team_id, cycle_id=cycle.id, unit_ids=list(by_id)
        )
        if cycle is not None and cycle.id is not None
        else set()
    )
    told: list[Notice] = []
    for person_id in changed:
        who = person.get(person_id)
        if person_id == by or who is None or who.deleted or who.is_bot:
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
        plannable = [u for u in manages if u.parent_id is None or u.parent_id in published]
        if cycle is not None and plannable:
            choices.append(Choice(Offer.PLAN_UNIT, f"{plannable[0].id}/{cycle.id}", primary=True))
        unit_ready = joined is not None and joined.id in published
        if cycle is not None and unit_ready:
            choices.append(Choice(Offer.SET_GOALS, str(cycle.id), primary=not choices))
        manager_of = {
            u.id: person[u.manager_id].user_id
            for u in [*manages, *([joined] if joined else [])]
            if u.manager_id is not None and u.manager_id in person
        }
        context = {
            "manages": manages,
            "plannable": [u.name for u in plannable],
            "joined": joined,
            "joined_manager": manager_of.get(joined.id) if joined else None,
            "unit_ready": unit_ready,
            "cycle": cycle,
            "parents": {u.id: by_id.get(u.parent_id or 0) for u in manages},
        }
        told.append(Notice(who.user_id, "welcome/placed", context, tuple(choices), kind=KIND))
    return told
