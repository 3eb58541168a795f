"""Every guided flow Cascade runs, by name: the one list the engine looks flows up in."""

from __future__ import annotations

from conversations.flows import goal_closing, goal_interview, objectives
from conversations.flows.spec import FlowSpec

FLOWS: dict[str, FlowSpec] = {
    spec.name: spec
    for spec in (
        objectives.SPEC,
        goal_interview.SPEC,
        goal_closing.SPEC,
    )
}
