"""The tick's reads of one workspace, narrowed to what a scheduled rule may act on at an instant:
the people whose check-in falls due now (by their stored time zone and check-in setting, which
the caller has worked out once per setting), everyone some other rule names (managers, admins,
barriers' people, goals' owners, those mid-interview or with a 1:1, those owed a reminder), and
the goals, check-ins and check-ins sent of those. At 100,000 people an hour's tick reads a few
tens of thousands of rows, not the whole workspace (conversations/schedule/world.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    exists,
    false,
    func,
    or_,
    true,
    tuple_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.db import STREAMED, one_of, table_of
from storage.goals import OPEN, GoalRow
from storage.models import (
    CheckIn,
    Goal,
    GoalStatus,
    Membership,
    Objective,
    ObjectiveStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    Unit,
)
from storage.people import PersonRow
from storage.units import UnitRow

Setting = tuple[str, int | None, str | None]  # a person's (tz, checkin_weekday, checkin_time)


@dataclass(frozen=True)
class InPlay:
    """What the tick's rules may act on at an instant, as its reads narrow the workspace.
    `whole`: read everything, as before the narrowing (tests check the rules find the same)."""

    team_id: str
    cycle_id: int | None  # the running cycle
    due_settings: Collection[Setting]  # check-in settings whose check-in is due now
    admin_ids: Collection[str]
    person_ids: Collection[int]  # named by a barrier, an interview or a 1:1
    promised_goal_ids: Collection[int]  # goals a manager promised help on
    closing_before: date  # agreed goals due before this day may be asked to close…
    closing_cycle_id: int | None  # … and every agreed goal of this cycle (it ended somewhere)
    proposed_before: datetime  # proposed goals unchanged since before it wait for agreement
    checkin_kind: str  # the outbox kind of the weekly check-in
    weeks: Sequence[str]  # the weeks check-ins are looked up in
    this_weeks: Collection[tuple[str, str]]  # (time zone, its current week)
    reminded_before: datetime  # a check-in sent before it may be owed its reminder now
    whole: bool = False


def checkin_settings(*, session: Session, team_id: str) -> list[Setting]:
    """Every (time zone, check-in weekday, check-in time) an active person has, as stored (None:
    the workspace's), in one query."""
    person = table_of(Person)
    rows = session.execute(
        sa_select(person.c.tz, person.c.checkin_weekday, person.c.checkin_time)
        .where(
            person.c.team_id == team_id,
            person.c.deleted.is_(false()),
            person.c.is_bot.is_(false()),
        )
        .distinct()
    )
    return sorted(((tz, weekday, when) for tz, weekday, when in rows), key=_setting_key)


def _setting_key(setting: Setting) -> tuple[str, int, str]:
    tz, weekday, when = setting
    return tz, -1 if weekday is None else weekday, when or ""


def units_published(
    *, session: Session, team_id: str, cycle_id: int | None
) -> tuple[list[UnitRow], dict[int, datetime]]:
    """Every unit of the workspace as plain rows, in id order, and when each first published
    objectives for this cycle, in one query."""
    objective, unit = table_of(Objective), table_of(Unit)
    first = (
        sa_select(objective.c.unit_id, func.min(objective.c.published_at).label("at"))
        .where(
            objective.c.team_id == team_id,
            objective.c.cycle_id == (-1 if cycle_id is None else cycle_id),
            objective.c.status == ObjectiveStatus.PUBLISHED,
        )
        .group_by(objective.c.unit_id)
        .subquery("first_published")
    )
    rows = session.execute(
        sa_select(unit.c.id, unit.c.name, unit.c.parent_id, unit.c.manager_id, first.c.at)
        .outerjoin(first, first.c.unit_id == unit.c.id)
        .where(unit.c.team_id == team_id)
        .order_by(unit.c.id)
    ).all()
    found = [
        UnitRow(unit_id, name, parent_id, manager_id)
        for unit_id, name, parent_id, manager_id, _ in rows
    ]
    return found, {row[0]: row[4] for row in rows if row[4] is not None}


def people(*, session: Session, in_play: InPlay) -> tuple[list[PersonRow], dict[int, int]]:
    """Everyone in play as plain rows, in id order, and the unit each belongs to, in one query."""
    person, member = table_of(Person), table_of(Membership)
    query = (
        sa_select(*_columns(person, PersonRow), member.c.unit_id)
        .outerjoin(member, member.c.person_id == person.c.id)
        .where(person.c.team_id == in_play.team_id, _person_in_play(session, person, in_play))
    )
    rows, member_of = [], {}
    for *values, unit_id in session.execute(query, execution_options=STREAMED):
        rows.append(PersonRow(*values))
        if unit_id is not None:
            member_of[values[0]] = unit_id
    # Sorted here: in id order, PostgreSQL sorts the memberships to merge them, on disk.
    rows.sort(key=attrgetter("id"))
    return rows, member_of


def goals(*, session: Session, in_play: InPlay) -> list[GoalRow]:
    """The open goals in play as plain rows, in id order: the agreed goals of whoever is due a
    check-in now (and their others of this cycle, while none of it is agreed: they are not
    asked to set one), and those a rule acts on whoever owns them. In one query."""
    goal, person = table_of(Goal), table_of(Person)
    is_open = (goal.c.team_id == in_play.team_id, goal.c.status.in_(OPEN))
    read = _columns(goal, GoalRow)
    if in_play.whole:
        parts = [sa_select(*read).where(*is_open)]
    else:
        # Apart, each is a join PostgreSQL does at once; as one condition with OR, it tests
        # every goal against each part (twice as long at 100,000 people).
        asked = sa_select(*read).join(person, person.c.id == goal.c.owner_id)
        asked = asked.where(*is_open, _has_due_setting(person, in_play))
        parts = [
            asked.where(goal.c.status == GoalStatus.AGREED),
            sa_select(*read).where(*is_open, _acted_on(session, goal, in_play)),
        ]
        if in_play.cycle_id is not None:  # led by the people: fewer than their goals
            agreed = aliased(goal)
            others = (goal.c.cycle_id == in_play.cycle_id, goal.c.status != GoalStatus.AGREED)
            parts.append(
                sa_select(*read)
                .select_from(person)
                .join(goal, and_(goal.c.owner_id == person.c.id, *is_open, *others))
                .where(
                    person.c.team_id == in_play.team_id,
                    _has_due_setting(person, in_play),
                    ~exists().where(
                        agreed.c.owner_id == person.c.id,
                        agreed.c.cycle_id == in_play.cycle_id,
                        agreed.c.status == GoalStatus.AGREED,
                    ),
                )
            )
    found = {  # one per goal
        row[0]: GoalRow(*row)
        for row in session.execute(union_all(*parts), execution_options=STREAMED)
    }
    return [found[i] for i in sorted(found)]


def _columns(table: Table, row: type[Any]) -> list[ColumnElement[Any]]:
    """The columns a plain row holds, in its fields' order."""
    return [table.c[f.name] for f in fields(row)]


def checked_in(*, session: Session, in_play: InPlay) -> set[tuple[int, str]]:
    """(person id, week) for those in play who checked in during their own current week
    (`checkins.checked_in` of them): whoever is due a check-in now, or may be owed a reminder
    of one. Earlier weeks are told by `checkins_sent`, which leaves out those answered."""
    checkin, person = table_of(CheckIn), table_of(Person)
    query = sa_select(checkin.c.person_id, checkin.c.week).where(
        checkin.c.team_id == in_play.team_id, checkin.c.week.in_(list(in_play.weeks))
    )
    if not in_play.whole:
        query = query.join(person, person.c.id == checkin.c.person_id).where(
            tuple_(person.c.tz, checkin.c.week).in_(sorted(in_play.this_weeks)),
            or_(_has_due_setting(person, in_play), person.c.user_id.in_(_reminded(in_play))),
        )
    return {(person_id, week or "") for person_id, week in session.execute(query.distinct())}


def checkins_sent(*, session: Session, in_play: InPlay) -> dict[tuple[str, str], datetime]:
    """(Slack user id, week) → when their check-in was sent, in `weeks`, of those in play:
    whoever is due a check-in now, and any check-in that may be owed its reminder now; those
    answered that week are left out (what the rules ask is whether one was not)."""
    outbox, person, checkin = table_of(OutboxMessage), table_of(Person), table_of(CheckIn)
    query = sa_select(outbox.c.subject, outbox.c.period_key, outbox.c.sent_at).where(
        *_sent_checkins(in_play)
    )
    if not in_play.whole:
        asked = _due_people(in_play).with_only_columns(person.c.user_id)
        answered = exists().where(
            checkin.c.team_id == in_play.team_id,
            checkin.c.week == outbox.c.period_key,
            person.c.id == checkin.c.person_id,
            person.c.team_id == in_play.team_id,
            person.c.user_id == outbox.c.subject,
        )
        query = query.where(
            or_(outbox.c.sent_at <= in_play.reminded_before, outbox.c.subject.in_(asked)),
            ~answered,
        )
    rows = session.execute(query.order_by(outbox.c.id))
    return {(s or "", p or ""): at for s, p, at in rows if at is not None}


def _due_people(in_play: InPlay) -> Select[tuple[str]]:
    """The people whose check-in setting is due now (select what of them you need)."""
    person = table_of(Person)
    return sa_select(person.c.user_id).where(
        person.c.team_id == in_play.team_id, _has_due_setting(person, in_play)
    )


def _has_due_setting(person: Table, in_play: InPlay) -> ColumnElement[bool]:
    if in_play.whole:
        return true()
    zones: dict[tuple[int | None, str | None], list[str]] = {}
    for tz, weekday, when in sorted(in_play.due_settings, key=_setting_key):
        zones.setdefault((weekday, when), []).append(tz)
    # The stored values, NULL as NULL: conditions PostgreSQL can estimate (so it joins by hash).
    return or_(
        false(),
        *(
            and_(
                person.c.tz.in_(tzs),
                person.c.checkin_weekday.is_(None)
                if weekday is None
                else person.c.checkin_weekday == weekday,
                person.c.checkin_time.is_(None) if when is None else person.c.checkin_time == when,
            )
            for (weekday, when), tzs in zones.items()
        ),
    )


def _acted_on(session: Session, goal: Table, in_play: InPlay) -> ColumnElement[bool]:
    """Goals a rule acts on whoever owns them: agreed ones past due somewhere (or of a cycle that
    ended somewhere), proposed ones waiting for agreement, those help was promised on."""
    past_due = goal.c.due < in_play.closing_before
    if in_play.closing_cycle_id is not None:
        past_due = or_(past_due, goal.c.cycle_id == in_play.closing_cycle_id)
    return or_(
        and_(goal.c.status == GoalStatus.AGREED, past_due),
        and_(goal.c.status == GoalStatus.PROPOSED, goal.c.updated_at <= in_play.proposed_before),
        one_of(session, goal.c.id, sorted(in_play.promised_goal_ids)),
    )


def _sent_checkins(in_play: InPlay) -> tuple[ColumnElement[bool], ...]:
    outbox = table_of(OutboxMessage)
    return (
        outbox.c.team_id == in_play.team_id,
        outbox.c.kind == in_play.checkin_kind,
        outbox.c.status == OutboxStatus.SENT,
        outbox.c.period_key.in_(list(in_play.weeks)),
    )


def _reminded(in_play: InPlay) -> Select[tuple[str | None]]:
    """The Slack user ids whose check-in this week may be owed its reminder now."""
    outbox = table_of(OutboxMessage)
    return sa_select(outbox.c.subject).where(
        *_sent_checkins(in_play), outbox.c.sent_at <= in_play.reminded_before
    )


def _person_in_play(session: Session, person: Table, in_play: InPlay) -> ColumnElement[bool]:
    """Whoever a rule may name now: due a check-in, a manager (told of missed check-ins, nudged
    to plan, asked to agree, a barrier's next holder), an admin (agrees where no manager does),
    named by a barrier, interview or 1:1, owning a goal a rule acts on, or owed a reminder."""
    if in_play.whole:
        return true()
    unit, goal = table_of(Unit), table_of(Goal)
    managers = sa_select(unit.c.manager_id).where(
        unit.c.team_id == in_play.team_id, unit.c.manager_id.is_not(None)
    )
    owners = sa_select(goal.c.owner_id).where(
        goal.c.team_id == in_play.team_id,
        goal.c.status.in_(OPEN),
        _acted_on(session, goal, in_play),
    )
    return or_(
        _has_due_setting(person, in_play),
        person.c.id.in_(managers),
        person.c.is_slack_admin,
        person.c.user_id.in_(sorted(in_play.admin_ids)),
        one_of(session, person.c.id, sorted(in_play.person_ids)),
        person.c.id.in_(owners),
        person.c.user_id.in_(_reminded(in_play)),
    )
