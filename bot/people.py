"""Who is asking: make sure the directory knows them, then build the Actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from sqlmodel import Session

from bot.services import Services
from bot.slack import directory_gaps, sync_directory, sync_users
from conversations.organisation import Actor, actor_for
from storage.db import transaction


def refresh_directory(
    *, services: Services, client: WebClient, team_id: str, user_ids: list[str]
) -> None:
    """Sync the whole directory when it is a day old; else look up only the people it lacks."""
    now = services.clock()
    engine = services.engine
    stale, unknown = directory_gaps(engine=engine, team_id=team_id, user_ids=user_ids, now=now)
    if stale:
        sync_directory(client=client, engine=engine, team_id=team_id, now=now)
    elif unknown:
        sync_users(client=client, engine=engine, team_id=team_id, user_ids=unknown, now=now)


def actor(*, services: Services, session: Session, team_id: str, user_id: str) -> Actor:
    return actor_for(
        session=session, team_id=team_id, user_id=user_id, admin_ids=services.settings.admin_ids
    )


def local_date(now: datetime, tz: str) -> date:
    """The date it is for someone in time zone `tz`."""
    try:
        return now.astimezone(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


@dataclass(frozen=True)
class Acting:
    """One unit of work on behalf of a Slack user."""

    session: Session
    actor: Actor
    now: datetime
    today: date


@contextmanager
def acting(
    *,
    services: Services,
    client: WebClient,
    team_id: str,
    user_id: str,
    also: tuple[str, ...] = (),
    refresh: bool = True,
) -> Iterator[Acting]:
    """Refresh the directory if needed (outside any transaction), then open one transaction
    on behalf of `user_id`; `also` names other users the request mentions. On an ack path
    (a modal's errors must come back in the ack) pass `refresh=False`: no Web API call."""
    if refresh:
        refresh_directory(
            services=services, client=client, team_id=team_id, user_ids=[user_id, *also]
        )
    now = services.clock()
    with transaction(services.engine) as session:
        who = actor(services=services, session=session, team_id=team_id, user_id=user_id)
        yield Acting(session=session, actor=who, now=now, today=local_date(now, who.person.tz))
