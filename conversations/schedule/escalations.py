"""Barrier escalation, found from the tick's World: a barrier its holder has left unacknowledged
for `barrier_escalation_days` working days (counted in the holder's time zone) moves to the
holder's own manager. It stops at the head of the organisation. Escalations are state changes:
they always go, before any nudge, and count toward the person's weekly budget."""

from __future__ import annotations

from conversations import clock
from conversations.schedule.world import World
from conversations.services.barrier import Escalation

KIND = "barrier_escalation"  # the outbox kind of the message to the manager it moves to


def escalations(world: World) -> list[Escalation]:
    """Every barrier due to move up as of the world's instant."""
    due = []
    days = world.workspace.barrier_escalation_days
    for barrier in world.barriers:
        holder = world.people.get(barrier.holder_id or 0)
        reporter = world.people.get(barrier.reporter_id)
        if holder is None or reporter is None:
            continue
        since = clock.local_date(barrier.escalated_at or barrier.reported_at, holder.tz)
        today = clock.local_date(world.now, holder.tz)
        if clock.working_days_between(since, today, world.working) < days:
            continue
        above = world.manager_of(holder)
        if above is not None:  # with the head of the organisation, it stays
            due.append(Escalation(barrier, holder, above, reporter))
    return due
