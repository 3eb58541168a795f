"""People: Slack users of a workspace, as synced from Slack."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, and_, exists, literal, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_, select

from storage import forgotten, workspaces
from storage.db import (
    expire_rows,
    insert_or,
    insert_rows,
    one_of,
    restricted_to,
    table_of,
    update_rows,
)
from storage.memo import keep, recall, remembered
from storage.models import (
    Conversation,
    ConversationState,
    Cycle,
    Membership,
    Person,
    UTCDateTime,
    Workspace,
)

NOT_TALKING = "no_conversation"  # memo: the person has no open conversation (read with them)


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


@dataclass(slots=True, eq=False)
class PersonRow:
    """A person as the tick's rules and their messages read them: plain data, each field the
    column of `Person` of that name (an ORM object each would cost the tick more than its query,
    and the columns it never reads, their timestamps most, a fifth of it at 100,000 people)."""

    id: int | None
    team_id: str
    user_id: str
    name: str
    tz: str
    is_slack_admin: bool
    is_bot: bool
    deleted: bool
    checkin_weekday: int | None
    checkin_time: str | None
    paused_until: date | None


PersonLike = Person | PersonRow  # what code that only reads a person accepts


def get_person(*, session: Session, team_id: str, user_id: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
    ).first()


def get_person_placed(
    *, session: Session, team_id: str, user_id: str, lock: bool = False
) -> Person | None:
    """`get_person`, reading in the same query which unit they belong to (`units.unit_of` of
    them then reads no more), the workspace's calendar (`workspaces.calendar` then reads no
    more) and whether a conversation of theirs is open (when none is,
    `conversations.latest_conversation` then reads no more): who is asking comes first in every
    request. One row per cycle (a handful). With `lock`, their row is held as `lock_person`
    holds it, in the same statement. (A statement that waited for the lock sees the others as
    of its start, as it sees their unit: a conversation opened by the work it waited for is
    taken for none, as if this request had come first.)"""
    talking = (
        exists()
        .where(
            col(Conversation.team_id) == team_id,
            col(Conversation.person_id) == col(Person.id),
            col(Conversation.state) == ConversationState.ACTIVE,
        )
        .label("talking")
    )
    query = (
        sa_select(Person, col(Membership.unit_id), Workspace, Cycle, talking)
        .outerjoin(  # by (team_id, person_id), its unique index: not a scan of everyone's
            Membership,
            and_(col(Membership.team_id) == team_id, col(Membership.person_id) == col(Person.id)),
        )
        .outerjoin(Workspace, col(Workspace.team_id) == col(Person.team_id))
        .outerjoin(Cycle, col(Cycle.team_id) == col(Person.team_id))
        .where(col(Person.team_id) == team_id, col(Person.user_id) == user_id)
        .order_by(col(Cycle.start), col(Cycle.id))
    )
    if lock:
        query = query.with_for_update(key_share=True, of=Person)
    rows = session.execute(query).all()
    if not rows:
        return None
    person: Person
    person, unit_id, workspace, _, talking = rows[0]
    keep(session, ("unit_of", team_id, person.id), (unit_id,))
    keep(session, (NOT_TALKING, team_id, person.id), not talking)  # as read now, either way
    cycles = [cycle for _, _, _, cycle, _ in rows if cycle is not None]
    workspaces.keep_calendar(session=session, team_id=team_id, workspace=workspace, cycles=cycles)
    return person


def get_person_by_id(*, session: Session, team_id: str, person_id: int) -> Person | None:
    return session.exec(
        select(Person).where(Person.team_id == team_id, Person.id == person_id)
    ).first()


def list_people(*, session: Session, team_id: str) -> list[Person]:
    return list(
        session.exec(select(Person).where(Person.team_id == team_id).order_by(col(Person.id)))
    )


def admins(*, session: Session, team_id: str, user_ids: Collection[str]) -> list[Person]:
    """Active, human Slack admins and owners, and the people named by `user_ids`, in one query."""
    return list(
        session.exec(
            select(Person)
            .where(
                Person.team_id == team_id,
                or_(col(Person.is_slack_admin), col(Person.user_id).in_(list(user_ids))),
                col(Person.deleted).is_(False),
                col(Person.is_bot).is_(False),
            )
            .order_by(col(Person.id))
        )
    )


def people_by_email(*, session: Session, team_id: str) -> dict[str, Person]:
    """Active, human people keyed by lower-cased email."""
    return {
        p.email.lower(): p
        for p in list_people(session=session, team_id=team_id)
        if p.email and not p.deleted and not p.is_bot
    }


def person_ids_by_email(*, session: Session, team_id: str) -> dict[str, int]:
    """Active, human people's ids keyed by lower-cased email, in one query."""
    rows = session.exec(
        select(Person.id, Person.email)
        .where(
            Person.team_id == team_id,
            col(Person.email).is_not(None),
            col(Person.deleted).is_(False),
            col(Person.is_bot).is_(False),
        )
        .order_by(col(Person.id))
    )
    return {email.lower(): person_id for person_id, email in rows if email and person_id}


@dataclass(frozen=True)
class DirectoryState:
    """What the directory knows before a request: when it was last synced in full (None: never,
    or no workspace row yet), and which of the Slack users `asked` about it has a row for."""

    synced_at: datetime | None
    asked: frozenset[str]
    known: frozenset[str]


def directory_state(*, session: Session, team_id: str, user_ids: Collection[str]) -> DirectoryState:
    """The directory's state for these users: one query, asked before every request."""
    synced = select(Workspace.directory_synced_at, literal(None, String).label("user_id")).where(
        Workspace.team_id == team_id
    )
    known = select(literal(None, UTCDateTime()), Person.user_id).where(
        Person.team_id == team_id, col(Person.user_id).in_(sorted(set(user_ids)) or [""])
    )
    at: datetime | None = None
    found: set[str] = set()
    for synced_at, user_id in session.execute(union_all(synced, known)):
        if user_id is None:
            at = synced_at
        else:
            found.add(user_id)
    return DirectoryState(at, frozenset(user_ids), frozenset(found))


def lock_person(*, session: Session, team_id: str, user_id: str) -> None:
    """Hold this person's row until the transaction ends (PostgreSQL: FOR NO KEY UPDATE, which
    leaves rows that refer to it free to be written; SQLite: every writing transaction already
    holds the one write lock). The inbox's order per person rests on it (bot/inbox.py)."""
    session.exec(
        select(Person.id)
        .where(Person.team_id == team_id, Person.user_id == user_id)
        .with_for_update(key_share=True)
    ).first()


UPSERT_BATCH = 1000  # profiles compared and written per round of statements
PROFILE_FIELDS = ("name", "email", "tz", "is_slack_admin", "is_bot", "deleted")


def _fields(profile: SlackProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "email": profile.email,
        "tz": profile.tz,
        "is_slack_admin": profile.is_admin,
        "is_bot": profile.is_bot,
        "deleted": profile.deleted,
    }


def upsert_profiles(
    *, session: Session, team_id: str, profiles: Iterable[SlackProfile], at: datetime
) -> int:
    """Insert or refresh people from Slack's directory, writing only the rows that changed:
    one SELECT of who was forgotten (they are skipped: never written back), then per thousand
    profiles one SELECT, at most one INSERT and one UPDATE. Returns how many rows changed."""
    changed = 0
    gone = forgotten.hashes(session=session, team_id=team_id)
    batch: dict[str, dict[str, Any]] = {}
    for profile in profiles:
        if gone.has(profile.user_id, profile.email):
            continue
        batch[profile.user_id] = _fields(profile)
        if len(batch) >= UPSERT_BATCH:
            changed += _upsert_batch(session, team_id, batch, at)
            batch = {}
    if batch:
        changed += _upsert_batch(session, team_id, batch, at)
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


def _upsert_batch(
    session: Session, team_id: str, wanted: dict[str, dict[str, Any]], at: datetime
) -> int:
    columns = [col(getattr(Person, name)) for name in PROFILE_FIELDS]
    query = sa_select(col(Person.id), col(Person.user_id), *columns).where(
        col(Person.team_id) == team_id
    )
    query = restricted_to(session, query, col(Person.user_id), list(wanted))
    existing = {row[1]: row for row in session.execute(query)}
    new: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for user_id, fields in wanted.items():
        row = existing.get(user_id)
        if row is None:
            new.append({"team_id": team_id, "user_id": user_id, **fields, "synced_at": at})
        elif tuple(row[2:]) != tuple(fields.values()):
            updates.append({"id": row[0], **fields, "synced_at": at})
    if new:
        # ON CONFLICT: a users.info lookup in another process may insert the same person first.
        insert = insert_or(session, table_of(Person))
        refresh = {name: insert.excluded[name] for name in (*PROFILE_FIELDS, "synced_at")}
        upsert = insert.on_conflict_do_update(index_elements=["team_id", "user_id"], set_=refresh)
        insert_rows(session, upsert, new)
    if updates:
        table = table_of(Person)
        update_rows(session, table, updates, where=[table.c.team_id == team_id])
        expire_rows(session, Person, {u["id"] for u in updates})
    return len(new) + len(updates)


def people_by_ids(*, session: Session, team_id: str, person_ids: Collection[int]) -> list[Person]:
    """These people, in one query (none for those already read in this transaction)."""
    known = {i: recall(session, ("person", team_id, i)) for i in set(person_ids)}
    missing = [i for i, p in known.items() if p is None]
    if missing:
        found = session.exec(
            select(Person).where(
                col(Person.team_id) == team_id, one_of(session, Person.id, missing)
            )
        )
        remember_people(session, team_id, found)
        known.update({i: recall(session, ("person", team_id, i)) for i in missing})
    return [p for p in known.values() if p is not None]


class Addressee(NamedTuple):
    """Whom a message would go to, and whether it can: all a notice reads of a person."""

    id: int
    user_id: str
    deleted: bool
    is_bot: bool


def addressees(*, session: Session, team_id: str, person_ids: Collection[int]) -> list[Addressee]:
    """These people as `Addressee`s, in one query of four columns (a change that places a whole
    organisation tells everyone: 100,000 ORM objects took seconds to build)."""
    if not person_ids:
        return []
    table = table_of(Person)
    query = sa_select(table.c.id, table.c.user_id, table.c.deleted, table.c.is_bot).where(
        table.c.team_id == team_id, one_of(session, table.c.id, sorted(set(person_ids)))
    )
    return [Addressee._make(row) for row in session.execute(query)]


def remember_people(session: Session, team_id: str, found: Iterable[Person]) -> None:
    """Keep these people for `people_by_ids` in the rest of this transaction."""
    for person in found:
        keep(session, ("person", team_id, person.id), person)


def mark_home_seen(*, session: Session, person: Person, at: datetime) -> None:
    """This person has opened their App Home (the first time is what counts: from then on it is
    refreshed on change; the later opens write nothing)."""
    if person.home_seen_at is None:
        person.home_seen_at = at
        session.add(person)
        session.flush()


def home_seen(*, session: Session, team_id: str, user_ids: Collection[str]) -> set[str]:
    """Which of these people have opened their App Home at some time, in one query."""
    if not user_ids:
        return set()
    return set(
        session.exec(
            select(Person.user_id).where(
                col(Person.team_id) == team_id,
                col(Person.user_id).in_(list(user_ids)),
                col(Person.home_seen_at).is_not(None),
            )
        )
    )


def some_people(*, session: Session, team_id: str, limit: int) -> list[Person]:
    """Up to `limit` active, human people, the longest known first."""
    query = (
        select(Person)
        .where(
            col(Person.team_id) == team_id,
            col(Person.deleted).is_(False),
            col(Person.is_bot).is_(False),
        )
        .order_by(col(Person.id))
        .limit(limit)
    )
    return list(
        remembered(session, ("some_people", team_id, limit), lambda: list(session.exec(query)))
    )
