"""How fast Cascade acknowledges Slack, against a baseline measured in the same run.

Prints, for each request type, the median and worst time to the HTTP answer with the fake Web
API answering instantly and then at 1 s per call, next to a bare GET /healthz round trip on the
same server (the baseline). Slack's limit is 3 s; the ratios show what Cascade adds.

    .venv/bin/python benchmarks/ack_latency.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable

from bot.app import build_app
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.serving import BackgroundServer
from bot.sandbox.slack_side import SlackSide
from bot.server import wsgi_app
from bot.services import Services
from bot.settings import Settings
from storage.db import open_database

SECRET = "benchmark-secret"


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main(rounds: int) -> None:
    fake = FakeSlack()
    for i in range(20):
        fake.add_user(f"UPERSON{i:02d}", f"Person {i}", is_admin=i == 0)
    fake_server = BackgroundServer(fake.wsgi_app())
    fake.base_url = fake_server.url
    folder = tempfile.mkdtemp(prefix="cascade-bench-")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SECRET,
        slack_api_url=fake_server.url + "/api/",
        database_url=f"sqlite:///{folder}/bench.db",
    )
    services = Services(settings=settings, engine=open_database(settings.database_url))
    app = build_app(services)
    server = BackgroundServer(wsgi_app(app), threads=16)
    slack = SlackSide(server.url, fake, fake_server.url, SECRET)
    user = "UPERSON00"
    requests: dict[str, Callable[[], object]] = {
        "GET /healthz (baseline)": lambda: urllib.request.urlopen(server.url + "/healthz").read(),
        "/goals help": lambda: slack.command(user, "help"),
        "/goals cycle add (bad date)": lambda: slack.command(
            user, 'cycle add "X" 2027-02-30 2027-06-30'
        ),
        "DM": lambda: slack.dm(user, "hello"),
        "app_home_opened": lambda: slack.home_opened(user),
        "button click": lambda: slack.action(user, "no_such_button"),
    }
    try:
        for latency in (0.0, 1.0):
            fake.latency = latency
            print(f"\nWeb API latency {latency:.0f} s per call, {rounds} rounds each")
            baseline = statistics.median(timed(requests["GET /healthz (baseline)"], rounds))
            for name, request in requests.items():
                times = timed(request, rounds)
                median = statistics.median(times)
                print(
                    f"  {name:32} median {median * 1000:7.1f} ms  worst {max(times) * 1000:7.1f} ms"
                    f"  ×{median / baseline:6.1f} baseline"
                )
            time.sleep(latency * 3)  # let the work after the acks drain before the next round
    finally:
        server.stop()
        fake_server.stop()
        app.listener_runner.listener_executor.shutdown(wait=False, cancel_futures=True)
        services.background.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
