"""Who is asking: a person of the workspace, and whether they administer Cascade there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from conversations.errors import Refusal
from storage import people
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


def actor_for(*, session: Session, team_id: str, user_id: str, admin_ids: frozenset[str]) -> Actor:
    """The actor for a Slack user already in the directory."""
    person = people.get_person_placed(session=session, team_id=team_id, user_id=user_id)
    if person is None or person.deleted:
        raise Refusal("unknown_requester")
    return Actor(
        team_id=team_id,
        person=person,
        is_admin=user_id in admin_ids or person.is_slack_admin,
        admin_ids=admin_ids,
    )
