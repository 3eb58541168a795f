"""The App Home, rendered: what conversations/views/home.py says, as Block Kit within Slack's
limits, with the same buttons as the DMs. Published when the Home is opened and after changes to the
person's goals, check-ins or barriers."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.services import Services
from bot.turns import choice_button, choice_rows, help_choices
from conversations.actor import actor_for
from conversations.offers import Choice, Offer
from conversations.services import barrier
from conversations.views import home
from prompts import render
from storage import people
from storage.db import transaction

logger = logging.getLogger("cascade")
VIEW_BLOCKS = 100
ITEMS = 5  # goals to agree, barriers to acknowledge: each with its buttons, then a count
HELP_BUTTONS = 5  # "Help with …" a report's agreed goal


def home_view(view: home.Home) -> dict[str, Any]:
    """The Home tab for one person (at most 100 blocks, whatever the size of their team)."""
    parts: list[blocks.Block] = [*blocks.sections(render("home/home", steps=view.steps))]
    parts += blocks.sections(render("home/mine", home=view))
    parts += choice_rows(view.found.choices)[:10]
    parts.append(
        blocks.actions(
            *map(
                choice_button,
                (
                    Choice(Offer.SET_GOALS, primary=True, label="set_a_goal"),
                    *((Choice(Offer.CHECK_IN),) if view.can_check_in else ()),
                    Choice(Offer.REPORT_BARRIER),
                ),
            )
        )
    )
    if view.teams:
        parts.append({"type": "divider"})
        parts += blocks.sections(render("team/team", teams=view.teams))
        parts += _waiting(view)
        parts += choice_rows(help_choices(view.teams, limit=HELP_BUTTONS))
    if view.is_admin:
        parts.append({"type": "divider"})
        parts += blocks.sections(render("home/admin", home=view))
        parts += choice_rows([(Choice(Offer.NEW_CYCLE),)])
    if len(parts) > VIEW_BLOCKS:  # cut the team's text, keep the buttons (they come last)
        parts = parts[: VIEW_BLOCKS - 1] + [blocks.context(render("home/more_waiting", count=0))]
    return {"type": "home", "blocks": parts}


def _waiting(view: home.Home) -> list[blocks.Block]:
    """What awaits the manager, each with the same buttons as its DM; the rest as a count."""
    parts: list[blocks.Block] = []
    to_agree = [pair for team in view.teams for pair in team.to_agree]
    to_ack = [w for team in view.teams for w in team.to_acknowledge]
    for goal, owner in to_agree[:ITEMS]:
        parts += blocks.sections(render("home/to_agree", goal=goal, owner=owner))
        parts.append(
            blocks.actions(
                choice_button(Choice(Offer.AGREE_GOAL, str(goal.id), primary=True)),
                choice_button(Choice(Offer.SUGGEST_CHANGES, str(goal.id))),
            )
        )
    for waiting in to_ack[:ITEMS]:
        parts += blocks.sections(render("home/to_acknowledge", waiting=waiting))
        parts.append(blocks.actions(*map(choice_button, barrier.holder_choices(waiting.barrier))))
    more = max(len(to_agree) - ITEMS, 0) + max(len(to_ack) - ITEMS, 0)
    if more:
        parts.append(blocks.context(render("home/more_waiting", count=more)))
    return parts


def publish_home(*, services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    """Render this person's Home from what is saved now, and publish it."""
    now = services.clock()
    with transaction(services.engine) as session:
        actor = actor_for(
            session=session,
            team_id=team_id,
            user_id=user_id,
            admin_ids=services.settings.admin_ids,
        )
        view = home_view(home.home_of(session=session, actor=actor, now=now))
    client.views_publish(user_id=user_id, view=view)


def refresh_homes(*, services: Services, team_id: str, user_ids: list[str]) -> None:
    """After a change: the Homes of those it concerns show it, for people who have opened theirs
    (the rest see it when they do: opening it publishes it). Best effort; never raises."""
    with transaction(services.engine) as session:
        seen = people.home_seen(session=session, team_id=team_id, user_ids=user_ids)
    for user_id in [u for u in user_ids if u in seen]:
        try:
            publish_home(
                services=services, client=services.sender.client, team_id=team_id, user_id=user_id
            )
        except (SlackApiError, OSError, LookupError):
            logger.warning("could not refresh the Home of %s", user_id, exc_info=True)
        except Exception:
            logger.exception("could not refresh the Home of %s", user_id)
