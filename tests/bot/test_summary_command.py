"""`/goals summary` and `/goals settings summary` end to end, through signed requests; and the
weekly post delivered to the fake Slack: the message, then its chart, in the channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.sandbox.fake_slack import MESSAGE_BLOCK_LIMIT, Message, validate_blocks
from bot.slack import make_client
from bot.summary_post import ChartUpload, channel_for, weekly_messages
from storage import workspaces
from storage.db import transaction
from tests.bot.conftest import Walk, interview, publish_sales, publish_top
from tests.conftest import ADMIN, ALICE, BOB, CAROL, DAVE, OWNER

TEAM = "T0CASCADE"


def words(message: Message) -> str:
    """Everything a message says: its text and its blocks' text."""
    texts = [message.text]
    for block in message.blocks:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    return "\n".join(texts)


def summary_of(walk: Walk, user: str, text: str = "summary") -> Message:
    walk.command(user, text)
    message = walk.expect(user, "summary")
    assert message.ephemeral_to == user
    validate_blocks(message.blocks, MESSAGE_BLOCK_LIMIT)
    return message


def test_an_admin_sees_the_whole_organisation(walk: Walk) -> None:
    publish_top(walk)
    publish_sales(walk)
    interview(walk)
    said = words(summary_of(walk, ADMIN))
    assert "Leadership summary · Acme · FY27 H1" in said
    assert "only you can see this" in said
    assert "*Acme*" in said and "*Sales*" in said
    # Sales: Bob and Carol, nobody aligned yet (Bob's goal is only a draft); Acme: Alice.
    assert "0/2 aligned" in said and "0/1 aligned" in said
    assert "Improve onboarding" not in said  # counts only: no goal text
    assert "No weekly summary to compare with yet" in said
    one = words(summary_of(walk, ADMIN, 'summary "sales"'))
    assert "Leadership summary · Sales" in one and "*Acme*" not in one


def test_a_manager_sees_their_own_subtree_and_nothing_else(walk: Walk) -> None:
    said = words(summary_of(walk, ALICE))
    assert "Leadership summary · Sales" in said and "Acme" not in said
    walk.command(ALICE, 'summary "Acme"')
    refused = walk.expect(ALICE, "isn't part of what you run")
    assert "*Sales*" in refused.text and '`/goals summary "Sales"`' in refused.text


def test_anyone_else_is_told_politely_who_can_see_it(walk: Walk) -> None:
    walk.command(BOB, "summary")
    refused = walk.expect(BOB, "The leadership summary is for managers")
    assert f"<@{ALICE}> runs *Sales*" in refused.text and f"<@{ADMIN}>" in refused.text
    assert "The right form" not in refused.text, "a refusal of who may, not a typo"
    walk.command(DAVE, "summary")  # in no unit: only the admins can help
    refused = walk.expect(DAVE, "The leadership summary is for managers")
    assert f"<@{ADMIN}>" in refused.text and "runs" not in refused.text


def test_help_tells_admins_and_managers_about_the_summary(walk: Walk) -> None:
    walk.command(ADMIN, "help")
    assert "`/goals settings summary #leadership`" in walk.expect(ADMIN, "What you can do").text
    walk.command(ALICE, "help")
    assert "How *Sales* and the units below it are doing" in walk.expect(ALICE, "What you").text
    walk.command(CAROL, "help")
    assert "/goals summary" not in walk.expect(CAROL, "What you can do").text


def test_an_admin_chooses_the_channel(walk: Walk) -> None:
    walk.command(ADMIN, "settings summary")
    assert "has no channel yet" in walk.expect(ADMIN, "leadership summary").text
    walk.r.fake.add_channel("C0LEAD", "leadership")
    walk.command(ADMIN, "settings summary #leadership")  # Slack sends <#C0LEAD|leadership>
    said = walk.expect(ADMIN, "will go to").text
    # Monday 08:00 in the head of the organisation's zone (Olga's: Berlin).
    assert "<#C0LEAD>" in said and "every Monday at 08:00 (Europe/Berlin)" in said
    with transaction(walk.r.engine) as s:
        assert workspaces.get_workspace(session=s, team_id=TEAM).summary_channel == "C0LEAD"
        assert channel_for(session=s, team_id=TEAM, settings=walk.r.services.settings) == "C0LEAD"
    walk.command(ADMIN, "settings summary")
    assert "goes to <#C0LEAD>" in walk.expect(ADMIN, "leadership summary").text
    walk.command(ALICE, "settings summary <#C0MINE|mine>")
    walk.expect(ALICE, "Only a Cascade admin can do that")
    walk.command(ADMIN, "settings summary #nowhere")  # no such channel: Slack sends it as typed
    refused = walk.expect(ADMIN, "isn't a channel")
    assert "`/goals settings summary #leadership`" in refused.text
    with transaction(walk.r.engine) as s:
        assert workspaces.get_workspace(session=s, team_id=TEAM).summary_channel == "C0LEAD"


def test_the_weekly_post_and_its_chart_reach_the_channel(walk: Walk) -> None:
    publish_top(walk)
    fake = walk.r.fake
    monday = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    with transaction(walk.r.engine) as s:
        [post] = weekly_messages(session=s, team_id=TEAM, now=monday, channel="C0LEAD")
    assert post.period == "2027-W09" and post.chart.channel == "C0LEAD"
    # What the outbox would keep is JSON, and gives back the same upload.
    payload = json.loads(json.dumps(post.chart.as_payload()))
    assert ChartUpload.from_payload(payload) == post.chart
    client = make_client(walk.r.services.settings)
    client.files_upload_v2(**post.chart.upload_kwargs())
    [message] = [m for m in fake.messages if m.channel == "C0LEAD"]  # one message: words, chart
    said = message.text
    assert "Weekly leadership summary · Acme · FY27 H1" in said
    assert "Checked in last week" in said and "not planned" in said
    assert "Grow revenue" not in said  # an objective's title never reaches the channel
    [file_id] = message.files
    uploaded = fake.files[file_id]
    assert uploaded.complete and uploaded.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert uploaded.filename == "leadership-summary-2027-W09.png"
    assert uploaded.title.startswith("Alignment, check-ins and confidence by unit · Acme")
    assert "% of" in post.chart.alt_text and "aligned" in post.chart.alt_text
    # Next week's says what changed; taking this week's again compares with the same week.
    with transaction(walk.r.engine) as s:
        [again] = weekly_messages(session=s, team_id=TEAM, now=monday, channel="C0LEAD")
        [later] = weekly_messages(
            session=s, team_id=TEAM, now=datetime(2027, 3, 8, 7, tzinfo=UTC), channel="C0LEAD"
        )
    assert "No weekly summary to compare with yet" in again.chart.initial_comment
    assert "Since the summary of Mon 1 Mar 2027" in later.chart.initial_comment
    assert OWNER  # the head of the organisation: Berlin, so Monday 08:00 there


def test_the_tick_posts_the_weekly_summary_once_at_monday_eight(walk: Walk) -> None:
    """The scheduler's tick owes the summary and its chart to the channel an admin chose, at
    Monday 08:00 in the head of the organisation's zone (Olga's: Berlin), exactly once."""
    from bot.tick import run_tick

    publish_top(walk)
    fake = walk.r.fake
    fake.add_channel("C0LEAD", "leadership")
    walk.command(ADMIN, "settings summary #leadership")
    walk.expect(ADMIN, "will go to")
    sunday = datetime(2027, 2, 28, 22, 0, tzinfo=UTC)
    monday_eight = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
    for at in (sunday, monday_eight, monday_eight, monday_eight.replace(hour=10)):
        run_tick(walk.r.services, at)
    in_channel = [m for m in fake.messages if m.channel == "C0LEAD"]
    [message] = in_channel  # the summary and its chart, one message, once
    assert "Weekly leadership summary" in message.text
    [file_id] = message.files
    assert fake.files[file_id].content[:4] == b"\x89PNG"
    run_tick(walk.r.services, datetime(2027, 3, 1, 20, 0, tzinfo=UTC))  # stale: 13 h late
    assert len([m for m in fake.messages if m.channel == "C0LEAD"]) == 1
