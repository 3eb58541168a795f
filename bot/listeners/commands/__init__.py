"""Slash commands: `/goals …`. Each subcommand is declared beside its handler in this package
(bot/triggers.py); here the typed text is read, routed and answered."""

from __future__ import annotations

import difflib
import sys
from typing import Any

from slack_bolt import App

from bot import triggers
from bot.errors import reported
from bot.handling import Origin, Reply, ack_now, perform
from bot.listeners.commands import parse
from bot.payloads import SlashCommand
from bot.reply import refusal_text
from bot.services import Services
from bot.triggers import SUBCOMMANDS, Subcommand
from conversations.errors import Refusal
from prompts import render

triggers.load(sys.modules[__name__])


def groups() -> set[str]:
    """Words that only begin a subcommand: `cycle`, `unit`, `settings`."""
    return {name.split()[0] for name in SUBCOMMANDS if " " in name}


def lookup(words: list[str], raw_text: str | None = None) -> tuple[Subcommand, list[str]]:
    """The subcommand the words name, and the words after it. An unknown one is refused with
    the nearest that exists, and echoed as typed (`raw_text`: quotes kept)."""
    if not words:
        return SUBCOMMANDS["help"], []
    head = words[0].lower()
    pair = f"{head} {words[1].lower()}" if len(words) > 1 else ""
    if pair in SUBCOMMANDS:
        return SUBCOMMANDS[pair], words[2:]
    if head in SUBCOMMANDS:
        return SUBCOMMANDS[head], words[1:]
    if head in groups() and len(words) == 1:  # `/goals settings`: its one subcommand, or a list
        members = sorted(c for c in SUBCOMMANDS if c.startswith(f"{head} "))
        if len(members) == 1:
            return SUBCOMMANDS[members[0]], []
        raise parse.BadCommand(Refusal("group_alone", group=head, options=members), head)
    raw = (parse.raw_tokens(raw_text) if raw_text is not None else words) or words
    usage, value = (head, " ".join(raw)) if head in groups() else ("all", raw[0])
    refusal = Refusal(
        "unknown_command", value=parse.readable(value)[:60], suggestion=_nearest(words)
    )
    raise parse.BadCommand(refusal, "all" if refusal.params["suggestion"] else usage)


def _nearest(words: list[str]) -> str | None:
    """The subcommand nearest to a mistyped one: `hepl` → `help`, `unit ad` → `unit add`."""
    pair = " ".join(words[:2]).lower()
    near: list[str] = []
    if len(words) > 1:
        near = difflib.get_close_matches(pair, [c for c in SUBCOMMANDS if " " in c], 1, 0.75)
    if not near:
        single = [c for c in SUBCOMMANDS if " " not in c]
        near = difflib.get_close_matches(words[0].lower(), single, 1, 0.6)
    return near[0] if near else None


def read(text: str) -> tuple[Subcommand, Any]:
    """Parse the text after `/goals`; bad input is refused before anything is read or written."""
    head, _, rest = text.strip().partition(" ")
    free = SUBCOMMANDS.get(head.lower())
    if free is not None and free.raw:  # free text: apostrophes and quotes are the person's own
        subcommand, args = free, [rest]
    else:
        subcommand, args = lookup(parse.tokens(text), text)
    try:
        return subcommand, subcommand.args.parse(args)
    except Refusal as refusal:
        refusal.params.setdefault("command", subcommand.name)
        raise parse.BadCommand(refusal, subcommand.usage) from refusal


def goals_command(*, services: Services, command: dict[str, Any], origin: Origin) -> None:
    payload = SlashCommand.parse(command)
    try:
        subcommand, parsed = read(payload.text)
    except parse.BadCommand as bad:
        origin.tell(refusal_text(bad.refusal, bad.usage))
        return

    def where_to_look(reply: Reply) -> Reply:
        if reply.turn is not None and not payload.channel_id.startswith("D"):
            reply.text = reply.text or render("commands/continue_in_dm")
        return reply

    perform(
        services,
        origin,
        subcommand.run,
        parsed,
        who=subcommand.who,
        usage=subcommand.usage,
        reads=subcommand.reads,
        also=getattr(parsed, "mentions", ()),
        before_answer=where_to_look,
    )


def register(app: App, services: Services) -> None:
    def run_goals(body: dict[str, Any], command: dict[str, Any], respond: Any, client: Any) -> None:
        origin = Origin.of(body, client, respond)
        goals_command(services=services, command=command, origin=origin)

    app.command("/goals")(ack=ack_now, lazy=[reported(run_goals)])
