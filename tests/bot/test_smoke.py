from tests.conftest import ADMIN, Running


def test_help_reaches_the_admin(running: Running) -> None:
    reply = running.slack.command(ADMIN, "help")
    assert reply.status == 200
    message = running.fake.wait_for(lambda f: f.replies_for(ADMIN))[0]
    assert message.ephemeral_to == ADMIN
    assert "cycle add" in message.text
