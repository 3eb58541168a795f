"""Fresh databases for tests, fast: the migrations run once per test process into a template,
and each test gets a copy of it (a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on
PostgreSQL). A test never sees another's rows, whatever the order or the worker it runs on."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from storage.db import make_engine, upgrade

POSTGRES_URL = os.environ.get("CASCADE_TEST_POSTGRES_URL")
_made: dict[str, str] = {}  # backend → its template (a file, or a database name)


def _admin() -> Engine:
    assert POSTGRES_URL is not None
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _postgres_url(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _template(backend: str) -> str:
    if backend in _made:
        return _made[backend]
    if backend == "sqlite":
        path = str(Path(tempfile.mkdtemp(prefix="cascade-template-")) / "template.db")
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        with closing(sqlite3.connect(path)) as connection:  # one file: the WAL folded into it
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _made[backend] = path
        return path
    name = f"cascade_template_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(_postgres_url(name))
    upgrade(engine)
    engine.dispose()  # a template must have no one connected while it is copied
    _made[backend] = name
    return name


def fresh_database(backend: str, folder: Path) -> str:
    """The URL of a new, migrated database of its own."""
    template = _template(backend)
    if backend == "sqlite":
        path = folder / "cascade.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return _postgres_url(name)


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by `fresh_database` (its engine disposed first)."""
    name = make_url(url).database
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def drop_templates() -> None:
    for backend, template in list(_made.items()):
        if backend == "sqlite":
            shutil.rmtree(Path(template).parent, ignore_errors=True)
        else:
            drop_database(_postgres_url(template))
        del _made[backend]
