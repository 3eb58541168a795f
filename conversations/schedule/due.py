"""What is due as of an instant, in every workspace: barriers that move up (applied here: a state
change), then the nudges the budget lets through and those it holds back. Read in a fixed number
of queries per workspace, whatever its size; bot/tick.py words it and writes it to the outbox."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations import clock
from conversations.schedule.budget import Due, Held, spend
from conversations.schedule.escalations import KIND as ESCALATION
from conversations.schedule.escalations import escalations
from conversations.schedule.nudges import AGENDA, KINDS, RETROSPECTIVE, Candidate, candidates
from conversations.schedule.world import World, read_world
from conversations.services import barrier, planning
from conversations.services.one_on_one import Pair
from conversations.views.one_on_one import agendas
from conversations.views.retrospective import retrospective
from storage import outbox, units, workspaces


def due(*, session: Session, now: datetime, admin_ids: frozenset[str]) -> dict[str, Due]:
    """Everything scheduled that is due as of `now`, by workspace."""
    with _without_collections():
        return {
            team_id: due_in(session=session, team_id=team_id, now=now, admin_ids=admin_ids)
            for team_id in workspaces.calendars(session=session)
        }


@contextmanager
def _without_collections() -> Iterator[None]:
    """No cyclic garbage collection while the rules run: the snapshot is about a million small
    objects with no cycles among them, and each full pass over them, triggered by the rules'
    own allocations, cost seconds per tick at 100,000 people (profiled). Collected after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the tick made is still alive (its caller writes it) and acyclic: it goes to the
        # oldest generation as it is (two pointer moves), not traversed again by the first
        # young collection after (0.1 s at 100,000 people); it is freed by reference counts.
        gc.freeze()
        gc.unfreeze()
        if was:
            gc.enable()


def due_in(*, session: Session, team_id: str, now: datetime, admin_ids: frozenset[str]) -> Due:
    world = read_world(session=session, team_id=team_id, now=now, admin_ids=admin_ids)
    escalated = barrier.escalate(session=session, escalations=escalations(world), now=now)
    found = with_retrospectives(session, world, with_agendas(session, world, candidates(world)))
    owed = outbox.already_owed(session=session, team_id=team_id, keys={c.key for c in found})
    since = world.now - timedelta(days=8)
    owed_lately, held_rows = outbox.budget_rows(
        session=session, team_id=team_id, kinds=(ESCALATION, *KINDS), since=since
    )
    used = _used_this_week(world, owed_lately)
    for notice in escalated:
        if notice.kind == ESCALATION:
            used[notice.user_id] += 1
    held = [Held(i, recipient, also) for i, recipient, also in held_rows]
    going, holding = spend(world, found, owed=owed, used=used, held=held)
    return Due(escalated=escalated, nudges=going, held=holding)


def with_agendas(session: Session, world: World, found: list[Candidate]) -> list[Candidate]:
    """The 1:1 agendas due now, each given its agenda (read for all the pairs at once)."""
    due = {_pair_key(c): Pair(*c.context["pair"]) for c in found if c.kind == AGENDA}
    if not due:
        return found
    made = agendas(session=session, team_id=world.team_id, pairs=list(due.values()), now=world.now)
    by_pair = {(a.pair.manager.id, a.pair.report.id): a for a in made}
    return [
        replace(c, context={**c.context, "agenda": by_pair[_pair_key(c)]})
        if c.kind == AGENDA
        else c
        for c in found
    ]


def with_retrospectives(session: Session, world: World, found: list[Candidate]) -> list[Candidate]:
    """The retrospectives due now, each given its manager's part (read once, for everyone)."""
    due = [c for c in found if c.kind == RETROSPECTIVE]
    if not due or world.ended is None:
        return found
    ended = world.ended
    later = planning.after(session=session, team_id=world.team_id, cycle=ended)
    whole = retrospective(
        session=session, team_id=world.team_id, cycle=ended, next_cycle=later, tz=world.tz
    )
    rows = units.unit_rows(session=session, team_id=world.team_id)
    parts = {id(c): whole.of(set(c.context["tops"]), rows) for c in due}
    return [
        replace(c, context={**c.context, "retro": parts[id(c)]}) if id(c) in parts else c
        for c in found
    ]


def _pair_key(candidate: Candidate) -> tuple[int | None, int | None]:
    manager, report = candidate.context["pair"]
    return manager.id, report.id


def _used_this_week(world: World, owed: list[tuple[str, datetime]]) -> defaultdict[str, int]:
    """Nudges owed to each person in their own current week (by Slack user id), of those owed
    in the last eight days."""
    by_user = {p.user_id: p for p in world.people.values()}
    used: defaultdict[str, int] = defaultdict(int)
    for recipient, at in owed:
        person = by_user.get(recipient)
        if person is not None and clock.week_key(at, person.tz) == world.week(person):
            used[recipient] += 1
    return used
