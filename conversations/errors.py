"""Refusals: bad input or a missing permission, reported to the person and never half-applied."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Why a request was refused: a reason (a template under prompts/errors/), the field it is
    about if any (a form's input, a command's argument), and what the words need.

    It says nothing of how the request was made: the slash command adds its right form, a modal
    puts the reason on the field."""

    def __init__(self, code: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, field={self.field!r}, {self.params!r})"


class Refusals(Refusal):
    """Several problems at once (a form with several fields wrong); the first stands for all."""

    def __init__(self, refusals: list[Refusal]) -> None:
        first = refusals[0]
        super().__init__(first.code, field=first.field, **first.params)
        self.refusals = refusals
