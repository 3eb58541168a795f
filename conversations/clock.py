"""Every rule about time: local dates, working days, "next Monday 09:00 here", ISO-week keys.

Instants are timezone-aware UTC datetimes; a person's time zone is an IANA name from Slack.
Local wall-clock times are turned into instants with zoneinfo, so daylight-saving changes are
handled by the tz database: a time that does not exist on a spring-forward day moves forward by
the gap (02:30 → 03:30), and a time that happens twice on a fall-back day is the first one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKING_DAYS = frozenset(range(5))  # Monday to Friday; configurable per workspace
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@lru_cache(maxsize=512)
def zone(tz: str | None) -> ZoneInfo:
    """The time zone named `tz`, or UTC when Slack gave none or one this machine does not know."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz))


def local_date(now: datetime, tz: str | None) -> date:
    """The date it is for someone in time zone `tz`."""
    return local_now(now, tz).date()


def parse_hhmm(text: str) -> time:
    """ "09:00" → 09:00; raises ValueError for anything else."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day: {text!r}")
    return time(int(hours), int(minutes))


def at_local(day: date, clock_time: time, tz: str | None) -> datetime:
    """The instant (UTC) when it is `clock_time` on `day` in `tz`.

    A wall time skipped by a spring-forward change is moved forward by the gap; an ambiguous one
    (fall back) is the earlier of the two."""
    # fold=0 reads a skipped time with the offset before the change, which lands it after the
    # gap (02:30 EST is 03:30 EDT), and picks the first of two repeated times.
    return datetime.combine(day, clock_time, tzinfo=zone(tz)).replace(fold=0).astimezone(UTC)


def next_weekday_at(
    now: datetime, tz: str | None, weekday: int, clock_time: time | str
) -> datetime:
    """The next `weekday` (0 = Monday) at `clock_time` in `tz`, strictly after `now`, as UTC."""
    when = parse_hhmm(clock_time) if isinstance(clock_time, str) else clock_time
    today = local_date(now, tz)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    candidate = at_local(day, when, tz)
    while candidate <= now:
        day += timedelta(days=7)
        candidate = at_local(day, when, tz)
    return candidate


def this_weeks(now: datetime, tz: str | None, weekday: int, clock_time: time | str) -> datetime:
    """`weekday` at `clock_time` in the local ISO week that contains `now` (past or future)."""
    when = parse_hhmm(clock_time) if isinstance(clock_time, str) else clock_time
    today = local_date(now, tz)
    return at_local(today + timedelta(days=weekday - today.weekday()), when, tz)


def is_working_day(day: date, working_days: frozenset[int] = WORKING_DAYS) -> bool:
    return day.weekday() in working_days


def add_working_days(day: date, count: int, working_days: frozenset[int] = WORKING_DAYS) -> date:
    """The working day `count` working days after `day` (which need not be one itself)."""
    if not working_days:
        return day + timedelta(days=count)
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() in working_days:
            count -= 1
    return day


def working_days_between(
    start: date, end: date, working_days: frozenset[int] = WORKING_DAYS
) -> int:
    """How many working days are after `start`, up to and including `end`."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * len(working_days)
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() in working_days:
            count += 1
    return count


def week_key(now: datetime, tz: str | None) -> str:
    """The local ISO week as a period key: "2027-W03" (the year is the ISO week's own)."""
    year, week, _ = local_date(now, tz).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(now: datetime, tz: str | None) -> date:
    """The Monday of the local ISO week that contains `now`."""
    today = local_date(now, tz)
    return today - timedelta(days=today.weekday())


def parse_working_days(text: str) -> frozenset[int]:
    """ "0,1,2,3,4" (as stored per workspace) → {0, 1, 2, 3, 4}."""
    days = {int(part) for part in text.split(",") if part.strip().isdigit()}
    return frozenset(d for d in days if 0 <= d <= 6)
