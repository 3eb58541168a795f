"""The one workspace Cascade is installed in, as Slack's `auth.test` says, asked patiently at
start; and the edge check that refuses every request from any other workspace.

A rate limit is never a refused token: at start-up and in `cascade org import`, Slack's 429s are
waited out as `Retry-After` asks, up to `SLACK_RATE_LIMIT_PATIENCE` seconds in all, then the
command stops with one line that says so. A token Slack refuses is one line too, not a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.middleware.authorization.single_team_authorization import (
    SingleTeamAuthorization,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot.payloads import team_of
from bot.settings import Settings
from bot.slack import retry_handlers
from prompts import render_plain

logger = logging.getLogger("cascade")

# Requests that carry no workspace and need none: Slack's own checks of the endpoint.
_NO_WORKSPACE = frozenset({"url_verification", "ssl_check"})


class StartupRefused(SystemExit):
    """Start-up stopped: one line that says why (printed by Python, no traceback)."""


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(float(values[0]), 0.0)
            except ValueError:
                break
    return 1.0


class PatientRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out 429s as long as `Retry-After` asks, until `patience` seconds of waiting in all."""

    def __init__(self, patience: float, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=1_000)
        self.patience = patience
        self.sleep = sleep

    def _can_retry(
        self, *, state: RetryState, response: HttpResponse | None = None, **_: Any
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        waited = float((state.custom_values or {}).get("waited", 0.0))
        return waited + _retry_after(response) <= self.patience

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        **_: Any,
    ) -> None:
        assert response is not None  # _can_retry only says yes to a response
        wait = _retry_after(response)
        waited = float((state.custom_values or {}).get("waited", 0.0)) + wait
        state.custom_values = {**(state.custom_values or {}), "waited": waited}
        logger.warning("Slack is rate limiting %s; waiting %.0f s as asked", request.url, wait)
        self.sleep(wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def patient_client(settings: Settings) -> WebClient:
    """A client for start-up and the CLI: 429s waited out (see `PatientRateLimitHandler`); 5xx
    and dropped connections retried as on the request path."""
    handlers: list[RetryHandler] = [
        PatientRateLimitHandler(settings.slack_rate_limit_patience),
        *(h for h in retry_handlers() if not isinstance(h, RateLimitErrorRetryHandler)),
    ]
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.api_url,
        timeout=15,
        retry_handlers=handlers,
    )


def refused(error: SlackApiError, method: str, patience: float) -> StartupRefused:
    """One line for a Web API call that failed for good at start-up or in the CLI."""
    return StartupRefused(
        render_plain(
            "cli/slack_refused",
            method=method,
            status=error.response.status_code,
            error=str(error.response.get("error") or ""),
            patience=patience,
        )
    )


@dataclass(frozen=True)
class Installation:
    """The workspace the bot token belongs to."""

    team_id: str
    bot_user_id: str
    auth_test: SlackResponse  # handed to Bolt, so it never asks auth.test on a request


def installed_workspace(client: WebClient, *, patience: float) -> Installation:
    """auth.test, patiently (the client's retry handlers wait out rate limits)."""
    try:
        response = client.auth_test()
    except SlackApiError as error:
        raise refused(error, "auth.test", patience) from None
    return Installation(
        team_id=str(response["team_id"]),
        bot_user_id=str(response.get("user_id") or ""),
        auth_test=response,
    )


def only_installed(installation: Installation) -> Callable[..., BoltResponse | None]:
    """Global middleware, before authorisation: a request from any other workspace is refused
    (403) before anything is read or written, so it creates nothing and no admin list applies."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if body.get("type") in _NO_WORKSPACE or team_of(body) == installation.team_id:
            return next()
        logger.warning("refused a request from workspace %r: not the installed one", team_of(body))
        return BoltResponse(status=403, body=render_plain("errors/not_installed"))

    return middleware


def hand_to_bolt(app: App, installation: Installation) -> None:
    """Give Bolt the auth.test answer Cascade already has (Bolt would ask again, impatiently,
    at construction or on the first request)."""
    for middleware in app._middleware_list:  # Bolt offers no public way to pass it in
        if isinstance(middleware, SingleTeamAuthorization):
            middleware.auth_test_result = installation.auth_test
            return
    raise RuntimeError("Bolt's single-workspace authorisation is missing")
