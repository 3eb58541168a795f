"""Quiet for a while: `/goals pause 2w`, `/goals pause until 2027-03-01`, `/goals resume`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.handling import Reply
from bot.listeners.commands.parse import Nothing, readable
from bot.triggers import subcommand
from bot.work import Acting
from conversations.errors import Refusal
from conversations.services import pause
from conversations.services.organisation import iso_date
from prompts import render


@dataclass(frozen=True)
class Pause:
    duration: str | None  # "2w", "10 days"…
    until: date | None

    @classmethod
    def parse(cls, words: list[str]) -> Pause:
        if not words:
            raise Refusal("bad_pause", value="")
        if words[0].lower() != "until":
            return cls(duration=readable(" ".join(words)), until=None)
        if len(words) != 2:
            raise Refusal("bad_pause", value=readable(" ".join(words))[:40])
        return cls(duration=None, until=iso_date(readable(words[1]), field="until"))


@subcommand("pause")
def pause_(a: Acting, args: Pause) -> Reply:
    until = args.until or pause.pause_for(args.duration or "", a.today)
    pause.pause(session=a.session, actor=a.actor, until=until, today=a.today)
    return Reply(render("pause/paused", until=until))


@subcommand("resume")
def resume(a: Acting, args: Nothing) -> Reply:
    was = pause.resume(session=a.session, actor=a.actor, today=a.today)
    held = pause.held_for(session=a.session, actor=a.actor, now=a.now)
    return Reply(render("pause/resumed", was=was, held=held))
