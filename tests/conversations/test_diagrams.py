"""Each flow's Mermaid diagram is its table, drawn: neither can drift from the other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conversations.flows.registry import FLOWS
from conversations.services import agreement, barrier

CONVERSATIONS = Path(agreement.__file__).parent.parent  # each diagram beside its module
EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(.*))?$")


def edges(name: str) -> list[tuple[str, str, str]]:
    [path] = CONVERSATIONS.glob(f"*/{name}.mmd")
    text = path.read_text(encoding="utf-8")
    found = [m.groups() for m in map(EDGE.match, text.splitlines()) if m]
    return [(a, b, label or "") for a, b, label in found]


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_flow_diagram_is_its_table(name: str) -> None:
    spec = FLOWS[name]
    drawn = edges(spec.name)
    steps = {s.value for s in spec.steps}
    between = {(a, b) for a, b, _ in drawn if "[*]" not in (a, b)}
    assert {x for a, b in between for x in (a, b)} <= steps
    assert between == {(s.value, t.value) for s, row in spec.table.items() for t in row.to}
    assert {b for a, b, _ in drawn if a == "[*]"} == {s.value for s in spec.starting.steps}
    assert {a for a, b, _ in drawn if b == "[*]"} == {
        s.value for s, row in spec.table.items() if row.finishes
    }
    assert steps <= {x for a, b, _ in drawn for x in (a, b)}, "a step the diagram never shows"


@pytest.mark.parametrize(
    ("name", "transitions"),
    [("agreement", agreement.TRANSITIONS), ("barrier", barrier.TRANSITIONS)],
)
def test_each_status_diagram_is_its_transitions(name: str, transitions: dict[Any, Any]) -> None:
    drawn = edges(name)
    between = {(a, b, label.split(" (")[0]) for a, b, label in drawn if "[*]" not in (a, b)}
    assert between == {
        (old.value, new.value, event.value.replace("_", " "))
        for (old, event), new in transitions.items()
    }


def test_a_table_must_cover_every_step() -> None:
    from enum import StrEnum

    from conversations.flows.spec import FlowSpec, Next, Starting, Step

    class Two(StrEnum):
        ONE = "one"
        TWO = "two"

    row = Step(ask=lambda ctx: None, answer=lambda ctx, text: Next(Two.ONE))  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="no table row"):
        FlowSpec(
            name="broken",
            steps=Two,
            table={Two.ONE: row},
            starting=Starting(lambda ctx: Next(Two.ONE), (Two.ONE,)),
            help=lambda ctx, step: None,  # type: ignore[arg-type,return-value]
        )
