"""What a flow said, rendered: the person's messages (with answer buttons) and notices to others,
as outbox rows owed in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import blocks
from bot.payloads import Click
from conversations.flows.engine import ButtonsFor, Turn
from conversations.flows.spec import RETIRE, Button, Notice, Say
from conversations.offers import Choice, Offer
from conversations.views.team import Team
from prompts import render, render_plain
from storage.outbox import RETIRING, Key, Owed

REPLY = "reply"  # the kind of outbox row that carries a flow's words to the person
FLOW_ANSWER = "flow_answer_"  # + index: an answer to a flow's question (ids unique per block)


def answer_value(target: ButtonsFor, value: str) -> str:
    return json.dumps({"f": target.flow, "s": target.step, "v": target.version, "x": value})


def parse_answer(value: str) -> tuple[ButtonsFor, str] | None:
    """The flow, step and version a button was made for, and the answer it stands for."""
    try:
        data = json.loads(value)
        return ButtonsFor(str(data["f"]), str(data["s"]), int(data["v"])), str(data["x"])
    except (ValueError, KeyError, TypeError, OverflowError):  # Infinity is valid JSON
        return None


def button_label(button: Button) -> str:
    return button.text if button.text else render_plain(f"buttons/{button.label}")


def _message(say: Say, target: ButtonsFor | None) -> dict[str, Any]:
    text = render(say.template, **say.context)
    extra = []
    if say.buttons and target is not None:
        buttons = [
            blocks.button(
                button_label(b),
                f"{FLOW_ANSWER}{i}",
                answer_value(target, b.value),
                primary=b.primary,
            )
            for i, b in enumerate(say.buttons)
        ]
        extra.append(blocks.actions(*buttons))
    if say.choices:
        extra.append(blocks.actions(*map(choice_button, say.choices)))
    return blocks.message(text, *extra)


def choice_button(choice: Choice) -> blocks.Block:
    return blocks.button(
        render_plain(f"buttons/{choice.label or choice.offer.value}", **choice.context),
        choice.offer.action_id,
        choice.value,
        primary=choice.primary,
    )


def choice_rows(rows: Iterable[Sequence[Choice]]) -> list[blocks.Block]:
    """Rows of buttons that start something (a row per goal under `/goals mine`, say)."""
    return [blocks.actions(*map(choice_button, row)) for row in rows if row]


def help_choices(teams: Sequence[Team], limit: int = 10) -> list[tuple[Choice, ...]]:
    """Under a manager's team: a "Help with …" button per agreed goal, to promise help later."""
    goals = [(g, o) for t in teams for g, o in t.agreed][:limit]
    return [
        (Choice(Offer.OFFER_HELP, str(g.id), label="offer_help_on", context={"goal": g}),)
        for g, _ in goals
    ]


def notice_message(notice: Notice) -> dict[str, Any]:
    extra = choice_rows([notice.choices, *notice.rows])
    return blocks.message(render(notice.template, **notice.context), *extra)


@dataclass
class Owing:
    """What a change owes, rendered: new outbox rows, and messages held back (told later)."""

    new: list[Owed] = field(default_factory=list)
    held: list[tuple[Key, str, dict[str, Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.new)


def owed_notices(
    team_id: str, notices: list[Notice], owing: Owing | None = None, keep_ts: str | None = None
) -> Owing:
    """Each notice as an outbox row; a RETIRE one spares the message `keep_ts` (a click's own)."""
    owing = owing or Owing()
    rendered: dict[int, tuple[Notice, dict[str, Any]]] = {}
    for notice in notices:
        if notice.kind == RETIRE:
            owing.new.append(_retiring(team_id, notice, keep_ts))
            continue
        subject, period = notice.once or (notice.about, None)
        to = notice.user_id
        if notice.held is not None and subject is not None and period is not None:
            owing.held.append(((notice.kind, subject, period), to, notice.held))
            continue
        payload = _rendered(notice, rendered)
        owing.new.append(
            Owed(team_id, notice.kind, to, payload, subject=subject, period_key=period)
        )
    return owing


def _rendered(notice: Notice, memo: dict[int, tuple[Notice, dict[str, Any]]]) -> dict[str, Any]:
    """`notice_message(notice)`, rendered once for notices that share their context (the very
    object) and say it alike: a change that tells many people the same thing (an import's
    welcomes, one per unit joined) renders it once, not 100,000 times. The memo keeps each
    notice it keys by, so no other context can take its id."""
    seen = memo.get(id(notice.context))
    if seen is not None:
        first, payload = seen
        if (first.template, first.choices, first.rows) == (
            notice.template,
            notice.choices,
            notice.rows,
        ):
            return payload
    payload = notice_message(notice)
    memo[id(notice.context)] = (notice, payload)
    return payload


def _retiring(team_id: str, notice: Notice, keep_ts: str | None = None) -> Owed:
    """Taking the buttons off the messages about `notice.about`, done by the sender when it comes
    to this row (bot/outbox.py): by then those messages have been sent, and have their place."""
    note = render(notice.template, **notice.context)
    payload = {"note": note, "keep": notice.user_id or None, "keep_ts": keep_ts}
    return Owed(team_id, RETIRE, notice.user_id, payload, subject=notice.about, method=RETIRING)


def owed_turn(
    team_id: str,
    user_id: str,
    turn: Turn,
    thread_ts: str | None = None,
    *,
    moved_on: bool = False,
    keep_ts: str | None = None,
) -> Owing:
    """The person's messages first (in order; in the thread `thread_ts` of their DM, if given),
    then everyone else's. Those with buttons are about the person's conversation; when it has
    `moved_on` (a new question with buttons, or the flow ended), the earlier ones lose theirs
    (but the clicked one, `keep_ts`, which its click rewrote)."""
    thread = {"thread_ts": thread_ts} if thread_ts else {}
    about = f"flow:{user_id}"
    said = []
    if moved_on:
        note = render("flow/moved_on")
        payload = {"note": note, "keep": None, "keep_ts": keep_ts}
        said.append(Owed(team_id, RETIRE, user_id, payload, subject=about, method=RETIRING))
    for say, target in turn.say:
        message = {**_message(say, target), **thread}
        asks = target is not None or bool(say.buttons)  # a question's buttons, not `choices`
        said.append(Owed(team_id, REPLY, user_id, message, subject=about if asks else None))
    return owed_notices(team_id, turn.notices, Owing(new=said))


def asks_with_buttons(turn: Turn) -> bool:
    """Whether the turn sends the person a message with buttons (a new question to answer)."""
    return any(target is not None or say.buttons for say, target in turn.say)


def answered(click: Click, redrawn: Say | None = None) -> dict[str, Any]:
    """The question a button answered: its words kept (or, with `redrawn`, as they read after the
    answer: a published list no longer says "draft"), its buttons replaced by the answer."""
    note = blocks.context(render("flow/answered", label=click.label))
    if redrawn is not None:
        return blocks.message(render(redrawn.template, **redrawn.context), note)
    kept = [b for b in click.message_blocks if b.get("type") != "actions"]
    return {"text": click.message_text, "blocks": [*kept, note]}


def updated(
    click: Click, note: str, choices: tuple[Choice, ...] = (), *, without: int | None = None
) -> dict[str, Any]:
    """The clicked message, its words kept, with a note of what was done and what buttons are
    left (none: the decision is its record). With `without`, only the row of buttons about that
    item goes (the others in a list keep theirs)."""
    kept = [b for b in click.message_blocks if b.get("type") != "actions" or _keeps(b, without)]
    extra = [blocks.actions(*map(choice_button, choices))] if choices else []
    return {"text": click.message_text, "blocks": [*kept, blocks.context(note), *extra]}


def _keeps(row: dict[str, Any], without: int | None) -> bool:
    """Whether a row of buttons stays: when asked to, every row not about `without`."""
    values = {str(e.get("value")) for e in row.get("elements") or [] if isinstance(e, dict)}
    return without is not None and str(without) not in values
