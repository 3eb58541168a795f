"""The one place failures are logged (with traceback) and explained to the person."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.payloads import Malformed
from bot.reply import refusal_text, tell_user
from bot.services import Services
from bot.work import AlreadyHandled, request_scope, saved
from conversations.errors import Refusal
from prompts import render, render_plain
from storage.db import DatabaseAway, patiently
from storage.models import InboxMessage
from storage.people import DirectoryState

logger = logging.getLogger("cascade")


def _tell(body: dict[str, Any], respond: Any, client: Any) -> None:
    # The truth about what was kept: a change that committed stays, and what it owes is sent.
    apology = "errors/went_wrong_after_saving" if saved.get() else "errors/something_went_wrong"
    try:
        tell_user(body=body, respond=respond, client=client, text=render(apology))
    except Exception:  # the apology itself failed: the log already has the cause
        logger.exception("could not tell the user about a failure")


def on_error(error: Exception, body: dict[str, Any], respond: Any, client: Any) -> BoltResponse:
    """Bolt's error handler, for the ack path. A payload whose values Slack never sends gets
    the same answer as one of a shape Slack never sends (bot/server.py): a 400 with the reason."""
    if isinstance(error, Malformed):
        logger.warning("malformed Slack payload refused: %s", error)
        return BoltResponse(status=400, body=render_plain("errors/malformed_payload"))
    if isinstance(error, DatabaseAway):  # nothing acked, nothing recorded: Slack retries it
        logger.warning("refused a request with 503: the database is away")
        return BoltResponse(status=503, body="")
    logger.exception("unhandled error in a listener", exc_info=error)
    _tell(body, respond, client)
    return BoltResponse(status=200, body="")


def reported(func: Callable[..., None]) -> Callable[..., None]:
    """Wrap a lazy listener: Bolt would log its failure in one line and tell no one.

    Bolt injects arguments by the names in the signature, so the wrapper asks for every one a
    lazy listener may want and passes on those the wrapped function names.
    """
    wanted = inspect.getfullargspec(func).args

    def wrapper(
        body: dict[str, Any],
        respond: Any,
        client: Any,
        context: Any,
        command: Any,
        event: Any,
        action: Any,
        view: Any,
        say: Any,
    ) -> None:
        given = locals()
        handled(
            func.__name__,
            body or {},
            respond,
            client,
            lambda: func(**{n: given[n] for n in wanted}),
        )

    wrapper.__name__ = wrapper.__qualname__ = func.__name__
    return wrapper


def handled(
    name: str,
    body: dict[str, Any],
    respond: Any,
    client: Any,
    work: Callable[[], None],
    from_inbox: InboxMessage | None = None,
    directory: DirectoryState | None = None,
) -> None:
    """Run a listener's `work` in its request scope: a refusal or a failure is logged and told
    to the person; a retry that an earlier delivery handled is let go."""
    with request_scope(body, from_inbox, directory):
        try:  # the database restarting: the work is tried again (its event, or its inbox row, is
            # recorded with it, so a retry after a commit whose answer was lost acts once)
            patiently(work)
        except AlreadyHandled as done:
            logger.info("%s was handled by an earlier delivery", done)
        except Refusal as refusal:  # e.g. someone the directory does not know (yet)
            logger.info("%s refused: %s", name, refusal.code)
            try:
                tell_user(body=body, respond=respond, client=client, text=refusal_text(refusal))
            except Exception:
                logger.exception("could not tell the user about a refusal")
        except Exception:
            logger.exception("unhandled error in %s", name)
            _tell(body, respond, client)


def after_ack(services: Services, work: Callable[[], object]) -> None:
    """Run `work` in the background pool once the ack is on its way; failures are logged."""

    def run() -> None:
        try:
            work()
        except Exception:
            logger.exception("unhandled error after an ack")

    services.background.submit(run)
