"""The sandbox's people: a demo organisation (`--demo`), or only the visitor."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.directory import sync_directory
from bot.sandbox.fake_slack import FakeSlack
from conversations.services.org_import import Row, apply_rows
from storage import cycles
from storage.db import transaction

VISITOR = "UVISITOR"
DEMO_ADMIN = "UADA"

# user id, name, time zone, manager's user id, the unit they run
DEMO_PEOPLE = [
    ("UCLEO", "Cleo Chief", "America/New_York", None, "Acme"),
    (DEMO_ADMIN, "Ada Admin", "Europe/London", "UCLEO", None),
    ("UVICTOR", "Victor Sales", "Europe/London", "UCLEO", "Sales"),
    ("URITA", "Rita Reyes", "Europe/Madrid", "UVICTOR", None),
    ("URAJ", "Raj Patel", "Asia/Kolkata", "UVICTOR", None),
    ("ULENA", "Lena Vogel", "Europe/Berlin", "UVICTOR", None),
    ("UTARA", "Tara Tech", "Asia/Kolkata", "UCLEO", "Engineering"),
    ("UDEV", "Dev Kumar", "Asia/Kolkata", "UTARA", None),
    ("UMEI", "Mei Tanaka", "Asia/Tokyo", "UTARA", None),
    ("USAM", "Sam Carter", "Australia/Sydney", "UCLEO", "Customer Success"),
    ("UNOA", "Noa Levi", "Australia/Sydney", "USAM", None),
    ("UJOSE", "José García", "America/Los_Angeles", "USAM", None),
]


def seed_visitor(fake: FakeSlack, tz: str) -> list[str]:
    """An empty workspace but for the visitor, who is an admin."""
    fake.add_user(VISITOR, "You (visitor)", email="visitor@sandbox.example", tz=tz)
    return [VISITOR]


def seed_demo(fake: FakeSlack, *, client: WebClient, engine: Engine, now: datetime) -> list[str]:
    """A root, three units, twelve people in six time zones, and an active cycle."""
    for user_id, name, tz, _, _ in DEMO_PEOPLE:
        fake.add_user(user_id, name, email=f"{user_id[1:].lower()}@acme.example", tz=tz)
    sync_directory(client=client, engine=engine, team_id=fake.team_id, now=now)
    email = {u: f"{u[1:].lower()}@acme.example" for u, *_ in DEMO_PEOPLE}
    rows = [
        Row(line=i + 2, email=email[u], name=name, manager_email=email.get(m or ""), unit=unit)
        for i, (u, name, _, m, unit) in enumerate(DEMO_PEOPLE)
    ]
    # Six months from the start of this month: typical due dates ("end of March") fall inside it.
    start = date(now.year, now.month, 1)
    last_month = (now.month + 4) % 12 + 1
    last_year = now.year + (now.month + 4) // 12
    end = date(last_year, last_month, calendar.monthrange(last_year, last_month)[1])
    with transaction(engine) as session:
        apply_rows(session=session, team_id=fake.team_id, rows=rows)
        cycles.add_cycle(
            session=session,
            team_id=fake.team_id,
            name=f"{start:%b %Y} – {end:%b %Y}",
            start=start,
            end=end,
        )
    return [DEMO_ADMIN]
