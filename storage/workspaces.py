"""Workspaces and their settings."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from storage.models import Workspace


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


def local_today(*, session: Session, team_id: str, now: datetime) -> date:
    """The date it is in the workspace's time zone (UTC until one is set)."""
    workspace = session.get(Workspace, team_id)
    try:
        zone = ZoneInfo(workspace.tz if workspace is not None and workspace.tz else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()
