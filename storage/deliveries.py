"""The delivery ledger: one row per scheduled or rate-limited message that fell due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import Delivery


def claim_delivery(
    *, session: Session, team_id: str, kind: str, subject: str, period_key: str, now: datetime
) -> bool:
    """Claim the right to send `kind` about `subject` for `period_key`; False if already claimed.

    The unique key makes this exactly-once across retries, restarts and processes.
    """
    try:
        with session.begin_nested():
            session.add(
                Delivery(
                    team_id=team_id,
                    kind=kind,
                    subject=subject,
                    period_key=period_key,
                    claimed_at=now,
                )
            )
    except IntegrityError:
        return False
    return True
