"""Every request, not only the view inside it, reads and writes in a fixed number of statements:
the whole request as Bolt runs it (the directory check, the actor, the event's record, the view,
the Home's mark, the outbox and its delivery), counted with SQLAlchemy events on two
organisations tenfold apart, with open barriers and commitments present."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from storage import commitments, goals, people, workspaces
from storage.db import transaction
from tests.conversations.test_query_counts import NOW, org
from tests.faults.harness import Harness, harness
from tests.helpers import Statements, counting_statements

LIMIT = 10
# A DM turn (issue 22's inbox, issue 23's target): the inbox row recorded before the ack; read
# after it with whether it is overtaken and the directory's state for its person; the person
# read and locked (their row, on PostgreSQL) with their unit and calendar; the row marked
# applied; the turn's own reads and its outbox row; the sender's one read of what it holds and
# one mark of what Slack accepted.
FIRST = "the first time"  # a person's first Home open marks it seen (an UPDATE) as well

# What each request is, as Slack sends it; who sends it (people of test_query_counts.org).
REQUESTS: dict[str, tuple[str, Callable[[Harness, str], object]]] = {
    "Home open (a member)": ("UT0M0", lambda h, u: h.home(u)),
    "Home open (a manager)": ("UMGR0", lambda h, u: h.home(u)),
    "Home open (the top)": ("UCEO", lambda h, u: h.home(u)),
    f"Home open (a manager), {FIRST}": ("UMGR1", lambda h, u: h.home(u)),
    "/goals 1on1": ("UMGR0", lambda h, u: h.command(u, "1on1 <@UT0M0>")),
    "/goals team": ("UMGR0", lambda h, u: h.command(u, "team")),
    "/goals summary": ("UCEO", lambda h, u: h.command(u, "summary")),
    "/goals mine": ("UT0M1", lambda h, u: h.command(u, "mine")),
    "a DM turn (nothing open)": ("UT0M1", lambda h, u: h.dm(u, "hello")),
    # A manager's next steps also name their unit's members (the example that runs as shown).
    "a DM turn (a manager, nothing open)": ("UMGR1", lambda h, u: h.dm(u, "hello")),
    # UT0M0 opened their Home above: a turn that changes nothing does not republish it.
    "a DM turn (their Home open)": ("UT0M0", lambda h, u: h.dm(u, "hello")),
}


def _world(engine: Engine, fake: FakeSlack, scale: int) -> None:
    """test_query_counts' organisation, known to the fake Slack, its directory fresh, with a
    commitment between each team's manager and first member."""
    team_id = fake.team_id
    org(engine, scale, team_id)
    with transaction(engine) as s:
        workspaces.mark_directory_synced(session=s, team_id=team_id, at=NOW)
        for person in people.list_people(session=s, team_id=team_id):
            fake.add_user(person.user_id, person.name or person.user_id, tz=person.tz)
        by_user = {p.user_id: p.id or 0 for p in people.list_people(session=s, team_id=team_id)}
        for goal in goals.list_goals(session=s, team_id=team_id):
            owner = next(u for u, i in by_user.items() if i == goal.owner_id)
            if owner.startswith("UT") and owner.endswith("M0"):
                manager = by_user["UMGR" + owner[2:].split("M")[0]]
                commitments.add_commitment(
                    session=s,
                    team_id=team_id,
                    goal_id=goal.id or 0,
                    manager_id=manager,
                    text="Send the deck",
                    due=None,
                    now=NOW,
                )


def _count(h: Harness, what: str, user: str, send: Callable[[Harness, str], object]) -> Statements:
    if FIRST not in what:
        send(h, user)  # once before: what a person does again, as they mostly do
    # Views read through `reading`, which has an engine of its own on PostgreSQL: count both.
    reader = getattr(h.engine, "_cascade_reader", h.engine)
    with counting_statements(h.engine) as counted, counting_statements(reader) as read:
        send(h, user)
    if reader is not h.engine:
        counted += read
    assert h.problems() == [], h.problems()
    return Statements(
        s for s in counted if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))
    )


def test_every_request_reads_and_writes_in_a_fixed_number_of_statements(
    engine: Engine,
) -> None:
    counts: dict[int, dict[str, int]] = {}
    for scale in (1, 10):
        fake = FakeSlack(team_id=f"T{scale}")
        served = BackgroundServer(fake.wsgi_app())
        fake.base_url = served.url
        try:
            with harness(fake, served.url, engine, clock=lambda: NOW + timedelta(hours=1)) as h:
                _world(engine, fake, scale)
                counts[scale] = {w: len(_count(h, w, u, send)) for w, (u, send) in REQUESTS.items()}
        finally:
            served.stop()
    print(counts)
    for what in REQUESTS:
        assert counts[1][what] == counts[10][what] <= LIMIT, (what, counts)
