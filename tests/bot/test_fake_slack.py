"""The fake Slack behaves like Slack where Cascade depends on it."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.sandbox.fake_slack import USERS_LIST_MAX, FakeSlack
from bot.sandbox.socket_mode import SocketModeServer
from bot.slack import USERS_PAGE, fetch_directory, retry_handlers
from tests.conftest import BOB


@pytest.fixture
def client(fake_slack: tuple[FakeSlack, str]) -> WebClient:
    fake, url = fake_slack
    return WebClient(token=fake.bot_token, base_url=url + "/api/")


def test_valid_blocks_are_delivered(client: WebClient, fake_slack: tuple[FakeSlack, str]) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    response = client.chat_postMessage(channel=BOB, text="hi", blocks=blocks)
    assert response["channel"] == "DBOB"
    assert fake_slack[0].replies_for(BOB)[0].blocks == blocks


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "no_such_block"}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "a"}}] * 51,
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "x" * 76},
                        "action_id": "a",
                    }
                ],
            }
        ],
        [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}],
    ],
)
def test_invalid_blocks_are_refused_as_slack_does(
    client: WebClient, fake_slack: tuple[FakeSlack, str], blocks: list[dict[str, object]]
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=BOB, text="hi", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    assert fake_slack[0].messages == []


def test_views_are_validated(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id=BOB, view={"type": "home", "blocks": [{"type": "bogus"}]})
    assert refused.value.response["error"] == "invalid_blocks"
    client.views_publish(user_id=BOB, view={"type": "home", "blocks": [{"type": "divider"}]})


def test_bad_token_and_unknown_channel(
    fake_slack: tuple[FakeSlack, str], client: WebClient
) -> None:
    bad = WebClient(token="xoxb-wrong", base_url=fake_slack[1] + "/api/")
    with pytest.raises(SlackApiError) as refused:
        bad.auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="UNOBODY", text="hi")
    assert refused.value.response["error"] == "channel_not_found"


def test_rate_limit_answer_carries_retry_after(
    client: WebClient, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake_slack[0].fail_next("auth.test", 429, retry_after=7)
    with pytest.raises(SlackApiError) as refused:
        client.auth_test()
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] in ("7", ["7"])
    assert client.auth_test()["team_id"] == fake_slack[0].team_id


def test_users_list_pages_as_slack_documents(
    client: WebClient, fake_slack: tuple[FakeSlack, str]
) -> None:
    """users.list (Slack's reference): a `limit` under 1000, a larger one served a page of at
    most that ("fewer than the requested number of items may be returned"), none at all on a
    big workspace `limit_required`, an opaque cursor, a bad one `invalid_cursor`."""
    fake = fake_slack[0]
    for i in range(2 * USERS_LIST_MAX + 3 - len(fake.users)):
        fake.add_user(f"UPAGE{i:04d}", f"Page {i}")
    everyone = list(fake.users)
    first = client.users_list(limit=5000)
    assert [m["id"] for m in first["members"]] == everyone[:USERS_LIST_MAX] == everyone[:999]
    cursor = first["response_metadata"]["next_cursor"]
    assert not cursor.isdigit()  # opaque: nothing to count pages with
    second = client.users_list(limit=2, cursor=cursor)
    assert [m["id"] for m in second["members"]] == everyone[999:1001]
    with pytest.raises(SlackApiError) as refused:
        client.users_list()
    assert refused.value.response["error"] == "limit_required"
    with pytest.raises(SlackApiError) as refused:
        client.users_list(limit=10, cursor="not-a-cursor")
    assert refused.value.response["error"] == "invalid_cursor"
    fake.errors.clear()  # refused on purpose above


def test_the_directory_takes_the_largest_pages_and_waits_out_a_429(
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, url = fake_slack
    for i in range(2 * USERS_LIST_MAX + 3 - len(fake.users)):
        fake.add_user(f"UPAGE{i:04d}", f"Page {i}")
    fake.fail_next("users.list", 429, retry_after=0)  # Tier 2: Slack may say "not yet"
    client = WebClient(
        token=fake.bot_token, base_url=url + "/api/", retry_handlers=retry_handlers()
    )
    assert [p.user_id for p in fetch_directory(client)] == list(fake.users)
    calls = fake.calls_to("users.list")
    assert len(calls) == 1 + 3 and {int(c.args["limit"]) for c in calls} == {USERS_PAGE}
    assert USERS_PAGE == USERS_LIST_MAX


def test_file_uploads_reach_the_channel(
    client: WebClient, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    client.files_upload_v2(
        channel="CLEADERSHIP",
        content=b"\x89PNG fake",
        filename="summary.png",
        title="Summary",
        initial_comment="This week",
    )
    [message] = [m for m in fake.messages if m.channel == "CLEADERSHIP"]
    assert message.text == "This week" and len(message.files) == 1
    assert fake.files[message.files[0]].content == b"\x89PNG fake"


def test_typed_text_arrives_as_slack_sends_it(fake_slack: tuple[FakeSlack, str]) -> None:
    fake = fake_slack[0]
    sent = fake.as_sent_by_slack(
        'unit add "R&D <b>" manager:@alice @channel @nobody <@UBOB|bob> a@b.c'
    )
    assert sent == (
        'unit add "R&amp;D &lt;b&gt;" manager:<@UALICE|alice> <!channel> @nobody <@UBOB|bob> a@b.c'
    )


def test_a_name_typed_after_at_is_the_person_picked_from_the_list(
    fake_slack: tuple[FakeSlack, str],
) -> None:
    """The sandbox has no list to pick people from: "@Lena Vogel" (as help shows a mention)
    is who Slack would have sent, the longest name that matches; an unknown name stays text."""
    fake = fake_slack[0]
    fake.add_user("ULENA", "Lena Vogel")
    fake.add_user("ULEN", "Lena")
    sent = fake.as_sent_by_slack('unit members "Sales" @Lena Vogel @Lena and @Nobody Here')
    assert sent == ('unit members "Sales" <@ULENA|lena.vogel> <@ULEN|lena> and @Nobody Here')


def test_apps_connections_open_takes_the_app_token_and_nothing_else_does(
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, url = fake_slack
    server = SocketModeServer()
    server.attach(fake)
    try:
        opened = WebClient(base_url=url + "/api/").apps_connections_open(app_token=fake.app_token)
        assert opened["url"].startswith(f"ws://127.0.0.1:{server.port}/link/?ticket=")
        for token, method, error in [
            (fake.bot_token, "apps.connections.open", "not_allowed_token_type"),
            ("xapp-1-revoked", "apps.connections.open", "invalid_auth"),
            (fake.app_token, "chat.postMessage", "not_allowed_token_type"),
        ]:
            with pytest.raises(SlackApiError) as refused:
                WebClient(token=token, base_url=url + "/api/").api_call(
                    method, params={"channel": BOB, "text": "hi"}
                )
            assert refused.value.response["error"] == error, (token, method)
    finally:
        server.stop()


def test_a_socket_mode_ticket_opens_one_connection_which_is_greeted(
    fake_slack: tuple[FakeSlack, str],
) -> None:
    server = SocketModeServer()
    server.attach(fake_slack[0])
    try:
        url = server.new_url()
        with connect(url) as link:
            hello = json.loads(link.recv(timeout=5))
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            with pytest.raises(InvalidStatus):
                connect(url)
    finally:
        server.stop()


def test_the_fake_flags_text_slack_would_show_wrongly() -> None:
    """What the issue found, caught by the check the fake runs on every text it receives."""
    from bot.sandbox import mrkdwn

    bad = [
        "`/goals barrier <what's in the way>` reports one",  # Slack reads <…> as a link
        "I'll tell you when that changes.>Legal hasn't signed",  # a quote that never starts
        "Noted: Raise ARR to $14M.Next one, or `done`.",  # an eaten line break
    ]
    assert all(mrkdwn.problems(text) for text in bad)
    good = [
        "<@UBOB> has it now, in <#C0LEAD> and <https://example.com|the docs>.",
        "`/goals barrier &lt;what's in the way&gt;` reports one",
        "I'll tell you when that changes.\n>Legal hasn't signed",
        "Noted: Raise ARR to $14M.\nNext one, or `done`. e.g. Q1 2027, and `a.Bc` in code",
    ]
    assert [mrkdwn.problems(text) for text in good] == [[]] * len(good)
