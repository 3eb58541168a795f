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
from storage.models import Cycle, Unit
from storage.people import Addressee

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


@dataclass(frozen=True)
class _Read:
    """What the notices need, read once whatever the size of the change."""

    then: Organisation
    after: Organisation
    cycle: Cycle | None
    units: dict[int, Unit]
    people: dict[int, Addressee]  # the people told, and every unit's manager
    published: set[int]  # units with published objectives in `cycle`


def _read(session: Session, team_id: str, then: Organisation, now: datetime) -> _Read:
    after = before(session=session, team_id=team_id)
    cycle = planning.current(session=session, team_id=team_id, now=now)
    by_id = {u.id: u for u in units.list_units(session=session, team_id=team_id) if u.id}
    managers = {u.manager_id for u in by_id.values() if u.manager_id is not None}
    ids = {*_changed(then, after), *managers}
    found = people.addressees(session=session, team_id=team_id, person_ids=ids)
    published = (
        objectives.published_units(
            session=session, team_id=team_id, cycle_id=cycle.id, unit_ids=list(by_id)
        )
        if cycle is not None and cycle.id is not None
        else set()
    )
    return _Read(then, after, cycle, by_id, {p.id: p for p in found if p.id}, published)


def _changed(then: Organisation, after: Organisation) -> list[int]:
    """Who manages a new unit, or belongs to another unit, since `then`."""
    return sorted(
        {p for p, ids in after.manages.items() if ids - then.manages.get(p, frozenset())}
        | {p for p, u in after.member_of.items() if then.member_of.get(p) != u}
    )


def notices(
    *,
    session: Session,
    team_id: str,
    then: Organisation,
    now: datetime,
    by: int | None = None,
    newcomers: bool = True,
) -> list[Notice]:
    """One message to each person whose place changed since `then`, except `by` (who made the
    change and knows): the units they now manage, the unit they now belong to, and what next.
    Without `newcomers` (`cascade org import`, SPEC), someone placed for the first time who
    manages nothing new is not told: they hear of Cascade when their unit publishes (at once,
    if it has).
    People placed alike (the members who joined one unit) get one notice, each a copy with
    their own user id: its words are rendered once (bot/turns.py)."""
    read = _read(session, team_id, then, now)
    told = []
    alike: dict[_Placement, Notice] = {}
    for person_id in _changed(then, read.after):
        who = read.people.get(person_id)
        if person_id == by or who is None or who.deleted or who.is_bot:
            continue
        if not newcomers and _first_placed(read, person_id):
            continue
        placement = _placement(read, person_id)
        notice = alike.get(placement)
        if notice is None:
            notice = alike[placement] = _placed(read, placement, who.user_id)
        # The same context, choices and template: only whom it is to differs (a constructor,
        # not dataclasses.replace, which for 100,000 notices took a second).
        told.append(Notice(who.user_id, notice.template, notice.context, notice.choices, kind=KIND))
    return told


_Placement = tuple[frozenset[int], int | None]  # units newly managed, the unit newly joined


def _first_placed(read: _Read, person_id: int) -> bool:
    """Placed in a unit for the first time, managing no unit they did not before, in a unit that
    has not published yet (one that has is told now: its publishing is past)."""
    managed = read.then.manages.get(person_id, frozenset())
    return (
        read.then.member_of.get(person_id) is None
        and not read.after.manages.get(person_id, frozenset()) - managed
        and read.after.member_of.get(person_id) not in read.published
    )


def _placement(read: _Read, person_id: int) -> _Placement:
    new_units = read.after.manages.get(person_id, frozenset()) - read.then.manages.get(
        person_id, frozenset()
    )
    joined_id = read.after.member_of.get(person_id)
    moved = joined_id is not None and read.then.member_of.get(person_id) != joined_id
    return new_units, joined_id if moved else None


def _placed(read: _Read, placement: _Placement, user_id: str) -> Notice:
    """The message to someone placed anew: what they manage, where they belong, what next."""
    cycle, by_id = read.cycle, read.units
    new_units, joined_id = placement
    manages = [by_id[u] for u in sorted(new_units) if u in by_id]
    joined = by_id.get(joined_id) if joined_id is not None else None
    choices: list[Choice] = []
    plannable = [u for u in manages if u.parent_id is None or u.parent_id in read.published]
    if cycle is not None and plannable:
        choices.append(Choice(Offer.PLAN_UNIT, f"{plannable[0].id}/{cycle.id}", primary=True))
    unit_ready = joined is not None and joined.id in read.published
    if cycle is not None and unit_ready:
        choices.append(Choice(Offer.SET_GOALS, str(cycle.id), primary=not choices))
    manager = read.people.get(joined.manager_id or 0) if joined else None
    context = {
        "manages": manages,
        "plannable": [u.name for u in plannable],
        "joined": joined,
        "joined_manager": manager.user_id if manager else None,
        "unit_ready": unit_ready,
        "cycle": cycle,
        "parents": {u.id: by_id.get(u.parent_id or 0) for u in manages},
    }
    return Notice(user_id, "welcome/placed", context, tuple(choices), kind=KIND)
