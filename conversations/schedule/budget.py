"""The weekly budget: at most `nudge_budget` nudges a person a week, the most important first
(nudges.KINDS is in priority order; escalations count but always go). What is held back is owed
in its period like any other nudge, never sent alone, and told as an "also" line in the person's
next message. A plain function of what the tick read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conversations.flows.spec import Notice
from conversations.schedule.nudges import KINDS, Candidate
from conversations.schedule.world import World
from storage import outbox


@dataclass(frozen=True)
class Held:
    """A nudge held back earlier and not told yet (an outbox row)."""

    row_id: int
    recipient: str
    also: dict[str, Any]  # prompts/nudges/also/<kind> says it


@dataclass(slots=True)  # not frozen, as a Candidate: one a check-in at the busiest hour
class Nudge:
    """A nudge that goes, with the held-back nudges it tells of."""

    candidate: Candidate
    also: tuple[dict[str, Any], ...] = ()
    folds: tuple[int, ...] = ()  # the held rows it tells of: folded once it is owed


@dataclass
class Due:
    """What one workspace is owed as of an instant, decided but not yet written."""

    escalated: list[Notice] = field(default_factory=list)  # barriers moved up, already applied
    nudges: list[Nudge] = field(default_factory=list)
    held: list[Candidate] = field(default_factory=list)  # over the budget this week


def spend(
    world: World,
    candidates: Iterable[Candidate],
    *,
    owed: set[outbox.Key],
    used: Mapping[str, int],
    held: Iterable[Held],
) -> tuple[list[Nudge], list[Candidate]]:
    """Which of the candidates go and which are held back, given what is owed already, how many
    nudges each person has had this week (`used`, by Slack user id) and what was held before."""
    priority = {kind: i for i, kind in enumerate(KINDS)}
    by_person: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: priority[c.kind]):
        if candidate.key not in owed:
            by_person[candidate.person.user_id].append(candidate)
    earlier: dict[str, list[Held]] = defaultdict(list)
    for row in held:
        earlier[row.recipient].append(row)
    going: list[Nudge] = []
    holding: list[Candidate] = []
    budget = world.workspace.nudge_budget
    for user_id, theirs in by_person.items():
        room = max(budget - used.get(user_id, 0), 0)
        told = earlier.get(user_id)
        if not told and len(theirs) <= room:  # most people, in the busiest hour: all of it goes
            going.extend(map(Nudge, theirs))
            continue
        for i, candidate in enumerate(theirs[:room]):
            if i == 0 and told:  # the first message tells of what was held
                also = tuple(h.also for h in told)
                going.append(Nudge(candidate, also, tuple(h.row_id for h in told)))
            else:
                going.append(Nudge(candidate))
        holding.extend(theirs[room:])
    return going, holding
