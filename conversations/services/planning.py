"""Which cycle people work on: the one running today (in the workspace's time zone), else the
next one; a flow may be for a named or a later cycle, and views may look back at past ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from conversations.errors import Refusal
from storage import cycles, workspaces
from storage.models import Cycle


def today(*, session: Session, team_id: str, now: datetime) -> date:
    """Today in the workspace's time zone: the day that decides which cycle is running."""
    return workspaces.local_today(session=session, team_id=team_id, now=now)


def current(*, session: Session, team_id: str, now: datetime) -> Cycle | None:
    """The running cycle, else the next to start."""
    return cycles.current_cycle(
        session=session, team_id=team_id, today=today(session=session, team_id=team_id, now=now)
    )


def running(*, session: Session, team_id: str, now: datetime) -> Cycle | None:
    return cycles.running_cycle(
        session=session, team_id=team_id, today=today(session=session, team_id=team_id, now=now)
    )


def ended(*, session: Session, team_id: str, now: datetime) -> Cycle | None:
    """The cycle that ended last, if one has."""
    day = today(session=session, team_id=team_id, now=now)
    past = [c for c in cycles.list_cycles(session=session, team_id=team_id) if c.end < day]
    return past[-1] if past else None


@dataclass(frozen=True)
class InView:
    """The cycle views show with nothing named: the running one; between cycles, the one that
    has just ended (with its results) and the next if an admin has added it; before the first
    cycle, the first."""

    cycle: Cycle | None
    just_ended: bool = False
    next: Cycle | None = None


def in_view(*, session: Session, team_id: str, now: datetime) -> InView:
    day = today(session=session, team_id=team_id, now=now)
    listed = cycles.list_cycles(session=session, team_id=team_id)
    running = next((c for c in listed if c.start <= day <= c.end), None)
    past = [c for c in listed if c.end < day]
    coming = next((c for c in listed if c.start > day), None)
    if running is None and past:
        return InView(past[-1], just_ended=True, next=coming)
    return InView(running or coming)


def after(*, session: Session, team_id: str, cycle: Cycle) -> Cycle | None:
    """The cycle that follows `cycle`, once one has been added."""
    return cycles.upcoming_cycle(session=session, team_id=team_id, after=cycle.end)


def chosen(
    *, session: Session, team_id: str, now: datetime, cycle_id: object = None
) -> Cycle | None:
    """The cycle a flow was started for (its `cycle_id` answer), else the current one."""
    if isinstance(cycle_id, int):
        found = cycles.get_cycle(session=session, team_id=team_id, cycle_id=cycle_id)
        if found is not None:
            return found
    return current(session=session, team_id=team_id, now=now)


def named(*, session: Session, team_id: str, name: str) -> Cycle:
    """The cycle called `name`, or a refusal that lists the cycles there are."""
    found = cycles.find_cycle(session=session, team_id=team_id, name=name)
    if found is None:
        known = [c.name for c in cycles.list_cycles(session=session, team_id=team_id)]
        raise Refusal("unknown_cycle", field="cycle", name=name, known=known[-10:])
    return found


# "FY27 H1" → "FY27 H2" → "FY28 H1"; "Q4 2027" → "Q1 2028"; "Sprint 9" → "Sprint 10".
_PERIOD = re.compile(r"\b([HQT])([1-4])\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d|\d\d)(?!\d)")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)


def _dated_name(start: date, end: date) -> str:
    """A cycle named by its months: "Jun 2027 – Nov 2027"."""
    return f"{start:%b %Y} – {end:%b %Y}"


def _next_name(name: str) -> str:
    period = _PERIOD.search(name)
    if period is not None:
        letter, number = period.group(1), int(period.group(2))
        if number < (2 if letter.upper() == "H" else 4):
            return name[: period.start(2)] + str(number + 1) + name[period.end(2) :]
        rolled = name[: period.start(2)] + "1" + name[period.end(2) :]
        year = _YEAR.search(rolled)
        if year is None:
            return rolled
        width = len(year.group(1))
        following = str(int(year.group(1)) + 1).zfill(width)[-width:]
        return rolled[: year.start(1)] + following + rolled[year.end(1) :]
    last = _LAST_NUMBER.search(name)
    if last is not None:
        return name[: last.start(1)] + str(int(last.group(1)) + 1) + name[last.end(1) :]
    return f"{name} (next)"


def months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def suggested_next(*, session: Session, team_id: str, now: datetime) -> tuple[str, date, date]:
    """A cycle an admin could add now that would be accepted: after the last one, as long."""
    listed = cycles.list_cycles(session=session, team_id=team_id)
    day = today(session=session, team_id=team_id, now=now)
    if listed:
        last = listed[-1]
        following = last.end + timedelta(days=1)
        start = max(following, day.replace(day=1))  # never all in the past
        months = max(1, round((last.end - last.start).days / 30.4))
        end = months_later(start, months) - timedelta(days=1)
        # "FY27 H1" counts on to "FY27 H2"; a name that says its months, or a cycle that does not
        # follow straight on, is named by its own dates.
        dated = start != following or _MONTH.search(last.name)
        name = _dated_name(start, end) if dated else _next_name(last.name)
        taken = {c.name.lower() for c in listed}
        while name.lower() in taken:
            name = f"{name} (next)"
        return name, start, max(end, start + timedelta(days=1))
    first = day.replace(day=1)
    end = months_later(first, 6) - timedelta(days=1)
    return _dated_name(first, end), first, end
