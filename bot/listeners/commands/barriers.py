"""Barriers: `/goals barrier <text>` reports one, `/goals barriers` lists the open ones."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handling import Reply
from bot.listeners.commands.parse import Nothing, readable
from bot.triggers import subcommand
from bot.work import Acting
from conversations.errors import Refusal
from conversations.services import barrier
from conversations.views import mine
from prompts import render


@dataclass(frozen=True)
class BarrierText:
    text: str  # as the person typed it (Slack's escaping undone)

    @classmethod
    def parse(cls, words: list[str]) -> BarrierText:
        """The words after `barrier`, untouched (apostrophes and quotes are the person's own)."""
        text = readable(" ".join(words)).strip()
        if not text:
            raise Refusal("empty_barrier")
        return cls(text=text)


@subcommand("barrier", raw=True, hint=6)
def barrier_(a: Acting, args: BarrierText) -> Reply:
    reported = barrier.report(session=a.session, actor=a.actor, text=args.text, now=a.now)
    a.owe_notices(reported.notices)
    return Reply(render("barrier/reported", reported=reported, limit=barrier.TEXT_LIMIT))


@subcommand("barriers", reads=True)
def barriers(a: Acting, args: Nothing) -> Reply:
    found = mine.open_barriers(session=a.session, actor=a.actor, now=a.now)
    return Reply(render("barrier/list", mine=found))
