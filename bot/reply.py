"""Tell a person something where they are: through response_url if there is one, else by DM."""

from __future__ import annotations

from typing import Any

from bot import blocks
from conversations.errors import Refusal
from prompts import exists, render, under


def tell_user(*, body: dict[str, Any], respond: Any, client: Any, text: str) -> None:
    if body.get("response_url") or body.get("response_urls"):
        respond(**blocks.message(text), response_type="ephemeral", replace_original=False)
        return
    user = (body.get("event") or {}).get("user") or (body.get("user") or {}).get("id")
    if user:
        client.chat_postMessage(channel=user, **blocks.message(text))


def usage_forms(usage: str | None) -> list[str] | None:
    """The right form of a subcommand (`cycle_add`), or of each in a group (`unit`): each
    subcommand's is prompts/commands/usage/<name>.md.j2. None: no form to show."""
    if usage is None:
        return None
    if exists(f"commands/usage/{usage}"):
        return [render(f"commands/usage/{usage}")]
    return [
        render(name)
        for name in under("commands/usage")
        if name.rpartition("/")[2].startswith(f"{usage}_")
    ]


# Refusals the command's right form would only muddle: a view that is not theirs to see at all
# (it reads as if mistyped), and a refusal that gives the form itself. (Who-may refusals of
# things an admin or a unit's manager does keep it: it is what to ask them for.)
NOT_THE_FORM = frozenset({"not_a_manager", "summary_not_yours", "empty_barrier"})


def refusal_text(refusal: Refusal, usage: str | None = None) -> str:
    """Why a request was refused, and (for a slash command mistyped) the command's right form."""
    return render(
        "errors/refusal",
        problem=render(f"errors/{refusal.code}", **refusal.params),
        forms=[] if refusal.code in NOT_THE_FORM else usage_forms(usage),
    )
