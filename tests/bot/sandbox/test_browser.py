"""The sandbox page in a real browser: Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fake_slack import Message, validate_blocks
from bot.sandbox.run import Sandbox, start_sandbox
from storage import cycles

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[3] / "test-artifacts" / "sandbox"
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def become(page: Any, sandbox: Sandbox, user: str) -> None:
    page.goto(sandbox.url)
    page.wait_for_selector(f"#who option[value='{user}']", state="attached")
    page.select_option("#who", user)


def send(page: Any, text: str) -> None:
    page.fill("[data-testid=composer]", text)
    page.press("[data-testid=composer]", "Enter")


def test_the_walk(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    send(page, "/goals help")
    reply = page.locator(".message.ephemeral").last
    reply.wait_for()
    assert "What you can do next" in reply.inner_text()
    assert "Only visible to you" in reply.inner_text()
    shot(page, "walk-1-help")

    reply.get_by_role("button", name="New cycle").click()
    page.locator("[data-testid=modal] .modal").wait_for()
    shot(page, "walk-2-modal")
    page.fill(".block-input[data-block-id=name] input", "FY27 H1")
    page.fill(".block-input[data-block-id=start] input", "2027-06-30")
    page.fill(".block-input[data-block-id=end] input", "2027-01-01")
    page.click("[data-testid=modal-submit]")
    error = page.locator(".block-input[data-block-id=end] .field-error")
    page.wait_for_function(
        "() => document.querySelector('.block-input[data-block-id=end] .field-error')"
        ".textContent.length > 0"
    )
    assert "on or before it starts" in error.inner_text()
    shot(page, "walk-3-field-error")

    page.fill(".block-input[data-block-id=start] input", "2027-01-01")
    page.fill(".block-input[data-block-id=end] input", "2027-06-30")
    page.click("[data-testid=modal-submit]")
    page.locator("[data-testid=modal]").wait_for(state="hidden")
    page.get_by_text("(Fri 1 Jan 2027 – Wed 30 Jun 2027)").wait_for()
    shot(page, "walk-4-created")

    page.click("[data-testid=nav-home]")
    page.get_by_text("Welcome to Cascade").wait_for()
    assert "FY27 H1" in page.inner_text("[data-testid=pane]")
    shot(page, "walk-5-home")
    assert page.dialogs == []


def test_user_text_renders_as_text_never_as_markup(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> *Ops* & co"
    send(page, f'/goals unit add "{hostile[:70]}" manager:<@UVISITOR>')
    page.get_by_text("created").wait_for()
    pane = page.locator("[data-testid=pane]")
    assert "<script>alert(1)</script>" in pane.inner_text()
    assert page.locator("[data-testid=pane] script").count() == 0
    assert page.locator("[data-testid=pane] img").count() == 0
    time.sleep(0.2)
    assert page.dialogs == []
    shot(page, "escaped-markup")


def test_mrkdwn_formatting_mentions_and_emoji(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    page.wait_for_selector("#who option[value='UVISITOR']", state="attached")
    html = page.evaluate(
        """() => mrkdwnToHtml(
             "*bold* _it_ ~gone~ `code &lt;x&gt;` <@UVISITOR> :tada: :no_such: "
             + "<https://example.com|a link> <javascript:alert(1)|bad> &amp;",
             (id) => id === "UVISITOR" ? "You" : "")"""
    )
    assert "<b>bold</b>" in html and "<i>it</i>" in html and "<s>gone</s>" in html
    assert "<code>code &lt;x&gt;</code>" in html
    assert '<span class="mention">@You</span>' in html
    assert "🎉" in html and ":no_such:" in html
    assert '<a href="https://example.com"' in html
    assert 'href="javascript' not in html and "&lt;javascript:alert(1)|bad&gt;" in html
    assert "&amp;" in html


def _usable(browser: Any) -> float:
    """Seconds from starting the sandbox to its page listing who one can be."""
    started = time.monotonic()
    running = start_sandbox(port=0, demo=True)
    page = browser.new_page()
    try:
        page.goto(running.url)
        page.wait_for_selector("#who option[value='UADA']", state="attached")
        return time.monotonic() - started
    finally:
        page.close()
        running.stop()


def test_page_speed(browser: Any) -> None:
    # The best of three, as for the round trips below: on a 2-core machine running the suite in
    # four workers, one start can wait a second for the CPU (seen: 2.2 s; alone, 0.75 s).
    usable = min(_usable(browser) for _ in range(3))
    running = start_sandbox(port=0, demo=True)
    page = browser.new_page()
    try:
        page.goto(running.url)
        page.wait_for_selector("#who option[value='UADA']", state="attached")
        page.select_option("#who", "UADA")
        page.locator(".empty").wait_for()
        timings = []
        for attempt in range(3):
            before = page.locator(".message.from-bot").count()
            sent = time.monotonic()
            send(page, f"hello {attempt}")
            page.wait_for_function(
                f"() => document.querySelectorAll('.message.from-bot').length > {before}"
            )
            timings.append(time.monotonic() - sent)
        print(f"page usable {usable:.3f}s after start; DM round trips {timings}")
        # Alone 0.6-0.75 s; in the suite's four workers on 2 cores the best of three was 1.1-2.2 s.
        assert usable < 2.5, usable
        assert min(timings) < 0.5, timings
    finally:
        page.close()
        running.stop()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(port=0, visitor_tz=os.environ.get("TZ", "UTC"))
    yield running
    running.stop()


KITCHEN_SINK = [
    {"type": "header", "text": {"type": "plain_text", "text": "All the blocks"}},
    {
        "type": "section",
        "block_id": "s1",
        "text": {"type": "mrkdwn", "text": "*Section* with fields"},
        "fields": [
            {"type": "mrkdwn", "text": "*Owner*\nAda"},
            {"type": "plain_text", "text": "Due soon"},
        ],
        "accessory": {
            "type": "overflow",
            "action_id": "more",
            "options": [
                {"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"},
                {"text": {"type": "plain_text", "text": "Drop"}, "value": "drop"},
            ],
        },
    },
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "_context_ line"}]},
    {
        "type": "actions",
        "block_id": "a1",
        "elements": [
            {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": {"type": "plain_text", "text": "Pick one"},
                "options": [
                    {"text": {"type": "plain_text", "text": "On track"}, "value": "on_track"},
                    {"text": {"type": "plain_text", "text": "At risk"}, "value": "at_risk"},
                ],
            },
            {
                "type": "button",
                "action_id": "go",
                "text": {"type": "plain_text", "text": "Go"},
                "style": "primary",
                "value": "1",
            },
        ],
    },
]


def test_every_block_renders_and_selects_send_block_actions(page: Any, sandbox: Sandbox) -> None:
    validate_blocks(KITCHEN_SINK, 50)
    fake = sandbox.page.fake
    with fake.lock:
        fake.messages.append(
            Message(
                fake.dm_channel("UVISITOR"), fake.bot_user_id, "blocks", KITCHEN_SINK, "1.000001"
            )
        )
    fake.changed()
    become(page, sandbox, "UVISITOR")
    page.get_by_text("All the blocks").wait_for()
    pane = page.locator("[data-testid=pane]")
    for text in ("Section", "Owner", "Due soon", "context", "Go"):
        assert text in pane.inner_text()
    assert page.locator(".block-divider hr").count() == 1
    # The app answers each real block_actions (no flow owns these: the polite fallback). Each
    # answer re-renders the pane, so wait for it before the next click.
    answers = "() => document.querySelectorAll('.message.ephemeral').length >= {}"
    page.select_option("select[data-action-id=pick]", "at_risk")
    page.wait_for_function(answers.format(1))
    page.click("button[data-action-id=more]")
    page.click(".overflow-item >> text=Drop")
    page.wait_for_function(answers.format(2))
    page.click("button[data-action-id=go]")
    page.wait_for_function(answers.format(3))
    shot(page, "kitchen-sink")


def test_leadership_channel_shows_posts_and_images(page: Any, sandbox: Sandbox) -> None:
    from slack_sdk import WebClient

    client = WebClient(token=sandbox.page.fake.bot_token, base_url=sandbox.url + "/api/")
    client.chat_postMessage(channel="CLEADERSHIP", text="*Weekly summary*: 3 of 4 units aligned")
    png = (Path(__file__).parent / "pixel.png").read_bytes()
    client.files_upload_v2(channel="CLEADERSHIP", content=png, filename="chart.png", title="Chart")
    become(page, sandbox, "UVISITOR")
    page.click("[data-testid=nav-channel]")
    page.get_by_text("3 of 4 units aligned").wait_for()
    image = page.locator("img.upload")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('img.upload').naturalWidth > 0")
    shot(page, "leadership-channel")


def test_the_clock_control(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    before = page.inner_text("[data-testid=now]")
    assert "runs the scheduler" in page.inner_text("[data-testid=clock]")
    page.fill("#hours", "48")
    page.click("[data-testid=advance-hours]")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=now]').textContent !== {before!r}"
    )
    page.click("[data-testid=next-monday]")
    page.wait_for_function(
        "() => /^Mon.*09:00/.test(document.querySelector('[data-testid=now]').textContent)"
    )


def test_a_goal_titled_with_a_script_tag_renders_as_text(page: Any) -> None:
    from storage import goals, people, units
    from storage.db import transaction

    running = start_sandbox(port=0, demo=True)
    try:
        hostile = '<script>alert("goal")</script><img src=x onerror=alert(3)> Win 3 deals by Q2'
        with transaction(running.services.engine) as s:
            team = running.page.fake.team_id
            rita = people.get_person(session=s, team_id=team, user_id="URITA")
            assert rita and rita.id
            sales = units.unit_of(session=s, team_id=team, person_id=rita.id)
            cycle = cycles.current_cycle(session=s, team_id=team, today=date.today())
            assert sales and sales.id and cycle and cycle.id
            goals.create_goal(
                session=s,
                team_id=team,
                owner_id=rita.id,
                unit_id=sales.id,
                cycle_id=cycle.id,
                objective_id=None,
                statement=hostile,
            )
        become(page, running, "URITA")
        send(page, "/goals mine")
        page.get_by_text("Your goals for").wait_for()
        assert hostile in page.inner_text("[data-testid=pane]")
        assert page.locator("[data-testid=pane] script, [data-testid=pane] img").count() == 0
        time.sleep(0.2)
        assert page.dialogs == []
        shot(page, "goal-with-script-tag")
    finally:
        running.stop()


def test_the_check_in_walk_a_barrier_and_its_escalation(page: Any) -> None:
    """Monday 09:00 brings Rita's check-in; she reports a barrier in it; Victor, her manager,
    sees it at once; four working days later, unacknowledged, it has climbed to Cleo."""
    from datetime import UTC, date, datetime, timedelta

    from storage import cycles, goals, people, units
    from storage import objectives as objective_store
    from storage.db import transaction
    from storage.models import GoalStatus, ObjectiveStatus

    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        now = running.services.clock()
        with transaction(running.services.engine) as s:
            team = running.page.fake.team_id
            rita = people.get_person(session=s, team_id=team, user_id="URITA")
            assert rita and rita.id
            sales = units.unit_of(session=s, team_id=team, person_id=rita.id)
            cycle = cycles.current_cycle(session=s, team_id=team, today=now.date())
            assert sales and sales.id and cycle and cycle.id
            objective = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=sales.id,
                cycle_id=cycle.id,
                title="Win the Nordics",
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=10),
            )
            goal = goals.create_goal(
                session=s,
                team_id=team,
                owner_id=rita.id,
                unit_id=sales.id,
                cycle_id=cycle.id,
                objective_id=objective.id,
                statement="Sign 3 Nordic retailers",
                now=now,
            )
            goals.update_goal(
                session=s, goal=goal, now=now, status=GoalStatus.AGREED, due=date(2099, 1, 1)
            )
        become(page, running, "URITA")
        page.click("[data-testid=next-monday]")
        nudge = page.locator(".message", has_text="Time for your weekly check-in").last
        nudge.wait_for()
        shot(page, "checkin-1-nudge")
        nudge.get_by_role("button", name="Check in").click()
        page.locator("[data-testid=modal] .modal").wait_for()
        page.fill(f".block-input[data-block-id=progress_{goal.id}] input", "35")
        page.select_option(f".block-input[data-block-id=confidence_{goal.id}] select", "at_risk")
        page.fill(
            ".block-input[data-block-id=in_the_way] textarea",
            "Legal hasn't cleared the pilot contract",
        )
        shot(page, "checkin-2-modal")
        page.click("[data-testid=modal-submit]")
        page.locator("[data-testid=modal]").wait_for(state="hidden")
        page.get_by_text("Check-in recorded").wait_for()
        shot(page, "checkin-3-recorded")

        become(page, running, "UVICTOR")
        held = page.locator(".message", has_text="reports something in the way").last
        held.wait_for()
        assert "Legal hasn" in held.inner_text()
        assert held.get_by_role("button", name="Acknowledge").count() == 1
        shot(page, "checkin-4-manager-sees-barrier")

        page.fill("#hours", str(4 * 24))  # Monday 09:00 to Friday 09:00: four working days
        page.click("[data-testid=advance-hours]")
        become(page, running, "UCLEO")
        climbed = page.locator(".message", has_text="Escalated to you").last
        climbed.wait_for()
        assert "Legal hasn" in climbed.inner_text()
        shot(page, "checkin-5-escalated")
        assert page.dialogs == []
        assert datetime.now(UTC) < running.services.clock()  # the sandbox's time moved, not ours
    finally:
        running.stop()


def test_the_message_box_is_only_where_you_can_message(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    assert page.locator("[data-testid=composer]").is_visible()
    page.click("[data-testid=nav-home]")
    page.get_by_text("Welcome to Cascade").wait_for()
    assert not page.locator("[data-testid=composer]").is_visible()
    page.click("[data-testid=nav-channel]")
    page.get_by_text("Leadership summaries appear here").wait_for()
    assert not page.locator("[data-testid=composer]").is_visible()
    page.click("[data-testid=nav-dm]")
    assert page.locator("[data-testid=composer]").is_visible()


def test_quotes_render_as_slack_renders_them(page: Any, sandbox: Sandbox) -> None:
    become(page, sandbox, "UVISITOR")
    page.wait_for_selector("#who option[value='UVISITOR']", state="attached")
    html = page.evaluate(
        """() => mrkdwnToHtml(
             "suggests changes:\\n>Which *customers*?\\n&gt; and by when\\nBack in drafts. a > b",
             () => "")"""
    )
    assert html == (
        "suggests changes:<blockquote>Which <b>customers</b>?<br>and by when</blockquote>"
        "Back in drafts. a &gt; b"
    ), html
    code = page.evaluate("""() => mrkdwnToHtml("```\\n> not a quote\\n```", () => "")""")
    assert "blockquote" not in code


def test_message_times_are_sandbox_time(page: Any, sandbox: Sandbox) -> None:
    from datetime import timedelta

    become(page, sandbox, "UVISITOR")
    sandbox.page.clock.advance(timedelta(hours=50))  # two days ahead of the browser's clock
    send(page, "/goals help")
    page.locator(".message.ephemeral").last.wait_for()
    shown = page.locator(".message.ephemeral [data-testid=time]").last.inner_text()
    assert shown.startswith(f"{sandbox.page.clock.now():%a}"), shown
    shot(page, "sandbox-time")


def _demo_with_objectives() -> Sandbox:
    """The demo organisation with Acme's and Sales' objectives published in its cycle."""
    from storage import objectives, units
    from storage.db import transaction
    from storage.models import ObjectiveStatus

    running = start_sandbox(port=0, demo=True)
    team = running.page.fake.team_id
    with transaction(running.services.engine) as s:
        [cycle] = cycles.list_cycles(session=s, team_id=team)
        acme = units.find_unit(session=s, team_id=team, name="Acme")
        sales = units.find_unit(session=s, team_id=team, name="Sales")
        assert acme and acme.id and sales and sales.id and cycle.id
        grow = objectives.create_objective(
            session=s,
            team_id=team,
            unit_id=acme.id,
            cycle_id=cycle.id,
            title="Grow revenue 20%",
            status=ObjectiveStatus.PUBLISHED,
        )
        objectives.create_objective(
            session=s,
            team_id=team,
            unit_id=sales.id,
            cycle_id=cycle.id,
            title="Win new accounts in the Nordics",
            parent_id=grow.id,
            status=ObjectiveStatus.PUBLISHED,
        )
    return running


def latest(page: Any, text: str) -> Any:
    message = page.locator(".message.from-bot", has_text=text).last
    message.wait_for()
    return message


def test_the_newcomers_walk(page: Any) -> None:
    running = _demo_with_objectives()
    try:
        become(page, running, "URITA")
        # A typo teaches rather than refuses.
        send(page, "/goals hepl")
        latest(page, "Did you mean")
        assert "/goals help" in latest(page, "Did you mean").inner_text()
        shot(page, "newcomer-1-typo")

        # A goal that says its measure and its date goes through with confirmations only.
        send(page, "/goals set")
        latest(page, "Which of Sales' objectives").get_by_role("button", name="1.").click()
        latest(page, "What's your goal?")
        send(page, "Win 12 new accounts in the Nordics in 2 months")
        read_back = latest(page, "Your goal already says")
        assert "Measure:" in read_back.inner_text() and "Due:" in read_back.inner_text()
        shot(page, "newcomer-2-read-back")
        read_back.get_by_role("button", name="Yes, that's right").click()
        latest(page, "Anything you expect").get_by_role("button", name="Nothing expected").click()
        latest(page, "ready to send").get_by_role("button", name="Submit").click()
        latest(page, "Sent to")
        asked = page.inner_text("[data-testid=pane]")
        assert "How will you and your manager know" not in asked
        assert "When is it due?" not in asked
        shot(page, "newcomer-3-submitted")

        # `back` after an out-of-cycle date was replaced asks for the due date again.
        send(page, "/goals set")
        latest(page, "Which of Sales' objectives").get_by_role("button", name="1.").click()
        latest(page, "What's your goal?")
        send(page, "Sign 5 Nordic partners in 3 months")
        latest(page, "Your goal already says").get_by_role("button", name="Edit due date").click()
        latest(page, "When is it due?")
        send(page, "in 9 months")
        latest(page, "falls outside the cycle")
        send(page, "in 2 months")
        latest(page, "Anything you expect")
        before = page.locator(".message.from-bot", has_text="When is it due?").count()
        send(page, "back")
        page.wait_for_function(
            "n => [...document.querySelectorAll('.message.from-bot')]"
            ".filter(m => m.textContent.includes('When is it due?')).length > n",
            arg=before,
        )
        last = page.locator(".message.from-bot").last.inner_text()
        assert "When is it due?" in last and "Keep that date anyway" not in last
        shot(page, "newcomer-4-back")
        assert page.dialogs == []
    finally:
        running.stop()


def test_the_leadership_walk_summary_home_and_tree(page: Any) -> None:
    """Monday morning: the summary with its chart in # leadership; Victor's Home with his team
    and what awaits him; the tree nested."""
    from datetime import date, timedelta

    from storage import cycles, goals, people, units
    from storage import objectives as objective_store
    from storage.db import transaction
    from storage.models import GoalStatus, ObjectiveStatus

    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        now = running.services.clock()
        with transaction(running.services.engine) as s:
            team = running.page.fake.team_id
            rita = people.get_person(session=s, team_id=team, user_id="URITA")
            raj = people.get_person(session=s, team_id=team, user_id="URAJ")
            assert rita and rita.id and raj and raj.id
            sales = units.unit_of(session=s, team_id=team, person_id=rita.id)
            acme = units.find_unit(session=s, team_id=team, name="Acme")
            cycle = cycles.current_cycle(session=s, team_id=team, today=now.date())
            assert sales and sales.id and acme and acme.id and cycle and cycle.id
            grow = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=acme.id,
                cycle_id=cycle.id,
                title="Grow in the Nordics",
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=10),
            )
            sell = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=sales.id,
                cycle_id=cycle.id,
                title="Open 3 Nordic retailers",
                parent_id=grow.id,
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=9),
            )
            for owner, status in ((rita, GoalStatus.AGREED), (raj, GoalStatus.PROPOSED)):
                goal = goals.create_goal(
                    session=s,
                    team_id=team,
                    owner_id=owner.id or 0,
                    unit_id=sales.id,
                    cycle_id=cycle.id,
                    objective_id=sell.id,
                    statement=f"{owner.name}: sign a Nordic retailer",
                    now=now,
                )
                goals.update_goal(
                    session=s,
                    goal=goal,
                    now=now,
                    status=status,
                    due=date(2099, 1, 1),
                    owner_agreed_at=now,
                    progress=40,
                    confidence="on_track",
                )
        become(page, running, "UCLEO")  # New York: Monday 09:00 there is after Monday 08:00
        page.click("[data-testid=next-monday]")
        page.wait_for_function(
            "() => /^Mon.*09:00/.test(document.querySelector('[data-testid=now]').textContent)"
        )
        page.click("[data-testid=nav-channel]")
        page.get_by_text("Weekly leadership summary").wait_for()
        page.wait_for_function("() => document.querySelector('img.upload')?.naturalWidth > 0")
        shot(page, "leadership-1-summary-with-chart")

        become(page, running, "UVICTOR")
        page.click("[data-testid=nav-home]")
        pane = page.locator("[data-testid=pane]")
        pane.get_by_role("button", name="Agree").first.wait_for()
        assert "no goals yet" in pane.inner_text() or "awaiting agreement" in pane.inner_text()
        shot(page, "leadership-2-manager-home")

        page.click("[data-testid=nav-dm]")
        send(page, "/goals tree")
        page.get_by_text("Objectives, and what builds on each").wait_for()
        text = page.inner_text("[data-testid=pane]")
        assert "\u2003\u2003└" in text  # nested, as Slack keeps it
        shot(page, "leadership-3-tree-nested")
        assert page.dialogs == []
    finally:
        running.stop()


def test_the_managers_walk_agreement_promise_alert_and_agenda(page: Any) -> None:
    """Rita proposes a goal; Victor reads the chain and the coach's question, agrees, says how
    he'll help; Rita hears it; her check-in at risk alerts Victor, who puts it on their 1:1 and
    opens its agenda."""
    from datetime import timedelta

    from bot.turns import owed_notices
    from conversations.actor import actor_for
    from conversations.services import agreement
    from storage import cycles, goals, outbox, people, units
    from storage import objectives as objective_store
    from storage.db import transaction
    from storage.models import ObjectiveStatus

    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        now = running.services.clock()
        team = running.page.fake.team_id
        with transaction(running.services.engine) as s:
            rita = people.get_person(session=s, team_id=team, user_id="URITA")
            assert rita and rita.id
            sales = units.unit_of(session=s, team_id=team, person_id=rita.id)
            acme = units.find_unit(session=s, team_id=team, name="Acme")
            cycle = cycles.current_cycle(session=s, team_id=team, today=now.date())
            assert sales and sales.id and acme and acme.id and cycle and cycle.id
            grow = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=acme.id,
                cycle_id=cycle.id,
                title="Grow revenue 20%",
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=10),
            )
            nordics = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=sales.id,
                cycle_id=cycle.id,
                title="Win the Nordics",
                parent_id=grow.id,
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=9),
            )
            goal = goals.create_goal(
                session=s,
                team_id=team,
                owner_id=rita.id,
                unit_id=sales.id,
                cycle_id=cycle.id,
                objective_id=nordics.id,
                statement="Sign 3 Nordic retailers",
                now=now,
            )
            goals.update_goal(
                session=s, goal=goal, now=now, measure="3 signed contracts", due=date(2099, 1, 1)
            )
            actor = actor_for(session=s, team_id=team, user_id="URITA", admin_ids=frozenset())
            notices = agreement.submit(session=s, actor=actor, goal=goal, unit=sales, now=now)
            outbox.enqueue(session=s, messages=owed_notices(team, notices).new, now=now)
        running.services.sender.at(now).deliver_due()

        become(page, running, "UVICTOR")
        proposal = page.locator(".message", has_text="proposes a goal").last
        proposal.wait_for()
        text = proposal.inner_text()
        assert "Grow revenue 20%" in text and "Win the Nordics" in text
        assert "A question for your conversation" in text
        shot(page, "manager-1-proposal")
        proposal.get_by_role("button", name="Agree").click()
        record = page.locator(".message", has_text="You agreed").last
        record.wait_for()
        record.get_by_role("button", name="Say how I'll help").click()
        page.locator("[data-testid=modal] .modal").wait_for()
        page.fill(
            ".block-input[data-block-id=help] textarea",
            "Introduce you to our Oslo partner by 2099-01-01\nJoin your first retailer call",
        )
        shot(page, "manager-2-how-will-you-help")
        page.click("[data-testid=modal-submit]")
        page.locator("[data-testid=modal]").wait_for(state="hidden")
        page.get_by_text("Noted, and").wait_for()

        become(page, running, "URITA")
        told = page.locator(".message", has_text="will:").last
        told.wait_for()
        assert "Oslo partner" in told.inner_text()
        shot(page, "manager-3-owner-hears-the-promise")
        send(page, "/goals checkin")
        page.locator("[data-testid=modal] .modal").wait_for()
        page.fill(f".block-input[data-block-id=progress_{goal.id}] input", "10")
        page.select_option(f".block-input[data-block-id=confidence_{goal.id}] select", "at_risk")
        page.fill(
            f".block-input[data-block-id=note_{goal.id}] textarea", "Two retailers went quiet"
        )
        shot(page, "manager-4-checkin-at-risk")
        page.click("[data-testid=modal-submit]")
        page.locator("[data-testid=modal]").wait_for(state="hidden")

        become(page, running, "UVICTOR")
        alert = page.locator(".message", has_text="check-in:").last
        alert.wait_for()
        assert "at risk" in alert.inner_text() and "went quiet" in alert.inner_text()
        shot(page, "manager-5-alert")
        alert.get_by_role("button", name="Add to our 1:1").click()
        page.get_by_text("Added to your next 1:1").wait_for()
        send(page, "/goals 1on1 @rita.reyes")
        agenda = page.locator(".message", has_text="1:1 agenda").last
        agenda.wait_for()
        assert "Oslo partner" in agenda.inner_text() and "Questions" in agenda.inner_text()
        shot(page, "manager-6-agenda")
        assert page.dialogs == []
    finally:
        running.stop()


def _move_clock(page: Any, button: str) -> None:
    """Click a clock button and wait for the whole move: the clock shows each hour on the way,
    and the page marks the move busy until its last tick has run."""
    before = page.inner_text("[data-testid=now]")
    page.click(f"[data-testid={button}]")
    page.wait_for_function(
        "before => document.getElementById('clock-busy').hidden"
        " && document.querySelector('[data-testid=now]').textContent !== before",
        arg=before,
        timeout=120_000,
    )


def _advance(page: Any, hours: int) -> None:
    page.fill("#hours", str(hours))
    _move_clock(page, "advance-hours")


def _next_monday(page: Any) -> None:
    _move_clock(page, "next-monday")


def test_the_leaders_walk_a_week_the_chart_the_cycle_ending_and_the_next(page: Any) -> None:
    """Rita checks in during a week; the Monday after, # leadership reads it in the summary,
    with the chart at the size Slack shows it; she closes her goal with a lesson; the cycle ends,
    Victor and Cleo get its look back (the lesson with them, never in the channel); Ada adds the
    next cycle and Victor plans it from the look back, his unfinished objective a draft again."""
    import math
    from datetime import UTC, datetime, timedelta

    from storage import goals, people, units
    from storage import objectives as objective_store
    from storage.db import transaction
    from storage.models import GoalStatus, ObjectiveStatus

    lesson = "Nordic retailers sign after a pilot, not a pitch"
    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        now = running.services.clock()
        team = running.page.fake.team_id
        with transaction(running.services.engine) as s:
            rita = people.get_person(session=s, team_id=team, user_id="URITA")
            assert rita and rita.id
            sales = units.unit_of(session=s, team_id=team, person_id=rita.id)
            acme = units.find_unit(session=s, team_id=team, name="Acme")
            [cycle] = cycles.list_cycles(session=s, team_id=team)
            assert sales and sales.id and acme and acme.id and cycle.id
            # About three weeks left, not months: moving the clock ticks at every hour it passes
            # (a few ms each), and the walk is about the cycle's end, not the wait for it. It ends
            # on a Tuesday, so the look back comes the next day.
            later = now.date() + timedelta(days=18)
            cycle.end = later + timedelta(days=(1 - later.weekday()) % 7)
            cycle.name = f"{cycle.start:%-d %b} – {cycle.end:%-d %b %Y}"
            s.add(cycle)
            grow = objective_store.create_objective(
                session=s,
                team_id=team,
                unit_id=acme.id,
                cycle_id=cycle.id,
                title="Grow revenue 20%",
                status=ObjectiveStatus.PUBLISHED,
                published_at=now - timedelta(days=10),
            )
            made = {}
            for title in ("Win the Nordics", "Launch a partner programme"):
                made[title] = objective_store.create_objective(
                    session=s,
                    team_id=team,
                    unit_id=sales.id,
                    cycle_id=cycle.id,
                    title=title,
                    parent_id=grow.id,
                    status=ObjectiveStatus.PUBLISHED,
                    published_at=now - timedelta(days=9),
                )
            goal = goals.create_goal(
                session=s,
                team_id=team,
                owner_id=rita.id,
                unit_id=sales.id,
                cycle_id=cycle.id,
                objective_id=made["Win the Nordics"].id,
                statement="Sign 3 Nordic retailers",
                now=now,
            )
            goals.update_goal(
                session=s,
                goal=goal,
                now=now,
                status=GoalStatus.AGREED,
                measure="3 signed contracts",
                due=(now + timedelta(days=7)).date(),
                agreed_at=now,
                owner_agreed_at=now,
            )
            end = cycle.end

        # Week N: Rita checks in.
        become(page, running, "UCLEO")
        _next_monday(page)
        become(page, running, "URITA")
        send(page, "/goals checkin")
        page.locator("[data-testid=modal] .modal").wait_for()
        page.fill(f".block-input[data-block-id=progress_{goal.id}] input", "70")
        page.select_option(f".block-input[data-block-id=confidence_{goal.id}] select", "on_track")
        page.click("[data-testid=modal-submit]")
        page.locator("[data-testid=modal]").wait_for(state="hidden")

        # Monday N+1: the post counts the week that has just ended, chart and text one message.
        become(page, running, "UCLEO")
        _next_monday(page)
        page.click("[data-testid=nav-channel]")
        posts = page.locator(".message", has_text="Weekly leadership summary")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.message')]"
            ".filter(m => m.textContent.includes('Weekly leadership summary')).length === 2"
        )
        post = posts.last
        assert "checked in last week" in post.inner_text()  # the units' heading says so too
        assert "1 of 1 people with agreed goals (100%)" in post.inner_text()
        chart = post.locator("img.upload")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.upload')].every(i => i.naturalWidth > 0)"
        )
        shown = chart.evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
        assert shown[0] == 960 and 470 <= shown[1] <= 480  # drawn twice as wide as Slack shows it
        assert chart.get_attribute("alt") and "checked in last week" in chart.get_attribute("alt")
        post.scroll_into_view_if_needed()
        shot(page, "leader-1-monday-after-a-week-of-check-ins")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chart.screenshot(path=str(ARTIFACTS / "leader-2-chart-as-slack-shows-it.png"))

        # Her goal is past its due date: she closes it, with what she learned.
        become(page, running, "URITA")
        closing = page.locator(".message", has_text="past its due date").last
        closing.wait_for()
        closing.get_by_role("button", name="Achieved").click()
        page.locator(".message", has_text="what did you learn").last.wait_for()
        send(page, lesson)

        # The cycle ends; the first working day after it, 09:00 workspace time, the look back.
        at = running.services.clock()
        last_evening = datetime.combine(end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
        _advance(page, math.ceil((last_evening - at).total_seconds() / 3600))
        for _ in range(4):
            _advance(page, 6)
        become(page, running, "UVICTOR")
        looked_back = page.locator(".message", has_text="has ended: a look back").last
        looked_back.wait_for()
        assert (
            "1 achieved" in looked_back.inner_text() or "*1* achieved" in looked_back.inner_text()
        )
        assert lesson in looked_back.inner_text()
        looked_back.scroll_into_view_if_needed()
        shot(page, "leader-3-retrospective-to-the-manager")
        become(page, running, "UCLEO")
        page.click("[data-testid=nav-channel]")
        org = page.locator(".message", has_text="the organisation looks back").last
        org.wait_for()
        assert lesson not in page.inner_text("[data-testid=pane]")
        org.scroll_into_view_if_needed()
        shot(page, "leader-4-retrospective-in-the-channel")

        # Between cycles, Victor's goals say what ended; Ada adds the next; Victor plans it.
        become(page, running, "UADA")
        start = end + timedelta(days=1)
        send(page, f'/goals cycle add "Next half" {start} {start + timedelta(days=180)}')
        page.locator(".message", has_text="Cycle Next half").last.wait_for()
        become(page, running, "UCLEO")  # Acme's first: Sales' objectives derive from Acme's
        looked_back = page.locator(".message", has_text="has ended: a look back").last
        looked_back.get_by_role("button", name="Plan the next cycle").click()
        acme_review = page.locator(".message", has_text="Acme's objectives for Next half").last
        acme_review.wait_for()
        assert "Grow revenue 20%" in acme_review.inner_text()
        acme_review.get_by_role("button", name="Publish").click()
        page.locator(".message", has_text="Published 1 objective").last.wait_for()
        become(page, running, "UVICTOR")
        looked_back = page.locator(".message", has_text="has ended: a look back").last
        looked_back.get_by_role("button", name="Plan the next cycle").click()
        review = page.locator(".message", has_text="Sales' objectives for Next half").last
        review.wait_for()
        assert "Launch a partner programme" in review.inner_text()
        assert "draft" in review.inner_text() and "Win the Nordics" not in review.inner_text()
        review.scroll_into_view_if_needed()
        shot(page, "leader-5-planning-the-next-cycle-from-the-look-back")
        assert page.dialogs == []
    finally:
        running.stop()


def test_the_sandbox_walk_hourly_ticks_emoji_channel_names_and_a_clean_console(page: Any) -> None:
    """A 36 h step from Sunday noon brings Victor (London) his Monday 09:00 check-in, sent at
    09:00; shortcodes are drawn as emoji; the channel is named, never shown by its id; and the
    console has nothing to complain of (the favicon is there)."""
    import re
    from datetime import UTC, datetime, timedelta

    from tests.bot.sandbox.scenes import agreed_goal

    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: complaints.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        agreed_goal(running, "UVICTOR", "Open the Oslo office")
        now = running.services.clock()
        sunday = now.date() + timedelta(days=(6 - now.weekday()) % 7 or 7)
        running.page.clock.move_to(datetime(sunday.year, sunday.month, sunday.day, 12, tzinfo=UTC))
        become(page, running, "UVICTOR")
        page.fill("#hours", "36")
        page.click("[data-testid=advance-hours]")
        nudge = page.locator(".message", has_text="Time for your weekly check-in").last
        nudge.wait_for()
        assert nudge.locator("[data-testid=time]").inner_text() == "Mon 09:00"
        page.locator("[data-testid=clock-busy]").wait_for(state="hidden")
        assert "Tue" in page.inner_text("[data-testid=now]")
        shot(page, "sandbox-hourly-ticks")

        send(page, "/goals pause 2w")
        page.get_by_text("Paused.").wait_for()
        pane = page.inner_text("[data-testid=pane]")
        assert "👋" in pane and "💤" in pane
        assert not re.search(r":[a-z_]+:", pane), pane
        shot(page, "sandbox-emoji")

        become(page, running, "UADA")
        send(page, "/goals settings summary")
        shown = page.locator(".message", has_text="The weekly leadership summary goes to").last
        shown.wait_for()
        assert "#leadership" in shown.inner_text() and "CLEADERSHIP" not in shown.inner_text()
        page.click("[data-testid=nav-channel]")
        assert page.inner_text("[data-testid=title]") == "# leadership"
        assert page.inner_text("[data-testid=nav-channel]") == "# leadership"
        page.click("[data-testid=nav-dm]")
        shown.scroll_into_view_if_needed()
        shot(page, "sandbox-channel-name")
        page.wait_for_timeout(300)  # the favicon is asked for after the page has loaded
        assert complaints == [] and page.dialogs == []
    finally:
        running.stop()


def test_the_newcomers_second_walk_examples_quotes_home_buttons_and_old_buttons(page: Any) -> None:
    """Issue 21, items 1, 3, 8 and 9, in the browser. Cleo's help names every member of Acme in
    its `unit members` example, and run as shown it removes nobody; Rita's two-line barrier is
    quoted on lines of its own; Raj, with no agreed goal, is offered no Check in on his Home;
    Victor escalates Rita's barrier to Cleo, and his message loses its buttons and says why."""
    import re

    from storage import people, units
    from storage.db import transaction
    from tests.bot.sandbox.scenes import agreed_goal

    running = start_sandbox(port=0, demo=True, scheduler=False)
    try:
        team = running.page.fake.team_id
        agreed_goal(running, "URITA", "Sign 3 Nordic retailers")

        def acme_members() -> set[str]:
            with transaction(running.services.engine) as s:
                acme = units.find_unit(session=s, team_id=team, name="Acme")
                assert acme and acme.id
                return {
                    p.user_id
                    for p in units.members_of(session=s, team_id=team, unit_id=acme.id)
                    if not p.deleted
                }

        def name_of(user_id: str) -> str:
            with transaction(running.services.engine) as s:
                person = people.get_person(session=s, team_id=team, user_id=user_id)
                assert person
                return person.name

        members = acme_members()
        assert len(members) > 3, members  # more than the three the old example stopped at

        # 1. The head's help: the example names all of Acme's members, and run as shown (each
        # mention typed by its handle, as the sandbox's composer takes them) changes nothing.
        become(page, running, "UCLEO")
        send(page, "/goals help")
        help_reply = latest(page, "What you can do next")
        [line] = [
            shown
            for shown in help_reply.inner_text().splitlines()
            if '/goals unit members "Acme"' in shown
        ]
        named = set(re.findall(r"@([A-Z][^@]*?)(?=\s+@|\s*$)", line))
        assert named == {name_of(m) for m in members}, (line, named)
        assert "@…" not in line
        help_reply.get_by_text('/goals unit members "Acme"').scroll_into_view_if_needed()
        shot(page, "newcomer2-1-help-names-every-member")
        handles = {
            option.split(" @")[0]: option.split(" @")[1].split(" ")[0]
            for option in page.locator("#who option").all_inner_texts()
            if " @" in option
        }
        command = line[line.index("/goals unit members") :]
        for name, handle in handles.items():
            command = command.replace(f"@{name}", f"@{handle}")
        send(page, command)
        page.wait_for_function(
            "() => /exactly those members|updated/.test("
            "[...document.querySelectorAll('.message.from-bot')].pop().textContent)",
            timeout=20_000,
        )
        answer = page.locator(".message.from-bot").last
        assert "No longer members" not in answer.inner_text()
        assert "already had exactly those members" in answer.inner_text()
        assert acme_members() == members
        shot(page, "newcomer2-2-example-run-as-shown-changes-nothing")

        # 3. Rita's barrier, two lines: the confirmation quotes it on lines of its own.
        become(page, running, "URITA")
        page.fill(
            "[data-testid=composer]",
            "/goals barrier Legal hasn't cleared the pilot contract.\nThe Oslo pilot waits on it.",
        )
        page.press("[data-testid=composer]", "Enter")
        reported = latest(page, "Reported.")
        assert "changes.>" not in reported.inner_text()
        quote = reported.locator("blockquote")
        assert quote.count() == 1
        assert "Legal hasn't cleared the pilot contract." in quote.inner_text()
        assert "The Oslo pilot waits on it." in quote.inner_text()
        assert "has it now" not in quote.inner_text()  # the sentence before it is not quoted
        shot(page, "newcomer2-3-barrier-quoted-on-its-own-lines")

        # 8. The Home offers Check in only to someone with an agreed goal: Rita, not Raj.
        page.click("[data-testid=nav-home]")
        pane = page.locator("[data-testid=pane]")
        # Rita's Home (her goal is on it), not the DM's pane still drawn.
        pane.get_by_text("Sign 3 Nordic retailers", exact=True).wait_for()
        assert pane.get_by_role("button", name="Check in").count() == 1
        become(page, running, "URAJ")
        page.click("[data-testid=nav-home]")
        pane.get_by_text("You have no goals in").wait_for()  # Raj's Home, not Rita's
        pane.get_by_role("button", name="Report a barrier").wait_for()
        assert pane.get_by_role("button", name="Set a goal").count() == 1
        assert pane.get_by_role("button", name="Check in").count() == 0
        shot(page, "newcomer2-4-home-without-an-agreed-goal-has-no-check-in")

        # 9. Victor escalates Rita's barrier: it goes to Cleo, and his message keeps no buttons.
        become(page, running, "UVICTOR")
        held = page.locator(".message", has_text="reports something in the way").last
        held.wait_for()
        assert "Oslo pilot" in held.inner_text()
        for name in ("Acknowledge", "Resolved", "Escalate"):
            assert held.get_by_role("button", name=name).count() == 1, name
        shot(page, "newcomer2-5-victor-holds-the-barrier")
        held.get_by_role("button", name="Escalate").click()
        held.get_by_text("Escalated to @Cleo Chief").wait_for(timeout=20_000)
        assert held.locator("button").count() == 0
        assert "Rita Reyes has been told" in held.inner_text()
        assert "Oslo pilot" in held.inner_text()  # the words stay
        shot(page, "newcomer2-6-victor-message-without-buttons")

        become(page, running, "UCLEO")
        climbed = page.locator(".message", has_text="Escalated to you").last
        climbed.wait_for(timeout=20_000)
        assert "Oslo pilot" in climbed.inner_text()
        assert climbed.get_by_role("button", name="Acknowledge").count() == 1
        climbed.scroll_into_view_if_needed()
        shot(page, "newcomer2-7-cleo-holds-it-now")
        assert page.dialogs == []
    finally:
        running.stop()
