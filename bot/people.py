"""Who is asking: make sure the directory knows them, then build the Actor."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlmodel import Session

from bot.services import Services
from bot.slack import directory_gaps, sync_directory, sync_users
from conversations.organisation import Actor, actor_for


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
