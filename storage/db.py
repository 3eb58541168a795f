"""The engine, sessions and migrations."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Dialect,
    Engine,
    Executable,
    Insert,
    Select,
    Table,
    TableClause,
    Text,
    any_,
    bindparam,
    cast,
    column,
    create_engine,
    event,
    func,
    make_url,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "cascade_read_only"  # an execution option: this transaction only reads


SQLITE_CACHE_KIB = 512  # per connection
READER_POOL = 16  # connections of the readers' own pool: one per thread that answers requests
HURRY = 0.5  # seconds a write on the ack path waits for a lock (`hurried_transaction`)
# PostgreSQL restarting or failing over: a request fails in seconds rather than hangs (Slack
# wants its ack within 3 s), and a connection is checked before use (pool_pre_ping).
POOL_TIMEOUT = 3  # seconds to wait for a connection of the pool
CONNECT_TIMEOUT = 2  # seconds to open one
PATIENCE = (0.25, 0.5, 1.0, 2.0, 4.0)  # waits between tries while the database is away: ~8 s
T = TypeVar("T")
logger = logging.getLogger("cascade")


class DatabaseAway(Exception):
    """The database does not answer now (restarting, failing over)."""


def database_away(error: BaseException) -> bool:
    """Whether `error` says the database is unreachable now, rather than that the work is wrong."""
    if isinstance(error, OperationalError | PoolTimeout | DatabaseAway):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def patiently(work: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """`work()`, tried again (after PATIENCE's waits) while the database is away. Only for work
    that is one transaction, or safe to run again (an event is recorded with its work)."""
    for wait in PATIENCE:
        try:
            return work()
        except Exception as error:
            if not database_away(error):
                raise
            logger.warning(
                "the database is away (%s); trying again in %.2f s", type(error).__name__, wait
            )
            sleep(wait)
    return work()


def reachable(engine: Engine) -> bool:
    """Whether the database answers now (on the readers' pool: it never queues behind turns)."""
    reader = getattr(engine, "_cascade_reader", engine)
    try:
        with reader.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:
        if database_away(error):
            return False
        raise
    return True


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL mode, a busy timeout and foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A failed statement's error (and so its log line) leaves out the values: people's words.
    kwargs.setdefault("hide_parameters", True)
    if not url.startswith("sqlite"):
        kwargs = {
            "pool_pre_ping": True,
            "pool_timeout": POOL_TIMEOUT,
            "connect_args": {"connect_timeout": CONNECT_TIMEOUT},
            **kwargs,
        }
        engine = create_engine(url, **kwargs)
        # The ack path's reads get a pool of their own: under load every connection of the
        # main pool can be held by turns, and an ack must not queue for one (measured: p99 1.9 s
        # with 30 people typing ahead).
        # Its connections wait at most HURRY for any lock, set once as each one opens (a read
        # waits for none but a schema change's): the ack path's writes need no SET per request.
        # (Added to the URL's own options, which name a schema in the tests.)
        given = make_url(url).query.get("options") or kwargs["connect_args"].get("options") or ""
        options = " ".join([*([given] if isinstance(given, str) else given)])
        wait = f"{options} -c lock_timeout={int(HURRY * 1000)}".strip()
        reader_kwargs = {**kwargs, "connect_args": {**kwargs["connect_args"], "options": wait}}
        reader = create_engine(url, pool_size=READER_POOL, max_overflow=0, **reader_kwargs)
        engine._cascade_reader = reader  # type: ignore[attr-defined]
        event.listen(engine, "engine_disposed", lambda *_: reader.dispose())
        return engine
    # Connections are kept (each is set up once: WAL, busy timeout, foreign keys); as many as the
    # threads that may hold one, so nobody waits for a connection rather than for the lock.
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **({"poolclass": NullPool} if memory else {"pool_size": 8, "max_overflow": 64}),
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Each connection keeps its own page cache (2 MiB by default) and dozens may be open at
        # once under load: a smaller one keeps serve's memory bounded; the OS caches the file.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # A transaction that may write takes the write lock up front: two never both read then
        # fail to write. One that only reads takes none: under WAL it reads its snapshot while
        # another transaction writes, and waits for nobody.
        read_only = conn.get_execution_options().get(READ_ONLY)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def hurried_transaction(engine: Engine) -> Iterator[Session]:
    """A unit of work that waits at most HURRY seconds for a lock (SQLite's write lock, held by
    whoever is writing; a PostgreSQL row or table lock), else raises OperationalError: for
    writes on the ack path, which must answer Slack in time whatever else is going on. On
    PostgreSQL it runs on the readers' pool, which turns never hold and whose connections wait
    no longer than that for a lock (see `make_engine`)."""
    with getattr(engine, "_cascade_reader", engine).connect() as connection:
        if engine.dialect.name != "sqlite":
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session
            return
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute(f"PRAGMA busy_timeout={int(HURRY * 1000)}")
        try:
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


@contextmanager
def rehearsal(engine: Engine) -> Iterator[Session]:
    """A unit of work that is always rolled back: what would happen, with nothing kept."""
    with Session(engine, expire_on_commit=False) as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it takes no lock, so it never waits behind a
    writer (nor holds one up); on PostgreSQL it runs on a pool apart from the one turns use, so
    it never waits for a connection either (reads never wait for writers there anyway)."""
    reader = getattr(engine, "_cascade_reader", engine).execution_options(**{READ_ONLY: True})
    with Session(reader, expire_on_commit=False) as session, session.begin():
        yield session


def update_fields(session: Session, row: Any, fields: dict[str, Any]) -> None:
    """Set a row's fields by name (refusing names the model lacks) and flush."""
    for key, value in fields.items():
        if not hasattr(row, key):
            raise AttributeError(key)
        setattr(row, key, value)
    session.add(row)
    session.flush()


def table_of(model: Any) -> Table:
    """A model's Core table, for statements that bypass the ORM."""
    return model.metadata.tables[str(model.__tablename__)]  # type: ignore[no-any-return]


def one_of(
    session: Session, column: Any, values: Sequence[Any], key: str | None = None
) -> ColumnElement[bool]:
    """`column IN values`, for any number of values: on PostgreSQL `= ANY(array)`, one parameter
    (an IN list of 100,000 is past the protocol's 65,535 parameters); elsewhere an IN list.
    Conditions of one statement on the same values may share one parameter, named `key`."""
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(key, list(values), type_=ARRAY(column.type))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(list(values))  # type: ignore[no-any-return]


def restricted_to(
    session: Session, query: Select[Any], column: Any, values: Sequence[Any]
) -> Select[Any]:
    """`query` keeping only rows whose `column` is one of `values`, for any number of values,
    its columns as they were. On PostgreSQL the values unnested (one array parameter), and for
    each the query's rows with that value, looked up by the index on `column` (a LATERAL
    subquery that OFFSET 0 keeps the planner from flattening): a batch costs its own size
    whatever the size of the table, prepared or not. (psycopg prepares a statement run five
    times; the generic plan PostgreSQL then settled on compared `= ANY($1)` with every row of
    the workspace value by value, and a plain join hashed the whole workspace each batch: a
    directory sync of 100,000 people spent 175 s, then 4 s, in these reads.) Elsewhere IN."""
    if session.get_bind().dialect.name != "postgresql":
        return query.where(column.in_(list(values)))
    wanted = func.unnest(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = wanted.table_valued("value").render_derived(name="wanted")
    found = query.where(column == listed.c.value).offset(0).lateral("found")
    return select(*found.c).select_from(listed).join(found, true())


def insert_or(session: Session, model: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say what to do ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


# A big read (tens of thousands of rows at 100,000 people) comes a few thousand rows at a time
# (PostgreSQL: a server-side cursor), each row made what is kept as it comes: the driver's rows,
# SQLAlchemy's and what is kept are never all held at once (the tick's peak memory).
STREAMED = {"yield_per": 5_000}


def plain_rows(session: Session, statement: Executable) -> Iterator[Any]:
    """A Core SELECT's rows (tuples), read past the ORM, which spends time on every row even of
    a statement that loads no objects (a summary reads tens of thousands); to be read once, as
    they come, so each row object is gone before the next thousand (few live long enough for the
    garbage collector to walk them). Pending changes are flushed first, as a query through the
    session would."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    result = session.connection().execute(statement)
    return (row for rows in result.partitions(1000) for row in rows)


def insert_rows(session: Session, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys) with an INSERT on a Table, which may say
    ON CONFLICT. On PostgreSQL, one statement whatever the number of rows (see `_unnested`);
    SQLite's executemany is fast as it is."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(statement, list(rows))
        return
    session.execute(
        statement.from_select(
            list(rows[0]), _unnested(session.get_bind().dialect, statement.table, rows)
        )
    )


def update_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: str = "id",
    where: Sequence[ColumnElement[bool]] = (),
) -> None:
    """Set columns of many rows, each found by its `key` column (and `where`); rows all have the
    same keys and are applied in no particular order. On PostgreSQL one UPDATE … FROM whatever
    the number of rows; on SQLite an executemany."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    if session.get_bind().dialect.name != "postgresql":
        by_key = table.c[key] == bindparam(f"_{key}")
        statement = update(table).where(by_key, *where)
        values: dict[str, Any] = {c: bindparam(f"_{c}") for c in columns}
        params = [{f"_{c}": v for c, v in row.items()} for row in rows]
        session.execute(statement.values(values), params)
        return
    source = _unnested(session.get_bind().dialect, table, rows).subquery("source")
    session.execute(
        update(table)
        .where(table.c[key] == source.c[key], *where)
        .values({c: source.c[c] for c in columns})
    )


def _unnested(dialect: Dialect, table: TableClause, rows: Sequence[dict[str, Any]]) -> Select[Any]:
    """PostgreSQL: the rows as a SELECT from one JSON document, a single text parameter
    (json_to_recordset, each column cast to its type). A statement this way has one parameter,
    not thousands: the driver sends an executemany row by row, spends its time parsing a
    multi-row VALUES, and escapes a text array's every item in Python (at 100,000 rows, arrays
    of names and JSON payloads took longer than the rest of the import); json.dumps is C."""
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    converters = [
        (name, _converter(dialect, c.type)) for name, c in zip(names, columns, strict=True)
    ]
    converting = [(name, convert) for name, convert in converters if convert is not None]
    records: Sequence[dict[str, Any]] = rows
    if converting:
        records = [dict(row) for row in rows]
        for name, convert in converting:
            for converted in records:
                converted[name] = convert(converted[name])
    document = cast(bindparam(None, json.dumps(records), type_=Text), JSON)
    shape = [column(name, c.type) for name, c in zip(names, columns, strict=True)]
    record = func.json_to_recordset(document).table_valued(*shape)
    derived = record.render_derived(name="record", with_types=True)
    return select(*(derived.c[name].label(name) for name in names))


def _converter(dialect: Dialect, type_: Any) -> Callable[[Any], Any] | None:
    """What a column's values go through on their way into the JSON document, if anything: its
    type's own processing (a UTC instant made UTC, say), then an instant or a day as ISO 8601.
    Each distinct value once: the rows of one statement mostly share them (`now`). A JSON
    column's values go as they are (its type's processing would make them strings)."""
    if isinstance(type_, JSON):
        return None
    process = type_.bind_processor(dialect)
    try:
        instants = type_.python_type in (date, datetime)
    except NotImplementedError:
        instants = False
    if process is None and not instants:
        return None
    done: dict[int, tuple[Any, Any]] = {}  # id → (the value, kept alive; what it became)

    def convert(value: Any) -> Any:
        seen = done.get(id(value))
        if seen is None:
            plain = value if process is None else process(value)
            if isinstance(plain, date | datetime):
                plain = plain.isoformat()
            seen = done[id(value)] = (value, plain)
        return seen[1]

    return convert


def expire_rows(session: Session, model: type[Any], ids: set[int]) -> None:
    """Forget what the session holds of rows a bulk statement (which bypasses it) changed."""
    for row in list(session.identity_map.values()):
        if isinstance(row, model) and row.id in ids:
            session.expire(row)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def open_database(url: str) -> Engine:
    """An engine for `url`; SQLite (the embedded default) is migrated on the spot."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    return engine
