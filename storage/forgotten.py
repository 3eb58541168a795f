"""Who was erased (`cascade forget`), kept so that nothing writes them back: Slack's directory
still lists them, an org import may still name them, and they may still write to Cascade.

The record holds none of their data in the clear: per workspace, an HMAC-SHA256 of their Slack
user id and one of their lower-cased email. The key is derived from the workspace's team id and
a constant, not from a secret, on purpose: the check must keep working for as long as the
database does, through token and signing-secret rotations and on every process, and a key that
could be lost or changed would silently let them back in. What this buys: the table does not
show their id or email, rows of two workspaces cannot be joined, and no precomputed table of
hashes fits every installation. What it does not: someone holding the database and a guess of
an email or user id can test the guess (as with any lookup that must answer without a secret
kept apart from the database)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Forgotten, Person

KEY_PREFIX = b"cascade/forgotten/v1/"


def _digest(team_id: str, kind: str, value: str) -> str:
    key = KEY_PREFIX + team_id.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def user_hash(team_id: str, user_id: str) -> str:
    return _digest(team_id, "user", user_id.strip().upper())


def email_hash(team_id: str, email: str) -> str:
    return _digest(team_id, "email", email.strip().lower())


@dataclass(frozen=True)
class Hashes:
    """One workspace's forgotten people, as their hashes."""

    team_id: str
    users: frozenset[str]
    emails: frozenset[str]

    def has_user(self, user_id: str) -> bool:
        return bool(self.users) and user_hash(self.team_id, user_id) in self.users

    def has_email(self, email: str | None) -> bool:
        return (
            bool(email)
            and bool(self.emails)
            and email_hash(self.team_id, email or "") in self.emails
        )

    def has(self, user_id: str, email: str | None) -> bool:
        return self.has_user(user_id) or self.has_email(email)


def hashes(*, session: Session, team_id: str) -> Hashes:
    """Everyone forgotten in this workspace, in one query (a short list: one row per request)."""
    rows = session.exec(
        select(Forgotten.user_hash, Forgotten.email_hash).where(Forgotten.team_id == team_id)
    ).all()
    return Hashes(
        team_id=team_id,
        users=frozenset(u for u, _ in rows),
        emails=frozenset(e for _, e in rows if e is not None),
    )


def remember(*, session: Session, person: Person) -> bool:
    """Record that this person is forgotten in their workspace; False if they already were."""
    user = user_hash(person.team_id, person.user_id)
    known = session.exec(
        select(Forgotten.id).where(Forgotten.team_id == person.team_id, Forgotten.user_hash == user)
    ).first()
    if known is not None:
        return False
    email = email_hash(person.team_id, person.email) if person.email else None
    session.add(Forgotten(team_id=person.team_id, user_hash=user, email_hash=email))
    session.flush()
    return True


def is_forgotten(*, session: Session, team_id: str, user_id: str) -> bool:
    """Whether this Slack user of this workspace was forgotten."""
    found = session.exec(
        select(Forgotten.id).where(
            Forgotten.team_id == team_id, Forgotten.user_hash == user_hash(team_id, user_id)
        )
    ).first()
    return found is not None


def forgotten_users(*, session: Session, team_id: str, user_ids: Iterable[str]) -> set[str]:
    """Which of these Slack users of this workspace were forgotten, in one query."""
    wanted = {user_hash(team_id, u): u for u in user_ids}
    if not wanted:
        return set()
    found = session.exec(
        select(Forgotten.user_hash).where(
            Forgotten.team_id == team_id, col(Forgotten.user_hash).in_(sorted(wanted))
        )
    )
    return {wanted[h] for h in found}


def named(*, session: Session, who: str) -> bool:
    """Whether `who` (a Slack user id or an email) names someone forgotten, in any workspace."""
    teams = session.exec(select(Forgotten.team_id).distinct()).all()
    for team_id in teams:
        match = (
            Forgotten.email_hash == email_hash(team_id, who)
            if "@" in who
            else Forgotten.user_hash == user_hash(team_id, who)
        )
        if session.exec(select(Forgotten.id).where(Forgotten.team_id == team_id, match)).first():
            return True
    return False
