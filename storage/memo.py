"""What a transaction has already read, kept for the rest of it until it writes.

A view that is composed of others (the App Home: next steps, my goals, my barriers, my team)
asks for the same small things several times: the workspace, its cycles, its units, my goals.
A repository function that is worth remembering reads through `remembered`; the second ask in
the same transaction costs no query. Anything written (a flush, an UPDATE or DELETE statement, a
commit, a rollback) forgets it all, so nobody ever reads back something stale; but for the
bookkeeping of deliveries (`BOOKKEEPING`), which no remembered read holds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

T = TypeVar("T")
KEY = "cascade.remembered"
_MISSING = object()


def remembered(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """`load()` once per transaction (until it writes); the same answer after that."""
    if session.new or session.deleted or session.dirty:
        session.flush()  # what autoflush would do before a query: pending changes count
    cache: dict[Hashable, Any] = session.info.setdefault(KEY, {})
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = cache[key] = load()
    return cast(T, found)


def keep(session: Session, key: Hashable, value: object) -> None:
    """Remember `value` under `key` (read by a query that answers several keys at once)."""
    session.info.setdefault(KEY, {})[key] = value


def recall(session: Session, key: Hashable) -> Any:
    """What was read under `key` in this transaction, or None when it was not (or was forgotten)."""
    if session.new or session.deleted or session.dirty:
        return None
    return session.info.get(KEY, {}).get(key)


def forget(session: OrmSession, *_: object) -> None:
    session.info.pop(KEY, None)


# Writes that change nothing a remembered read holds: the record that a delivery was done (an
# inbox row marked applied, an event recorded), written beside the work it belongs to.
BOOKKEEPING = frozenset({"inbox", "slackevent"})


def _forget_on_write(state: ORMExecuteState) -> None:
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if not state.is_select and table not in BOOKKEEPING:
        forget(state.session)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(OrmSession, _name, forget)
event.listen(OrmSession, "do_orm_execute", _forget_on_write)
