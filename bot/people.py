"""Who is asking: make sure the directory knows them, then build the Actor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.directory import (
    DIRECTORY_STALE_AFTER,
    claim_directory_sync,
    directory_gaps,
    run_directory_sync,
    sync_users,
)
from bot.services import Services
from conversations.actor import Actor, actor_for
from storage.people import DirectoryState

logger = logging.getLogger(__name__)


def refresh_directory(
    *,
    services: Services,
    client: WebClient,
    team_id: str,
    user_ids: list[str],
    known: DirectoryState | None = None,
) -> None:
    """Keep the directory fresh without making anyone wait who need not. When it is a day old,
    one request between all processes takes the lease and syncs it: in the background when it
    knows everyone the request names, else before answering. Everyone else carries on; people
    the directory lacks are looked up alone with users.info. `known`: the directory's state as
    already read with the request's other work (the inbox reads it with the person's answer)."""
    now = services.clock()
    engine = services.engine
    stale, unknown = directory_gaps(
        engine=engine, team_id=team_id, user_ids=user_ids, now=now, known=known
    )
    owner = None
    if stale:
        owner = claim_directory_sync(
            engine=engine, team_id=team_id, now=now, older_than=DIRECTORY_STALE_AFTER
        )
    if owner is not None:
        sync = partial(
            run_directory_sync, client=client, engine=engine, team_id=team_id, now=now, owner=owner
        )
        if unknown:
            sync()  # the full sync finds them; a stranger stays unknown
            return
        try:
            services.background.submit(_logged, sync)
            return
        except RuntimeError:  # the pool is shutting down: sync here instead
            sync()
    elif unknown:
        sync_users(client=client, engine=engine, team_id=team_id, user_ids=unknown, now=now)


def _logged(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:
        logger.exception("directory sync in the background failed")


def actor(
    *, services: Services, session: Session, team_id: str, user_id: str, lock: bool = False
) -> Actor:
    return actor_for(
        session=session,
        team_id=team_id,
        user_id=user_id,
        admin_ids=services.settings.admin_ids,
        lock=lock,
    )
