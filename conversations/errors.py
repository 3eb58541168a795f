"""Refusals: bad input or a missing permission, reported to the user and never half-applied."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Why a request was refused: a template under prompts/errors/ and what it needs.

    `usage` names the command whose right form the reply shows (see prompts/commands/usage).
    """

    def __init__(self, code: str, *, usage: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.usage = usage
        self.params = params

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, usage={self.usage!r}, {self.params!r})"
