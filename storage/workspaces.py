"""Workspaces and their settings."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

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


def team_ids(*, session: Session) -> list[str]:
    """Every workspace Cascade keeps data for."""
    return list(session.exec(select(Workspace.team_id).order_by(col(Workspace.team_id))))
