"""The baseline for `make bench`: a bare Bolt app that acknowledges every `/goals` command, event
and click at once and does nothing else, behind the same WSGI entry point and waitress server as
`cascade serve` (bot/server.py). It checks Slack's signature exactly as Cascade does.

    SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=… SLACK_API_URL=… \
        .venv/bin/python benchmarks/bare_bolt.py --port 3100
"""

from __future__ import annotations

import argparse
import os
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.server import serve


def bare_app(signing_secret: str, token: str, api_url: str) -> App:
    """Bolt authorizes each request as Cascade's app does (auth.test once, then cached)."""
    app = App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        token_verification_enabled=False,  # no auth.test at start-up
    )

    @app.command("/goals")
    def command(ack: Ack) -> None:
        ack()

    @app.event("message")
    def message() -> None:
        pass

    @app.event("app_home_opened")
    def home() -> None:
        pass

    @app.action(re.compile(".*"))
    def action(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = bare_app(
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["SLACK_API_URL"],
    )
    serve(app, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
