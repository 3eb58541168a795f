"""`/goals 1on1 @person`: the private agenda of a manager and a direct report, now; with
`every thu 10:00` (the manager) it comes to both two hours before, weekly; `stop` ends that."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handling import Reply
from bot.listeners.commands.parse import mention
from bot.triggers import subcommand
from bot.turns import choice_rows
from bot.work import Acting
from conversations.errors import Refusal
from conversations.offers import Choice, Offer
from conversations.services import one_on_one
from conversations.views.one_on_one import agendas
from prompts import render

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OneOnOneArgs:
    person: str  # Slack user id
    every: tuple[int, str] | None = None  # weekday, "HH:MM"
    stop: bool = False

    @property
    def mentions(self) -> tuple[str, ...]:
        return (self.person,)

    @classmethod
    def parse(cls, words: list[str]) -> OneOnOneArgs:
        if not words:
            raise Refusal("no_person", field="person")
        person, rest = mention(words[0], "person"), words[1:]
        if not rest:
            return cls(person)
        if [w.lower() for w in rest] == ["stop"]:
            return cls(person, stop=True)
        if rest[0].lower() == "every":
            return cls(person, every=one_on_one.read_slot(rest[1:]))
        raise Refusal("bad_slot", value=" ".join(rest)[:40])


@subcommand("1on1", hint=7)
def one_on_one_(a: Acting, args: OneOnOneArgs) -> Reply:
    pair = one_on_one.pair_with(session=a.session, actor=a.actor, user_id=args.person)
    other = pair.other(a.actor.person_id)
    if args.stop:
        stopped = one_on_one.stop(session=a.session, actor=a.actor, pair=pair)
        return Reply(render("one_on_one/stopped", slot=stopped, other=other))
    if args.every is not None:
        weekday, at = args.every
        slot = one_on_one.schedule(
            session=a.session, actor=a.actor, pair=pair, weekday=weekday, at=at, now=a.now
        )
        return Reply(render("one_on_one/scheduled", slot=slot, other=other, weekday=DAYS[weekday]))
    [agenda] = agendas(session=a.session, team_id=a.actor.team_id, pairs=[pair], now=a.now)
    topic = Choice(Offer.ADD_TOPIC, str(other.id))
    return Reply(render("one_on_one/agenda", agenda=agenda), choice_rows([(topic,)]))
