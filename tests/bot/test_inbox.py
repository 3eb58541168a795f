"""The inbox (bot/inbox.py): a DM or click recorded before its ack is done from its row, once;
one left waiting (its process died after the ack) is done at start-up, or, if the person's
conversation moved on meanwhile, they are asked to send it again."""

from __future__ import annotations

import json
from datetime import timedelta

from bot import inbox
from storage import inbox as stored
from storage.db import transaction
from storage.models import InboxStatus
from tests.bot.conftest import Walk, publish_top
from tests.bot.test_edge import after_everything_bob_sent
from tests.conftest import BOB, OWNER, Running
from tests.faults.cascade import wait


def rows(running: Running) -> list[tuple[str, str]]:
    with transaction(running.engine) as s:
        found = stored.list_messages(session=s, team_id=running.fake.team_id)
    return [(r.delivery, str(r.status)) for r in found]


def test_a_retried_dm_is_recorded_once_and_done_once(running: Running) -> None:
    event = running.slack.payloads.dm_event(BOB, "hi")
    body = running.slack.event_body(event, event_id="EvINBOX1")
    for retry in (None, "1"):
        headers = {"X-Slack-Retry-Num": retry} if retry else {}
        assert running.slack.post(body, "application/json", headers=headers).status == 200
    assert wait(lambda: rows(running) == [("e:EvINBOX1", InboxStatus.APPLIED)], 10)
    after_everything_bob_sent(running.slack, running.fake)
    assert len(running.fake.replies_for(BOB)) == 1 + 1  # "hi" once, and the marker's answer


def left_waiting(w: Walk, user: str, text: str) -> None:
    """A DM recorded and acked by a process that died before doing it."""
    body = json.loads(w.r.slack.event_body(w.r.slack.payloads.dm_event(user, text)))
    inbox.record(
        w.r.services,
        team_id=w.r.fake.team_id,
        user_id=user,
        kind=inbox.MESSAGE,
        delivery=f"e:{body['event_id']}",
        body={**body, "cascade_bot_user_id": w.r.fake.bot_user_id},
        said=text,
    )


def test_an_answer_left_waiting_is_done_at_start_up(walk: Walk) -> None:
    w = walk
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    left_waiting(w, OWNER, "Grow revenue 20% in FY27")
    w._mark(OWNER)
    assert inbox.recover(w.r.services, w.r.services.sender.client) == 1
    w.expect(OWNER, "Noted: Grow revenue 20% in FY27")
    assert [status for _, status in rows(w.r)] == [InboxStatus.APPLIED]


def test_an_answer_its_conversation_overtook_is_asked_for_again(walk: Walk) -> None:
    w = walk
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    left_waiting(w, OWNER, "Grow revenue 20% in FY27")
    with transaction(w.r.engine) as s:  # received a moment before `/goals plan` moved it on
        [row] = stored.list_messages(session=s, team_id=w.r.fake.team_id)
        row.received_at -= timedelta(seconds=5)
    w.command(OWNER, "plan")  # resumes: the conversation changed after the answer came
    w.expect(OWNER, "Type an objective")
    w._mark(OWNER)
    assert inbox.recover(w.r.services, w.r.services.sender.client) == 1
    w.expect(OWNER, "I lost your answer to my last question (“Grow revenue 20% in FY27”)")
    assert [status for _, status in rows(w.r)] == [InboxStatus.LOST]
    w.dm(OWNER, "Grow revenue 20% in FY27")  # sent again, it is taken
    w.expect(OWNER, "Noted: Grow revenue 20% in FY27")


def test_answers_are_done_in_the_order_received_whoever_does_them(walk: Walk) -> None:
    """Two answers recorded by a dead process, then a third to this one: all three in order."""
    w = walk
    w.command(OWNER, "plan")
    w.expect(OWNER, "Type an objective")
    left_waiting(w, OWNER, "Grow revenue 20% in FY27")
    left_waiting(w, OWNER, "Delight our customers")
    w.dm(OWNER, "done")
    w.expect(OWNER, "Acme's objectives for FY27 H1")
    texts = [m.text for m in w.r.fake.replies_for(OWNER)]
    noted = [i for i, t in enumerate(texts) if t.startswith(":heavy_plus_sign: Noted")]
    assert len(noted) == 2 and "Grow revenue" in texts[noted[0]]
    assert [status for _, status in rows(w.r)] == [InboxStatus.APPLIED] * 3


def test_publish_top_still_works_through_the_inbox(walk: Walk) -> None:
    publish_top(walk)
    assert {status for _, status in rows(walk.r)} == {InboxStatus.APPLIED}
