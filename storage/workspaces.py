"""Workspaces, their settings, and the lease on their directory sync."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, CursorResult, or_, update
from sqlmodel import Session, col, select

from storage.db import insert_or
from storage.memo import keep, remembered
from storage.models import Cycle, Workspace


def get_workspace(*, session: Session, team_id: str) -> Workspace:
    """The workspace row, created with defaults on first use."""
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id)
        session.add(workspace)
        session.flush()
    return workspace


def mark_directory_synced(*, session: Session, team_id: str, at: datetime) -> None:
    get_workspace(session=session, team_id=team_id).directory_synced_at = at


def team_ids(*, session: Session) -> list[str]:
    """Every workspace Cascade keeps data for."""
    return list(session.exec(select(Workspace.team_id).order_by(col(Workspace.team_id))))


def calendars(*, session: Session) -> list[str]:
    """Every workspace Cascade keeps data for (`team_ids`), each read with its cycles in the
    same query and kept for `calendar` (the tick's first read)."""
    rows = session.exec(
        select(Workspace, Cycle)
        .outerjoin(Cycle, col(Cycle.team_id) == col(Workspace.team_id))
        .order_by(col(Workspace.team_id), col(Cycle.start), col(Cycle.id))
    ).all()
    found: dict[str, tuple[Workspace, list[Cycle]]] = {}
    for workspace, cycle in rows:
        _, cycles = found.setdefault(workspace.team_id, (workspace, []))
        if cycle is not None:
            cycles.append(cycle)
    for team_id, (workspace, cycles) in found.items():
        keep_calendar(session=session, team_id=team_id, workspace=workspace, cycles=cycles)
    return list(found)


def directory_synced_at(*, session: Session, team_id: str) -> datetime | None:
    """When the directory was last synced in full (None: never, or no such workspace yet)."""
    return session.exec(
        select(Workspace.directory_synced_at).where(Workspace.team_id == team_id)
    ).first()


def claim_directory_sync(
    *,
    session: Session,
    team_id: str,
    owner: str,
    now: datetime,
    synced_before: datetime,
    lease_until: datetime,
) -> bool:
    """Take the lease on this workspace's directory sync, if nobody holds an unexpired one and
    the last full sync began before `synced_before`. One conditional UPDATE (or, for a workspace
    without a row yet, one INSERT … ON CONFLICT DO NOTHING): of any number of processes asking at
    once, exactly one wins."""
    lease = col(Workspace.directory_sync_lease_until)
    synced = col(Workspace.directory_synced_at)
    if _update_workspace(
        session,
        team_id,
        or_(lease.is_(None), lease <= now),
        or_(synced.is_(None), synced < synced_before),
        directory_sync_lease_until=lease_until,
        directory_sync_owner=owner,
    ):
        return True
    row = Workspace(
        team_id=team_id, directory_sync_lease_until=lease_until, directory_sync_owner=owner
    )
    insert = insert_or(session, Workspace).values(row.model_dump())
    created = insert.on_conflict_do_nothing(index_elements=["team_id"]).returning(
        col(Workspace.team_id)
    )
    return session.execute(created).first() is not None


def renew_directory_sync(
    *, session: Session, team_id: str, owner: str, lease_until: datetime
) -> bool:
    """Extend a lease this owner still holds; False when it has lost it."""
    return _update_workspace(
        session,
        team_id,
        col(Workspace.directory_sync_owner) == owner,
        directory_sync_lease_until=lease_until,
    )


def release_directory_sync(
    *, session: Session, team_id: str, owner: str, synced_at: datetime | None
) -> bool:
    """Give the lease back; with `synced_at`, the sync finished and the directory is fresh."""
    fields: dict[str, datetime | None] = {
        "directory_sync_lease_until": None,
        "directory_sync_owner": None,
    }
    if synced_at is not None:
        fields["directory_synced_at"] = synced_at
    return _update_workspace(
        session, team_id, col(Workspace.directory_sync_owner) == owner, **fields
    )


def _update_workspace(
    session: Session, team_id: str, *where: ColumnElement[bool], **values: object
) -> bool:
    """One conditional UPDATE of the workspace row; whether it matched."""
    statement = (
        update(Workspace)
        .where(col(Workspace.team_id) == team_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    matched = result.rowcount == 1
    # The UPDATE bypassed the session: a Workspace it holds would otherwise read stale values.
    for row in list(session.identity_map.values()):
        if isinstance(row, Workspace) and row.team_id == team_id:
            session.expire(row)
    return matched


def calendar(*, session: Session, team_id: str) -> tuple[Workspace | None, list[Cycle]]:
    """The workspace row (None before its first write) and its cycles in date order, read together
    once per transaction: which cycle is current depends on the workspace's today."""

    def load() -> tuple[Workspace | None, list[Cycle]]:
        rows = session.exec(
            select(Workspace, Cycle)
            .outerjoin(Cycle, col(Cycle.team_id) == col(Workspace.team_id))
            .where(Workspace.team_id == team_id)
            .order_by(col(Cycle.start), col(Cycle.id))
        ).all()
        if rows:
            return rows[0][0], [c for _, c in rows if c is not None]
        alone = (
            select(Cycle).where(Cycle.team_id == team_id).order_by(col(Cycle.start), col(Cycle.id))
        )
        return None, list(session.exec(alone))

    workspace, listed = remembered(session, ("calendar", team_id), load)
    return workspace, list(listed)  # the caller's own list: what is remembered stays whole


def keep_calendar(
    *, session: Session, team_id: str, workspace: Workspace | None, cycles: list[Cycle]
) -> None:
    """What `calendar` would read, read by a query that asked for more (who is asking)."""
    keep(session, ("calendar", team_id), (workspace, cycles))


def local_today(*, session: Session, team_id: str, now: datetime) -> date:
    """The date it is in the workspace's time zone (UTC until one is set)."""
    workspace, _ = calendar(session=session, team_id=team_id)
    try:
        zone = ZoneInfo(workspace.tz if workspace is not None and workspace.tz else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def set_summary_channel(*, session: Session, team_id: str, channel_id: str | None) -> None:
    """Where the weekly leadership summary goes (None: the CASCADE_SUMMARY_CHANNEL default)."""
    get_workspace(session=session, team_id=team_id).summary_channel = channel_id
    session.flush()


def suspend(*, session: Session, team_id: str, reason: str, at: datetime) -> bool:
    """Stop sending to this workspace (Slack refuses the app's token); True if it was not
    suspended already. Its data stays; what it is owed waits in the outbox."""
    get_workspace(session=session, team_id=team_id)
    return _update_workspace(
        session,
        team_id,
        col(Workspace.suspended_at).is_(None),
        suspended_at=at,
        suspended_reason=reason[:64],
    )


def resume(*, session: Session, team_id: str) -> bool:
    """Send to this workspace again (a token works); True if it was suspended."""
    return _update_workspace(
        session,
        team_id,
        col(Workspace.suspended_at).is_not(None),
        suspended_at=None,
        suspended_reason=None,
    )


def suspended(*, session: Session) -> set[str]:
    """The workspaces Cascade sends nothing to for now."""
    return set(
        session.exec(select(Workspace.team_id).where(col(Workspace.suspended_at).is_not(None)))
    )
