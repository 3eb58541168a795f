"""Workspaces and their settings."""

from __future__ import annotations

from datetime import datetime

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
