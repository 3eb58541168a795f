"""The tick reads only what its rules may act on at an instant (storage/in_play.py): the people
whose check-in setting is due now, worked out once per setting, and those another rule names.
Here the rules find exactly the same over that narrowed snapshot as over the whole workspace, at
instants every 2 h 15 (each quarter hour in turn) across three daylight-saving changes, with
half- and quarter-hour zones, a zone 14 hours ahead and one 11 behind, an unknown zone, settings
of their own (a Sunday time the clocks skip, one they repeat, a Saturday moved to Sunday),
pauses that end inside the spans, a working week with Sunday in it and a cycle ending mid-span;
and in a second workspace with a Monday-to-Friday week, one of the same Slack user ids and a
Saturday check-in that no working day follows (never due)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import col

from conversations import clock
from conversations.actor import Actor
from conversations.flows import goal_interview
from conversations.schedule.due import _used_this_week
from conversations.schedule.escalations import escalations
from conversations.schedule.nudges import Candidate, candidates
from conversations.schedule.world import CHECKIN, World, read_world
from conversations.services import barrier
from storage import checkins, commitments, conversations, cycles, goals, one_on_ones, outbox
from storage import people as people_repo
from storage.db import rehearsal, transaction
from storage.models import Confidence, GoalStatus, OutboxMessage, OutboxStatus, Person, Workspace
from tests.factories import ObjectiveSpec, UnitSpec, build_org, profile

TEAM = "T1"
ADMINS = frozenset({"UADMIN"})
ZONES = {
    "UHEAD": "Pacific/Kiritimati",  # +14
    "UMGR1": "America/St_Johns",  # -3:30, daylight saving
    "UMGR2": "Australia/Lord_Howe",  # +10:30, a half-hour change
    "UADMIN": "Europe/London",
    "UOWNER": "Europe/Berlin",
    "UKOL": "Asia/Kolkata",  # +5:30
    "UKTM": "Asia/Kathmandu",  # +5:45
    "UADL": "Australia/Adelaide",  # +9:30 / +10:30
    "UNYC": "America/New_York",  # Sunday 02:30: skipped on 14 March 2027
    "UNY2": "America/New_York",  # Sunday 01:30: twice on 1 November 2026
    "ULON": "Europe/London",  # Saturday 10:00, moved to Sunday
    "UCHT": "Pacific/Chatham",  # +12:45
    "UPAGO": "Pacific/Pago_Pago",  # -11
    "UMARS": "Mars/Olympus",  # unknown: UTC
    "UPAUSE": "Europe/Berlin",  # paused until 15 March 2027
    "UPAU2": "Asia/Tokyo",  # paused until 2 November 2026
    "UTUE": "Asia/Tokyo",  # Tuesdays 08:15
    "UFRI": "America/Los_Angeles",  # Fridays 17:45
    "UNOGOAL": "Europe/Berlin",
    "UDRAFT": "Asia/Kolkata",  # a draft goal only
    "UPROP": "America/Sao_Paulo",  # a goal proposed long ago
    "UTALK": "Asia/Kolkata",  # mid-interview
    "USDR": "Europe/London",  # a draft goal only, in a unit that published
    "ULAB": "Africa/Nairobi",  # in a unit with no manager: admins agree
    "UDEL": "Asia/Tokyo",  # left
    "UBOT": "UTC",  # a bot
}
SETTINGS = {
    "UNYC": (6, "02:30"),
    "UNY2": (6, "01:30"),
    "ULON": (5, "10:00"),
    "UTUE": (1, "08:15"),
    "UFRI": (4, "17:45"),
    "UCHT": (None, "08:45"),
}
SALES = ("UKOL", "UKTM", "UADL", "UNYC", "UNY2", "ULON", "UCHT", "UPAGO", "UMARS", "UTALK", "USDR")
OPS = ("UPAUSE", "UPAU2", "UTUE", "UFRI", "UNOGOAL", "UDRAFT", "UPROP", "UDEL", "UBOT")
ASKED = ("UKOL", "UKTM", "UADL", "UNYC", "ULON", "UCHT", "UPAGO", "UMARS", "UTUE")
OTHER = "T2"
OTHER_ZONES = {
    "UBOSS": "Europe/Paris",
    "UKOL": "Asia/Kolkata",
    "USAT": "Europe/Paris",  # Saturdays, in a Monday-to-Friday week
    "UTEH": "Asia/Tehran",  # +3:30, no daylight saving since 2022
}
SPANS = [  # Saturday to Tuesday noon (UTC), around a change of clocks
    datetime(2026, 10, 31, tzinfo=UTC),  # New York falls back on Sunday 1 November
    datetime(2027, 3, 13, tzinfo=UTC),  # New York springs forward on Sunday 14 March
    datetime(2027, 4, 3, tzinfo=UTC),  # Adelaide and Lord Howe fall back on 4 April
]
SPAN = timedelta(days=3, hours=12)
STEP = timedelta(minutes=135)


def _org(engine: Engine) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=TEAM,
            profiles=[
                profile(
                    u,
                    u.title(),
                    tz=tz,
                    deleted=u == "UDEL",
                    is_bot=u == "UBOT",
                    is_admin=u == "UOWNER",
                )
                for u, tz in ZONES.items()
            ],
            units_=[
                UnitSpec("Acme", "UHEAD"),
                UnitSpec("Sales", "UMGR1", "Acme", SALES),
                UnitSpec("Ops", "UMGR2", "Acme", OPS),
                UnitSpec("Lab", None, "Acme", ("ULAB",)),
            ],
            cycle=("FY27 H1", date(2026, 9, 1), date(2027, 3, 14)),
            objectives_=[ObjectiveSpec("Acme", "Grow"), ObjectiveSpec("Sales", "Sell", "Grow")],
            now=start,
            synced=True,
        )
        cycles.add_cycle(
            session=s, team_id=TEAM, name="FY27 H2", start=date(2027, 3, 15), end=date(2027, 9, 30)
        )
        assert org.cycle is not None and org.cycle.id is not None
        s.execute(
            update(Workspace)
            .where(col(Workspace.team_id) == TEAM)
            .values(working_days="0,1,2,3,4,6")
        )
        for user, (weekday, when) in SETTINGS.items():
            s.execute(
                update(Person)
                .where(col(Person.team_id) == TEAM, col(Person.user_id) == user)
                .values(checkin_weekday=weekday, checkin_time=when)
            )
        for user, until in (("UPAUSE", date(2027, 3, 15)), ("UPAU2", date(2026, 11, 2))):
            person = people_repo.get_person(session=s, team_id=TEAM, user_id=user)
            assert person is not None
            people_repo.set_paused_until(session=s, person=person, until=until)
        ids, cycle_id = org.ids, org.cycle.id
        unit_of = {u: org.units["Sales"].id for u in SALES} | {u: org.units["Ops"].id for u in OPS}
        unit_of |= {"ULAB": org.units["Lab"].id, "UMGR1": org.units["Acme"].id}
        unit_of |= {"UMGR2": org.units["Acme"].id}
        made: dict[str, int] = {}
        for user, status, due in [
            *(
                (u, GoalStatus.AGREED, date(2027, 6, 30))
                for u in SALES
                if u not in ("UTALK", "USDR")
            ),
            ("USDR", GoalStatus.DRAFT, None),
            ("UKTM", GoalStatus.AGREED, date(2026, 10, 31)),  # past due in span 1, far east first
            ("UPAGO", GoalStatus.AGREED, date(2027, 3, 13)),
            *((u, GoalStatus.AGREED, None) for u in ("UPAUSE", "UPAU2", "UTUE", "UFRI", "UDEL")),
            ("UMGR1", GoalStatus.AGREED, date(2027, 4, 3)),
            ("UDRAFT", GoalStatus.DRAFT, None),
            ("UKOL", GoalStatus.DRAFT, None),
            ("UPROP", GoalStatus.PROPOSED, None),
            ("ULAB", GoalStatus.PROPOSED, None),
        ]:
            goal = goals.create_goal(
                session=s,
                team_id=TEAM,
                owner_id=ids[user],
                unit_id=unit_of[user] or 0,
                cycle_id=cycle_id,
                objective_id=None,
                statement=f"{user}'s goal",
                now=start,
            )
            goals.update_goal(session=s, goal=goal, now=start, status=status, due=due)
            made.setdefault(user, goal.id or 0)
        commitments.add_commitment(
            session=s,
            team_id=TEAM,
            goal_id=made["UKOL"],
            manager_id=ids["UMGR1"],
            text="Intro to the buyer",
            due=None,
            now=start,
        )
        one_on_ones.set_schedule(
            session=s,
            team_id=TEAM,
            manager_id=ids["UMGR2"],
            report_id=ids["UTUE"],
            weekday=0,
            time="10:00",
            now=start,
        )
        _history(s, ids, made)
    _talk_and_barriers(engine)


def _second_workspace(engine: Engine) -> None:
    """Another workspace, Monday to Friday, with one of the same Slack user ids (UKOL, also sent
    check-ins) and a Saturday check-in that no working day follows that week: never due."""
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with transaction(engine) as s:
        org = build_org(
            s,
            team_id=OTHER,
            profiles=[profile(u, u.title(), tz=tz) for u, tz in OTHER_ZONES.items()],
            units_=[UnitSpec("Beta", "UBOSS", None, tuple(u for u in OTHER_ZONES if u != "UBOSS"))],
            cycle=("FY27", date(2026, 9, 1), date(2027, 8, 31)),
            objectives_=[ObjectiveSpec("Beta", "Ship")],
            now=start,
            synced=True,
        )
        assert org.cycle is not None and org.cycle.id is not None
        s.execute(
            update(Person)
            .where(col(Person.team_id) == OTHER, col(Person.user_id) == "USAT")
            .values(checkin_weekday=5)
        )
        made: dict[str, int] = {}
        for user in ("UKOL", "USAT", "UTEH"):
            goal = goals.create_goal(
                session=s,
                team_id=OTHER,
                owner_id=org.ids[user],
                unit_id=org.units["Beta"].id or 0,
                cycle_id=org.cycle.id,
                objective_id=None,
                statement=f"{user}'s goal",
                now=start,
            )
            goals.update_goal(session=s, goal=goal, now=start, status=GoalStatus.AGREED)
            made[user] = goal.id or 0
        _history(s, org.ids, made, team_id=OTHER, users=("UKOL", "UTEH"), seed=5)


def _history(
    s: Any,
    ids: dict[str, int],
    made: dict[str, int],
    *,
    team_id: str = TEAM,
    users: tuple[str, ...] = ASKED,
    seed: int = 23,
) -> None:
    """Check-ins sent at each person's Monday 09:00 and, often, answered: some missed twice in a
    row, some this week still open (a reminder due)."""
    rng = random.Random(seed)
    done: set[tuple[str, str]] = set()
    for span in SPANS:
        for weeks_back in range(-1, 3):  # the Monday in the span, and the three before
            monday = clock.week_start(span - timedelta(weeks=weeks_back), "UTC")
            for user in users:
                tz = (ZONES if team_id == TEAM else OTHER_ZONES)[user]
                at = clock.at_local(monday, clock.parse_hhmm("09:00"), tz)
                week = clock.week_key(at, tz)
                if (user, week) in done:
                    continue
                done.add((user, week))
                if rng.random() < 0.8:
                    s.add(
                        OutboxMessage(
                            team_id=team_id,
                            kind=CHECKIN,
                            recipient=user,
                            subject=user,
                            period_key=week,
                            payload={},
                            status=OutboxStatus.SENT,
                            created_at=at,
                            next_attempt_at=at,
                            sent_at=at,
                        )
                    )
                if rng.random() < 0.4:
                    checkins.record_checkin(
                        session=s,
                        team_id=team_id,
                        goal_id=made[user],
                        person_id=ids[user],
                        progress=50,
                        confidence=Confidence.ON_TRACK,
                        at=at + timedelta(hours=2),
                        week=week,
                    )
    s.flush()


def _talk_and_barriers(engine: Engine) -> None:
    with transaction(engine) as s:
        talker = people_repo.get_person(session=s, team_id=TEAM, user_id="UTALK")
        assert talker is not None and talker.id is not None
        for span in SPANS:
            conversations.start_conversation(
                session=s,
                team_id=TEAM,
                person_id=talker.id,
                flow=goal_interview.FLOW,
                step="statement",
                answers={},
                now=span - timedelta(days=2, hours=3),
            )
    for user, days in (("UKOL", 10), ("UTUE", 1), ("UADL", 4)):
        with transaction(engine) as s:
            person = people_repo.get_person(session=s, team_id=TEAM, user_id=user)
            assert person is not None
            actor = Actor(team_id=TEAM, person=person, is_admin=False)
            barrier.report(
                session=s, actor=actor, text="blocked", now=SPANS[0] - timedelta(days=days)
            )


def _plain(found: list[Candidate]) -> list[str]:
    def value(v: Any) -> Any:
        if isinstance(v, list | tuple):
            return [value(x) for x in v]
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if hasattr(v, "user_id") and hasattr(v, "tz"):
            return f"person:{v.user_id}"
        if hasattr(v, "statement") and hasattr(v, "owner_id"):
            return f"goal:{v.id}:{v.status}:{v.progress}"
        return v

    lines = []
    for c in found:
        context = {k: value(v) for k, v in sorted(c.context.items()) if k != "owners"}
        if "owners" in c.context:  # everyone in play: whom the message names must be there
            named = {g.owner_id for g in c.context.get("goals", ())}
            named |= {g.owner_id for _, g in c.context.get("promises", ())}
            context["owners"] = {i: value(c.context["owners"].get(i)) for i in sorted(named)}
        lines.append(f"{c.kind} {c.person.user_id} {c.key} {context} {c.choices} {c.also}")
    return lines


def _found(world: World, owed: list[tuple[str, datetime]]) -> list[str]:
    found = candidates(world)
    moved = [
        f"escalate {e.barrier.id} {e.holder.user_id}→{e.above.user_id} by {e.reporter.user_id}"
        for e in escalations(world)
    ]
    used = _used_this_week(world, owed)
    return [
        *moved,
        *_plain(found),
        f"used {sorted((c.person.user_id, used[c.person.user_id]) for c in found)}",
    ]


def test_the_rules_find_the_same_in_what_is_in_play_as_in_the_whole_workspace(
    engine: Engine,
) -> None:
    _org(engine)
    _second_workspace(engine)
    kinds: Counter[str] = Counter()
    read: list[int] = []
    with transaction(engine) as s:
        sent = {
            team_id: {
                (subject, period)
                for subject, period in s.execute(
                    select(col(OutboxMessage.subject), col(OutboxMessage.period_key)).where(
                        col(OutboxMessage.team_id) == team_id, col(OutboxMessage.kind) == CHECKIN
                    )
                )
            }
            for team_id in (TEAM, OTHER)
        }
    for span in SPANS:
        at = span
        while at < span + SPAN:
            with rehearsal(engine) as s:
                for team_id in (TEAM, OTHER):
                    owed = outbox.owed_since(
                        session=s, team_id=team_id, kinds=(CHECKIN,), since=at - timedelta(days=8)
                    )
                    whole = read_world(
                        session=s, team_id=team_id, now=at, admin_ids=ADMINS, whole=True
                    )
                    narrowed = read_world(session=s, team_id=team_id, now=at, admin_ids=ADMINS)
                    assert _found(narrowed, owed) == _found(whole, owed), (team_id, at)
                    assert set(whole.checkins_sent) <= sent[team_id]  # its own workspace's
                    kinds.update(f"{team_id} {c.kind}" for c in candidates(narrowed))
                    if team_id == TEAM:
                        read.append(len(narrowed.people))
                    assert "USAT" not in {c.person.user_id for c in candidates(narrowed)}
            at += STEP
    assert set(kinds) >= {
        *(
            f"{TEAM} {kind}"
            for kind in (
                "checkin",
                "checkin_reminder",
                "confidence_alert",
                "close_goal",
                "agreement_reminder",
                "set_goals_reminder",
                "interview_reminder",
                "one_on_one_agenda",
            )
        ),
        f"{OTHER} checkin",
        f"{OTHER} checkin_reminder",
    }, kinds
    assert min(read) < len(ZONES) - 2  # it did leave people out
