"""Engines and migrations. SQLite gets WAL, a busy timeout and immediate write transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest alembic revision; a test keeps it equal to the migrations' head, so opening a
#: current store costs one query instead of importing alembic.
HEAD_REVISION = "0021"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option of the store's read-only sessions (``Store._reads``).
READ_ONLY = "jupyter_orch_read_only"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction never fails to upgrade
        # from reader to writer with "database is locked"; a session that only reads (WAL:
        # it sees the last commit) begins deferred and never waits for the writers.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def masked_url(url: str) -> str:
    """The URL without its password (an unparsable one: what follows the last ``@``)."""
    from ..masking import mask_url

    try:
        make_url(url)
    except (ArgumentError, ValueError):
        return url.split("@")[-1]
    return mask_url(url)


def failure_reason(exc: BaseException, url: str) -> str:
    """Why a store cannot be opened, on one line: ``<url, masked>: <the driver's first line>``."""
    from ..masking import mask_text

    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    text = lines[0] if lines else type(cause).__name__
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        password = None
    if password:
        text = text.replace(str(password), "***")
    return f"{masked_url(url)}: {mask_text(text)}"


def is_permanent(exc: BaseException) -> bool:
    """An error that retrying cannot cure: a malformed URL, an unknown dialect, no driver."""
    return isinstance(exc, (ArgumentError, ImportError))


def schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            value = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except DBAPIError:
        return None
    return str(value) if value is not None else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest alembic revision (creating it on a new database)."""
    if schema_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
