"""Who is asking: a person of the workspace, and whether they administer Cascade there."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from conversations.errors import Refusal
from storage import forgotten, people
from storage.models import Person


@dataclass(frozen=True)
class Actor:
    """Who is asking, and whether they are an admin (CASCADE_ADMINS or a Slack admin/owner)."""

    team_id: str
    person: Person
    is_admin: bool
    admin_ids: frozenset[str] = frozenset()  # CASCADE_ADMINS: who agrees the root manager's goals

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


def actor_for(
    *, session: Session, team_id: str, user_id: str, admin_ids: frozenset[str], lock: bool = False
) -> Actor:
    """The actor for a Slack user already in the directory; refused for someone forgotten. With
    `lock`, their row is held until the unit of work ends (`people.lock_person`)."""
    person = people.get_person_placed(session=session, team_id=team_id, user_id=user_id, lock=lock)
    if person is None and forgotten.is_forgotten(session=session, team_id=team_id, user_id=user_id):
        raise Refusal("forgotten_requester")  # nothing is written: the unit of work rolls back
    if person is None or person.deleted:
        raise Refusal("unknown_requester")
    return Actor(
        team_id=team_id,
        person=person,
        is_admin=user_id in admin_ids or person.is_slack_admin,
        admin_ids=admin_ids,
    )


def admins(*, session: Session, actor: Actor) -> list[Person]:
    """Who can administer Cascade here: Slack admins and owners, and CASCADE_ADMINS."""
    return people.admins(session=session, team_id=actor.team_id, user_ids=actor.admin_ids)


def require_admin(session: Session, actor: Actor) -> None:
    """A refusal that names the admins, unless this person is one."""
    if not actor.is_admin:
        who = [p.user_id for p in admins(session=session, actor=actor)]
        raise Refusal("not_admin", admins=who[:5])


class Who(StrEnum):
    """Who may use a thing a person can trigger (each declares it: bot/triggers.py)."""

    ANYONE = "anyone"  # the handler may still refuse: "only your own goal"
    MANAGER = "manager"  # someone who runs a unit
    LEADER = "leader"  # someone who runs a unit, or an admin
    ADMIN = "admin"


def permit(*, session: Session, actor: Actor, who: Who) -> None:
    """The check every trigger gets before its handler runs. Admin-only things refuse anyone
    else here, naming the admins; for the rest the flow or service refuses in its own words,
    which say who can and what to do instead (a member asking to plan is told who plans)."""
    if who == Who.ADMIN:
        require_admin(session, actor)
