"""The directory sync: streamed in batches, in the same few statements per thousand people, and
one at a time per workspace however many requests (in however many processes) find it stale."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from benchmarks.org import generate
from bot import directory
from bot.directory import sync_directory
from bot.people import refresh_directory
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.services import Services
from bot.slack import USERS_PAGE, make_client
from storage import people, workspaces
from storage.db import make_engine, transaction
from tests.conftest import settings_for
from tests.helpers import counting_statements
from tests.storage.test_repositories import NOW

CONCURRENT = 8
DAY_OLD = NOW - timedelta(hours=25)

Slack = Callable[[int], FakeSlack]


@pytest.fixture
def big_slack() -> Iterator[Slack]:
    """Fake Slack workspaces of a given size (made-up people only), served on loopback."""
    servers: list[BackgroundServer] = []

    def make(size: int) -> FakeSlack:
        fake = FakeSlack(team_id=f"T{size}")
        generate(size).add_to(fake)
        served = BackgroundServer(fake.wsgi_app(), threads=16)
        fake.base_url = served.url
        servers.append(served)
        return fake

    yield make
    for served in servers:
        served.stop()


def services_for(fake: FakeSlack, engine: Engine) -> Services:
    return Services(settings=settings_for(fake, fake.base_url), engine=engine, clock=lambda: NOW)


def sync(fake: FakeSlack, engine: Engine) -> int | None:
    client = make_client(settings_for(fake, fake.base_url))
    return sync_directory(client=client, engine=engine, team_id=fake.team_id, now=NOW)


def pages(fake: FakeSlack) -> int:
    return -(-len(fake.users) // USERS_PAGE)


def make_day_old(engine: Engine, team_id: str) -> None:
    with transaction(engine) as s:
        workspaces.mark_directory_synced(session=s, team_id=team_id, at=DAY_OLD)


def test_sync_takes_the_same_statements_for_100_people_as_for_1000(
    engine: Engine, big_slack: Slack
) -> None:
    """Pages stream in and are written a thousand profiles at a time: a fixed number of
    statements per thousand people, and none that write when nothing changed in Slack."""
    first: dict[int, int] = {}
    again: dict[int, int] = {}
    for size in (100, 1000):
        fake = big_slack(size)
        with counting_statements(engine) as statements:
            assert sync(fake, engine) == size
        first[size] = len(statements)
        assert len(fake.calls_to("users.list")) == pages(fake)
        with counting_statements(engine) as statements:
            assert sync(fake, engine) is None  # it began at this very instant: fresh enough
        assert statements.data_writes() == []
        make_day_old(engine, fake.team_id)
        with counting_statements(engine) as statements:
            assert sync(fake, engine) == 0
        assert statements.data_writes() == []  # unchanged in Slack: no person row written
        again[size] = len(statements)
        with transaction(engine) as s:
            assert len(people.list_people(session=s, team_id=fake.team_id)) == size
            assert workspaces.directory_synced_at(session=s, team_id=fake.team_id) == NOW
    assert first[100] == first[1000] <= 10
    assert again[100] == again[1000] <= 10


def test_a_changed_name_is_the_only_row_written(engine: Engine, big_slack: Slack) -> None:
    fake = big_slack(300)
    sync(fake, engine)
    fake.users["UB0000007"]["profile"]["display_name"] = "Seven"
    make_day_old(engine, fake.team_id)
    with counting_statements(engine) as statements:
        assert sync(fake, engine) == 1
    assert len(statements.writes(table="person")) == 1
    with transaction(engine) as s:
        seven = people.get_person(session=s, team_id=fake.team_id, user_id="UB0000007")
        assert seven is not None and seven.name == "Seven"


def ask_at_once(fake: FakeSlack, services: list[Services], askers: list[str]) -> None:
    """Each asker's request refreshes the directory, all at the same moment (one thread each,
    spread over `services`); returns when every refresh has returned."""
    start = threading.Barrier(len(askers))

    def ask(i: int, user: str) -> None:
        mine = services[i % len(services)]
        client = make_client(mine.settings)
        start.wait()
        refresh_directory(services=mine, client=client, team_id=fake.team_id, user_ids=[user])
        with transaction(mine.engine) as s:  # whoever asked is known once the refresh returns
            assert people.get_person(session=s, team_id=fake.team_id, user_id=user) is not None

    with ThreadPoolExecutor(max_workers=len(askers)) as pool:
        for future in [pool.submit(ask, i, u) for i, u in enumerate(askers)]:
            future.result()


def finish(services: list[Services]) -> None:
    for each in services:
        each.background.shutdown(wait=True)  # the one sync, finished


def test_eight_requests_finding_the_directory_stale_sync_it_once_and_none_waits(
    engine: Engine, big_slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = big_slack(1000)
    sync(fake, engine)
    make_day_old(engine, fake.team_id)
    fake.calls.clear()
    # users.list answers nothing until the requests are all answered: none may wait for it.
    gate = threading.Event()
    users_list = fake._users_list

    def gated(args: dict[str, Any]) -> dict[str, Any]:
        assert gate.wait(timeout=30)
        return users_list(args)

    monkeypatch.setattr(fake, "_users_list", gated)
    services = [services_for(fake, engine)]
    ask_at_once(fake, services, [f"UB{i:07d}" for i in range(1, CONCURRENT + 1)])
    gate.set()
    finish(services)
    assert len(fake.calls_to("users.list")) == pages(fake)  # one full sync between the eight
    with transaction(engine) as s:
        assert workspaces.directory_synced_at(session=s, team_id=fake.team_id) == NOW


def test_people_new_since_a_stale_sync_are_found_without_a_second_sync(
    engine: Engine, big_slack: Slack
) -> None:
    fake = big_slack(1000)
    sync(fake, engine)
    make_day_old(engine, fake.team_id)
    askers = [f"UNEW{i}" for i in range(CONCURRENT)]
    for user in askers:
        fake.add_user(user, f"New {user}")
    fake.calls.clear()
    services = [services_for(fake, engine)]
    ask_at_once(fake, services, askers)
    finish(services)
    assert len(fake.calls_to("users.list")) == pages(fake)
    # The one who synced found the others too; those who asked meanwhile looked themselves up.
    assert len(fake.calls_to("users.info")) <= CONCURRENT - 1


def second_engine(engine: Engine) -> Engine:
    """Another engine on the same database, as a second process would open."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def test_two_processes_finding_the_directory_stale_sync_it_once(
    engine: Engine, big_slack: Slack
) -> None:
    fake = big_slack(1000)
    sync(fake, engine)
    make_day_old(engine, fake.team_id)
    fake.calls.clear()
    fake.latency = 0.02
    other = second_engine(engine)
    try:
        askers = [f"UB{i:07d}" for i in range(1, CONCURRENT + 1)]
        services = [services_for(fake, engine), services_for(fake, other)]
        ask_at_once(fake, services, askers)
        finish(services)
    finally:
        other.dispose()
    assert len(fake.calls_to("users.list")) == pages(fake)


def test_a_failed_sync_gives_the_lease_back_and_the_next_request_syncs(
    engine: Engine, big_slack: Slack
) -> None:
    fake = big_slack(300)
    fake.fail_next("users.list", 400)
    services = services_for(fake, engine)
    client = make_client(services.settings)
    with pytest.raises(Exception, match="fatal_error"):
        refresh_directory(services=services, client=client, team_id=fake.team_id, user_ids=["U1"])
    with transaction(engine) as s:
        assert workspaces.directory_synced_at(session=s, team_id=fake.team_id) is None
    refresh_directory(services=services, client=client, team_id=fake.team_id, user_ids=["U1"])
    assert len(fake.calls_to("users.list")) == 1 + pages(fake)
    with transaction(engine) as s:
        assert workspaces.directory_synced_at(session=s, team_id=fake.team_id) == NOW


def test_the_import_waits_for_a_sync_another_process_is_running(
    engine: Engine, big_slack: Slack
) -> None:
    fake = big_slack(300)
    holder = directory.claim_directory_sync(
        engine=engine, team_id=fake.team_id, now=NOW, older_than=timedelta(0)
    )
    assert holder is not None

    def finish_later() -> None:
        time.sleep(0.5)
        with transaction(engine) as s:
            workspaces.release_directory_sync(
                session=s, team_id=fake.team_id, owner=holder, synced_at=NOW - timedelta(hours=1)
            )

    threading.Thread(target=finish_later).start()
    client = make_client(settings_for(fake, fake.base_url))
    started = time.monotonic()
    changed = sync_directory(client=client, engine=engine, team_id=fake.team_id, now=NOW, wait=True)
    assert time.monotonic() - started >= 0.5
    assert changed == 300  # the other sync began before this one was asked for: sync again
    assert len(fake.calls_to("users.list")) == pages(fake)


def test_the_lease_is_renewed_once_half_of_it_has_run_and_a_lost_one_stops_the_sync(
    engine: Engine, big_slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync shorter than half its lease writes the workspace row twice (taken, given back),
    not once a batch; a batch written later renews it, and finds out when it was taken over."""
    fake = big_slack(2500)  # three batches
    assert sync(fake, engine) == 2500
    make_day_old(engine, fake.team_id)
    with counting_statements(engine) as statements:
        assert sync(fake, engine) == 0
    assert len(statements.writes(table="workspace")) == 2  # taken, given back
    make_day_old(engine, fake.team_id)
    monkeypatch.setattr(directory, "RENEW_AFTER", timedelta(0))  # every batch is "late"
    fetch = directory.fetch_directory

    def taken_over_after_the_first_batch(client: Any) -> Iterator[people.SlackProfile]:
        for index, profile in enumerate(fetch(client)):
            if index == directory.SYNC_BATCH + 1:  # asked while the first is written: once
                written(engine, fake.team_id, "UB0000007", "Seven")  # it is, another process
                with transaction(engine) as s:  # takes the lease (this one stalled past it)
                    owner = owner_of(engine, fake)
                    workspaces.release_directory_sync(
                        session=s, team_id=fake.team_id, owner=owner, synced_at=None
                    )
                    assert workspaces.claim_directory_sync(
                        session=s,
                        team_id=fake.team_id,
                        owner="someone-else",
                        now=NOW,
                        synced_before=NOW + timedelta(days=1),
                        lease_until=NOW + timedelta(minutes=2),
                    )
            yield profile

    monkeypatch.setattr(directory, "fetch_directory", taken_over_after_the_first_batch)
    fake.users["UB0000007"]["profile"]["display_name"] = "Seven"  # in the first batch
    fake.users["UB0002007"]["profile"]["display_name"] = "Two thousand and seven"  # the third
    assert sync(fake, engine) == 1  # the first batch; the second found the lease gone
    with transaction(engine) as s:
        assert workspaces.directory_synced_at(session=s, team_id=fake.team_id) == DAY_OLD
        renamed = people.get_person(session=s, team_id=fake.team_id, user_id="UB0002007")
        assert renamed is not None and renamed.name == "Person 02007"


def written(engine: Engine, team_id: str, user_id: str, name: str) -> None:
    """Wait until this person's name is committed."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with transaction(engine) as s:
            person = people.get_person(session=s, team_id=team_id, user_id=user_id)
            if person is not None and person.name == name:
                return
        time.sleep(0.01)
    raise TimeoutError(f"{user_id} was never renamed {name}")


def owner_of(engine: Engine, fake: FakeSlack) -> str:
    with transaction(engine) as s:
        workspace = workspaces.get_workspace(session=s, team_id=fake.team_id)
        assert workspace is not None and workspace.directory_sync_owner is not None
        return workspace.directory_sync_owner
