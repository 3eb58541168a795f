"""People: Slack users of a workspace, as synced from Slack."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import Person


@dataclass(frozen=True)
class SlackProfile:
    """What Slack's directory says about one user."""

    user_id: str
    name: str
    email: str | None
    tz: str
    is_admin: bool
    is_bot: bool
    deleted: bool


def get_person(*, session: Session, team_id: str, user_id: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
    ).first()


def get_person_by_id(*, session: Session, team_id: str, person_id: int) -> Person | None:
    return session.exec(
        select(Person).where(Person.team_id == team_id, Person.id == person_id)
    ).first()


def list_people(*, session: Session, team_id: str) -> list[Person]:
    return list(
        session.exec(select(Person).where(Person.team_id == team_id).order_by(col(Person.id)))
    )


def people_by_email(*, session: Session, team_id: str) -> dict[str, Person]:
    """Active, human people keyed by lower-cased email."""
    return {
        p.email.lower(): p
        for p in list_people(session=session, team_id=team_id)
        if p.email and not p.deleted and not p.is_bot
    }


def upsert_profiles(
    *, session: Session, team_id: str, profiles: Iterable[SlackProfile], at: datetime
) -> int:
    """Insert or refresh people from Slack's directory; returns how many rows changed."""
    existing = {p.user_id: p for p in list_people(session=session, team_id=team_id)}
    changed = 0
    for profile in profiles:
        person = existing.get(profile.user_id)
        if person is None:
            person = Person(team_id=team_id, user_id=profile.user_id)
            session.add(person)
        fields = {
            "name": profile.name,
            "email": profile.email,
            "tz": profile.tz,
            "is_slack_admin": profile.is_admin,
            "is_bot": profile.is_bot,
            "deleted": profile.deleted,
        }
        if person.id is None or any(getattr(person, k) != v for k, v in fields.items()):
            changed += 1
            for key, value in fields.items():
                setattr(person, key, value)
        person.synced_at = at
    session.flush()
    return changed


def mark_gone(*, session: Session, team_id: str, user_id: str) -> None:
    """Slack says this person can no longer be reached: they have left the workspace."""
    person = get_person(session=session, team_id=team_id, user_id=user_id)
    if person is not None and not person.deleted:
        person.deleted = True
        session.add(person)
        session.flush()


def set_paused_until(*, session: Session, person: Person, until: date | None) -> None:
    """Pause this person's nudges until `until` (they resume that day); None resumes them."""
    person.paused_until = until
    session.add(person)
    session.flush()
