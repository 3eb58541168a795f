"""The clock module across daylight-saving changes, with time frozen by freezegun."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from freezegun import freeze_time

from conversations import clock

# (zone, the local date of a spring-forward, of a fall-back) — 2027
TRANSITIONS = [
    ("America/New_York", date(2027, 3, 14), date(2027, 11, 7)),
    ("America/Los_Angeles", date(2027, 3, 14), date(2027, 11, 7)),
    ("Europe/Berlin", date(2027, 3, 28), date(2027, 10, 31)),
    ("Australia/Sydney", date(2027, 10, 3), date(2027, 4, 4)),
]


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize(("tz", "spring", "fall"), TRANSITIONS)
def test_next_monday_nine_is_nine_local_on_both_sides_of_each_change(
    tz: str, spring: date, fall: date
) -> None:
    for change in (spring, fall):
        # From the Saturday before the change (a Sunday change), walking hour by hour to the
        # Tuesday after: the next Monday 09:00 is always a Monday, always 09:00 local.
        start = datetime.combine(change - timedelta(days=1), time(0), tzinfo=UTC)
        seen: set[datetime] = set()
        for hour in range(24 * 4):
            with freeze_time(start + timedelta(hours=hour)):
                due = clock.next_weekday_at(_now(), tz, 0, "09:00")
                local = due.astimezone(clock.zone(tz))
                assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
                assert due > _now()
                seen.add(due)
        assert len(seen) <= 2  # this Monday, then the next one after it has passed


@pytest.mark.parametrize(("tz", "spring", "fall"), TRANSITIONS)
def test_one_monday_a_week_through_a_whole_year(tz: str, spring: date, fall: date) -> None:
    with freeze_time(datetime(2027, 1, 1, tzinfo=UTC)):
        instant = _now()
        mondays = []
        for _ in range(53):
            instant = clock.next_weekday_at(instant, tz, 0, "09:00")
            mondays.append(instant)
    locals_ = [m.astimezone(clock.zone(tz)) for m in mondays]
    assert all((d.weekday(), d.hour) == (0, 9) for d in locals_)
    assert all((b.date() - a.date()).days == 7 for a, b in zip(locals_, locals_[1:], strict=False))
    # the UTC gap is a week give or take the hour the clocks moved
    gaps = {
        round((b - a).total_seconds() / 3600) for a, b in zip(mondays, mondays[1:], strict=False)
    }
    assert gaps <= {167, 168, 169}


def test_a_time_skipped_by_spring_forward_moves_forward_by_the_gap() -> None:
    instant = clock.at_local(date(2027, 3, 14), time(2, 30), "America/New_York")
    assert instant == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_a_time_that_happens_twice_on_fall_back_is_the_first() -> None:
    instant = clock.at_local(date(2027, 11, 7), time(1, 30), "America/New_York")
    assert instant == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Pacific/Kiritimati", date(2027, 3, 16)),  # UTC+14: already Tuesday
        ("Asia/Tokyo", date(2027, 3, 15)),
        ("Europe/Berlin", date(2027, 3, 15)),
        ("America/Los_Angeles", date(2027, 3, 15)),
        ("Pacific/Pago_Pago", date(2027, 3, 14)),  # UTC-11: still Sunday
        ("Not/AZone", date(2027, 3, 15)),  # unknown: UTC
        (None, date(2027, 3, 15)),
    ],
)
def test_local_date(tz: str | None, expected: date) -> None:
    with freeze_time("2027-03-15T10:30:00Z"):
        assert clock.local_date(_now(), tz) == expected


def test_week_keys_are_local_iso_weeks() -> None:
    with freeze_time("2027-01-04T02:00:00Z"):  # Monday 11:00 in Tokyo, Sunday 18:00 in LA
        assert clock.week_key(_now(), "Asia/Tokyo") == "2027-W01"
        assert clock.week_key(_now(), "America/Los_Angeles") == "2026-W53"
    with freeze_time("2027-01-01T12:00:00Z"):  # a Friday in ISO week 53 of 2026
        assert clock.week_key(_now(), "UTC") == "2026-W53"
        assert clock.week_start(_now(), "UTC") == date(2026, 12, 28)


def test_working_days() -> None:
    friday = date(2027, 3, 12)
    assert clock.is_working_day(friday) and not clock.is_working_day(friday + timedelta(days=1))
    assert clock.add_working_days(friday, 1) == date(2027, 3, 15)
    assert clock.add_working_days(friday, 3) == date(2027, 3, 17)
    assert clock.add_working_days(date(2027, 3, 13), 1) == date(2027, 3, 15)  # from a Saturday
    assert clock.working_days_between(friday, date(2027, 3, 17)) == 3
    assert clock.working_days_between(friday, friday) == 0
    sun_to_thu = frozenset({6, 0, 1, 2, 3})
    assert clock.add_working_days(date(2027, 3, 11), 1, sun_to_thu) == date(2027, 3, 14)
    assert clock.working_days_between(date(2027, 3, 1), date(2027, 3, 29)) == 20
    assert clock.parse_working_days("0,1,2,3,4") == clock.WORKING_DAYS


@pytest.mark.parametrize("bad", ["9", "9:0", "nine", "", "09:00:00"])
def test_times_of_day_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        clock.parse_hhmm(bad)
