"""The few Web API calls Cascade makes, on a client that retries as Slack asks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.response import HttpResponse

from bot.pooled_client import PooledWebClient
from bot.settings import Settings
from storage.people import SlackProfile

# users.list's page, the largest Slack's reference allows ("specify a limit value under 1000";
# its pagination guide: "maximum is 1000 ... may vary per method"). Slack recommends 200, but
# the method is Tier 2 (20+ a minute): 100,000 people are 101 calls at 999, 500 at 200.
USERS_PAGE = 999
MAX_LOOKUPS = 20  # people named in one request that users.info may look up

logger = logging.getLogger(__name__)


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx (slack_sdk's own handler only retries 500 and 503)."""

    def _can_retry(self, *, response: HttpResponse | None = None, **_: Any) -> bool:
        return response is not None and response.status_code >= 500


def retry_handlers() -> list[RetryHandler]:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        AnyServerErrorRetryHandler(max_retry_count=3, interval_calculator=backoff),
        ConnectionErrorRetryHandler(max_retry_count=3, interval_calculator=backoff),
    ]


def make_client(settings: Settings) -> WebClient:
    """The app's WebClient: Slack's API (or SLACK_API_URL), with retries for 429, 5xx, resets,
    over kept-alive connections (bot/pooled_client.py)."""
    return PooledWebClient(
        token=settings.slack_bot_token,
        base_url=settings.api_url,
        timeout=15,
        retry_handlers=retry_handlers(),
    )


def _profile(member: dict[str, Any]) -> SlackProfile:
    profile = member.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or member.get("real_name")
        or member.get("name")
        or member["id"]
    )
    return SlackProfile(
        user_id=member["id"],
        name=str(name)[:200],
        email=(profile.get("email") or None),
        tz=member.get("tz") or "UTC",
        is_admin=bool(member.get("is_admin") or member.get("is_owner")),
        is_bot=bool(member.get("is_bot") or member.get("id") == "USLACKBOT"),
        deleted=bool(member.get("deleted")),
    )


def fetch_directory(client: WebClient) -> Iterator[SlackProfile]:
    """Every user of the workspace, through paginated users.list (Tier 2, 999 a page; a 429 is
    waited out as its Retry-After asks, by the client's retry handlers)."""
    cursor = None
    while True:
        page = client.users_list(limit=USERS_PAGE, cursor=cursor)
        members: list[dict[str, Any]] = page.get("members", [])
        for member in members:
            yield _profile(member)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def lookup_users(client: WebClient, user_ids: list[str]) -> list[SlackProfile]:
    """A few people by id with users.info (at most MAX_LOOKUPS); strangers are left out."""
    profiles = []
    for user_id in user_ids[:MAX_LOOKUPS]:
        try:
            profiles.append(_profile(client.users_info(user=user_id)["user"]))
        except SlackApiError as error:
            if error.response.get("error") != "user_not_found":
                raise
    return profiles
