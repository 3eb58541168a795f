"""A made-up organisation of any size, for benchmarks (and tests) that need a big one.

    org = generate(10_000)          # ~1,000 units, 5 levels, 5–12 direct reports each
    org.add_to(fake_slack)          # every person as a Slack user of the fake workspace
    org.csv()                       # the file `cascade org import` reads

The same size and seed always give the same organisation.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field

from bot.sandbox.fake_slack import FakeSlack

TIME_ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
PEOPLE_PER_UNIT = 10


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    tz: str
    manager_email: str | None
    unit: str | None  # the unit this person runs, when the file names it


@dataclass
class _Unit:
    level: int
    children: list[_Unit] = field(default_factory=list)
    reports: int = 0  # people who report to its manager without running a unit


@dataclass(frozen=True)
class Organisation:
    people: list[Member]
    units: int
    depth: int

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["email", "name", "manager_email", "unit"])
        for p in self.people:
            writer.writerow([p.email, p.name, p.manager_email or "", p.unit or ""])
        return out.getvalue()

    def add_to(self, fake: FakeSlack) -> None:
        for p in self.people:
            fake.add_user(p.user_id, p.name, email=p.email, tz=p.tz)


def generate(
    people: int,
    *,
    depth: int = 5,
    fan_out: tuple[int, int] = (5, 12),
    seed: int = 27,
    domain: str = "bench.example",
) -> Organisation:
    """`people` people in about people/10 units, `depth` levels of units below and including
    the root, each manager with `fan_out` direct reports (as nearly as the count allows)."""
    rng = random.Random(seed)
    low, high = fan_out
    wanted_units = max(1, round(people / PEOPLE_PER_UNIT))
    root = _Unit(level=0)
    units = [root]
    level = [root]
    while len(units) < wanted_units and level and level[0].level < depth - 1:
        below: list[_Unit] = []
        for unit in level:  # breadth first: the tree fills level by level
            for _ in range(rng.randint(low, high)):
                if len(units) >= wanted_units:
                    break
                child = _Unit(level=unit.level + 1)
                unit.children.append(child)
                units.append(child)
                below.append(child)
        level = below
    for unit in units:
        unit.reports = max(0, rng.randint(low, high) - len(unit.children))
    # Everyone but the root reports to someone: make the counts add up, leaves first.
    surplus = len(units) + sum(u.reports for u in units) - people
    order = sorted(units, key=lambda u: (len(u.children), -u.level))
    i = 0
    while surplus != 0:
        unit = order[i % len(order)]
        if surplus > 0 and unit.reports > 0:
            unit.reports -= 1
            surplus -= 1
        elif surplus < 0:
            unit.reports += 1
            surplus += 1
        i += 1
        if surplus > 0 and i > len(order) * (high + 1):
            raise ValueError(f"{people} people cannot fill {len(units)} units")

    members: list[Member] = []

    def person(manager_email: str | None, unit_name: str | None) -> Member:
        n = len(members) + 1
        member = Member(
            user_id=f"UB{n:07d}",
            name=f"Person {n:05d}",
            email=f"p{n:05d}@{domain}",
            tz=rng.choice(TIME_ZONES),
            manager_email=manager_email,
            unit=unit_name,
        )
        members.append(member)
        return member

    def staff(unit: _Unit, manager_email: str | None, number: list[int]) -> None:
        # Half the units are named in the file; the rest are "<manager>'s team".
        name = f"Unit {'.'.join(map(str, number))}" if len(members) % 2 == 0 else None
        manager = person(manager_email, name)
        for _ in range(unit.reports):
            person(manager.email, None)
        for i, child in enumerate(unit.children, start=1):
            staff(child, manager.email, [*number, i])

    staff(root, None, [1])
    deepest = max(u.level for u in units) + 1
    return Organisation(people=members, units=len(units), depth=deepest)
