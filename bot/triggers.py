"""Everything a person can trigger, declared once beside its handler (STYLE.md 15).

- A `/goals` subcommand: `@subcommand("cycle add", who=Who.ADMIN)` on its handler, whose `args`
  parameter is typed with a dataclass that parses the words after the subcommand (`parse`).
  Its right form is `prompts/commands/usage/<name>.md.j2`.
- A button: a member of `conversations.offers.Offer` (its action id, value schema, who may click,
  label `prompts/buttons/<value>.md.j2`), handled by `@clicked(Offer.X)` here in bot/, or by a
  flow that declares it as an entry point (`Starting.entries`) and needs no handler at all.
- A form: `@form("checkin", who=…, fields=…)` on its submission handler, beside its modal.

The listeners route from these tables, the usage text and the manifest's usage hint are made from
them, and tests/bot/test_triggers.py fails when a declaration lacks its words, its handler or its
row in the authorization matrix.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, Self, TypeVar, get_type_hints

from bot.handling import Reply
from bot.payloads import Click, ViewSubmission
from bot.work import Acting
from conversations.actor import Who
from conversations.offers import Offer

F = TypeVar("F", bound=Callable[..., Any])


class Arguments(Protocol):
    """A subcommand's typed arguments: `parse` reads the words after the subcommand's own, or
    raises a Refusal that says what was wrong."""

    @classmethod
    def parse(cls, words: list[str]) -> Self: ...


@dataclass(frozen=True)
class Subcommand:
    name: str  # as typed after /goals: "cycle add"
    run: Callable[[Acting, Any], Reply]
    args: type[Arguments]
    who: Who
    raw: bool = False  # takes free text: its words are not split on quotes
    reads: bool = False  # only reads (a view): it never takes the write lock
    hint: int = 0  # its place in the manifest's usage hint (1 first); 0: not there

    @property
    def usage(self) -> str:
        """Its right form: prompts/commands/usage/<usage>.md.j2."""
        return self.name.replace(" ", "_")


@dataclass(frozen=True)
class ClickHandler:
    offer: Offer
    run: Callable[[Acting, Click, Any], Reply]  # (work, the click, its value as offers.py reads it)


@dataclass(frozen=True)
class Form:
    callback_id: str
    submit: Callable[[Acting, ViewSubmission], Reply]
    who: Who
    fields: Callable[[ViewSubmission], tuple[str, ...]]  # its inputs; the first takes the rest


SUBCOMMANDS: dict[str, Subcommand] = {}
CLICKS: dict[Offer, ClickHandler] = {}
FORMS: dict[str, Form] = {}


def _declare(table: dict[Any, Any], key: object, declared: object) -> None:
    if key in table:
        raise TypeError(f"{key!r} is declared twice")
    table[key] = declared


def subcommand(
    name: str, *, who: Who = Who.ANYONE, raw: bool = False, reads: bool = False, hint: int = 0
) -> Callable[[F], F]:
    """Declare the handler of `/goals <name>`; its `args` annotation is its argument schema."""

    def declare(run: F) -> F:
        args = get_type_hints(run)["args"]
        _declare(SUBCOMMANDS, name, Subcommand(name, run, args, who, raw, reads, hint))
        return run

    return declare


def clicked(offer: Offer) -> Callable[[F], F]:
    """Declare the handler of a button (its action id, value and audience are the offer's)."""

    def declare(run: F) -> F:
        _declare(CLICKS, offer, ClickHandler(offer, run))
        return run

    return declare


def form(
    callback_id: str,
    *,
    who: Who = Who.ANYONE,
    fields: tuple[str, ...] | Callable[[ViewSubmission], tuple[str, ...]] = (),
) -> Callable[[F], F]:
    """Declare a modal's submission handler; `fields` names its inputs (or reads them from the
    submission, for a form whose inputs depend on what it asked)."""
    named = fields

    def declare(submit: F) -> F:
        inputs = named if callable(named) else (lambda _submission: named)
        _declare(FORMS, callback_id, Form(callback_id, submit, who, inputs))
        return submit

    return declare


def load(package: ModuleType) -> None:
    """Import every module of a listener package, so that its declarations are made."""
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
