"""Commitments: a manager's promises of help on a goal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.db import update_fields
from storage.models import Commitment, CommitmentStatus


def add_commitment(
    *,
    session: Session,
    team_id: str,
    goal_id: int,
    manager_id: int,
    text: str,
    due: date | None,
    now: datetime,
) -> Commitment:
    made = Commitment(
        team_id=team_id, goal_id=goal_id, manager_id=manager_id, text=text, due=due, created_at=now
    )
    session.add(made)
    session.flush()
    return made


def get_commitment(
    *, session: Session, team_id: str, commitment_id: int, lock: bool = False
) -> Commitment | None:
    query = select(Commitment).where(Commitment.team_id == team_id, Commitment.id == commitment_id)
    return session.exec(query.with_for_update() if lock else query).first()


def update_commitment(*, session: Session, commitment: Commitment, **fields: Any) -> Commitment:
    """Change a commitment's fields (names as in the model)."""
    update_fields(session, commitment, fields)
    return commitment


def of_goals(
    *, session: Session, team_id: str, goal_ids: Sequence[int], open_only: bool = False
) -> list[Commitment]:
    """The commitments made on these goals, oldest first, in one query."""
    if not goal_ids:
        return []
    query = select(Commitment).where(
        Commitment.team_id == team_id, col(Commitment.goal_id).in_(list(goal_ids))
    )
    if open_only:
        query = query.where(Commitment.status == CommitmentStatus.OPEN)
    return list(session.exec(query.order_by(col(Commitment.id))))


def open_of_managers(
    *, session: Session, team_id: str, manager_ids: Sequence[int] | None = None
) -> list[Commitment]:
    """Open commitments made by these managers (None: every manager), oldest first."""
    query = select(Commitment).where(
        Commitment.team_id == team_id, Commitment.status == CommitmentStatus.OPEN
    )
    if manager_ids is not None:
        query = query.where(col(Commitment.manager_id).in_(list(manager_ids)))
    return list(session.exec(query.order_by(col(Commitment.id))))


def list_commitments(*, session: Session, team_id: str) -> list[Commitment]:
    return list(
        session.exec(
            select(Commitment).where(Commitment.team_id == team_id).order_by(col(Commitment.id))
        )
    )


def of_managers(*, session: Session, team_id: str, manager_ids: Sequence[int]) -> list[Commitment]:
    """Every commitment these managers made, in one query."""
    if not manager_ids:
        return []
    return list(
        session.exec(
            select(Commitment).where(
                Commitment.team_id == team_id, col(Commitment.manager_id).in_(list(manager_ids))
            )
        )
    )
