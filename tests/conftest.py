from __future__ import annotations

import asyncio
import os
import secrets
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
import sqlalchemy as sa

from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunRecord
from jupyter_orch.run_folders import STAGING_ENV
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

# jp_fetch and friends for the server extension's tests, and our server's fixtures on top.
pytest_plugins = ("pytest_jupyter.jupyter_server", "tests.orch_server")


@pytest.fixture
def scheduler_enabled() -> bool:
    return True


@pytest.fixture
def staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's root of staging folders (remote run folders' local copies)."""
    folder = tmp_path / "staging"
    monkeypatch.setenv(STAGING_ENV, str(folder))
    return folder


@pytest.fixture
def jp_server_config(tmp_path: Path, scheduler_enabled: bool) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_orch": True},
            "allow_unauthenticated_access": False,
        },
        "OrchApp": {
            "db_url": f"sqlite:///{tmp_path / 'orch.sqlite'}",
            "max_workers": 1,
            "scheduler_enabled": scheduler_enabled,
        },
    }


def write_notebook(
    path: Path,
    parameters: str | None = None,
    *cells: str,
    kernel: str | None = "python3",
) -> Path:
    """A notebook with an optional cell tagged ``parameters`` followed by code cells."""
    nb = nbformat.v4.new_notebook()
    if kernel:
        nb.metadata.kernelspec = {"name": kernel, "display_name": kernel, "language": "python"}
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(textwrap.dedent(parameters))
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.extend(nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def fifo() -> Iterator[Callable[[Path], Path]]:
    """Makes FIFOs; at the end, a reader still stuck on one (the defect under test) gets end of
    file, so a failing test ends instead of hanging the session."""
    made: list[Path] = []

    def make(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    for path in made:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO: nobody reads it
        except OSError:
            continue
        os.close(fd)


PG_SERVER = os.environ.get("JUPYTER_ORCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MARIADB_SERVER = os.environ.get("JUPYTER_ORCH_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")


@dataclass(frozen=True)
class DatabaseServer:
    """A database server the tests make throwaway databases on."""

    what: str  # for the skip reason
    server: str
    admin_database: str
    require: str  # the variable that turns a skip into a failure (set by .ci/run)
    quote: str
    drop_options: str = ""

    def database(self) -> Iterator[str]:
        """A new database, dropped afterwards. Skips when no server answers, unless the
        ``require`` variable is 1 (.ci/run starts the server) and makes that a failure."""
        admin = sa.create_engine(
            f"{self.server}/{self.admin_database}",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5},
        )
        name = f"orch_test_{secrets.token_hex(6)}"
        quoted = f"{self.quote}{name}{self.quote}"
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f"create database {quoted}"))
        except Exception as exc:
            admin.dispose()
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reason = f"{self.what} at {self.server} unusable: {first_line}"
            if os.environ.get(self.require) == "1":
                pytest.fail(f"{self.require}=1 but {reason}")
            pytest.skip(reason)
        try:
            yield f"{self.server}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"drop database if exists {quoted}{self.drop_options}"))
            admin.dispose()


POSTGRES = DatabaseServer(
    "PostgreSQL (user postgres, trust auth)",
    PG_SERVER,
    "postgres",
    "JUPYTER_ORCH_REQUIRE_POSTGRES",
    '"',
    " with (force)",
)
MARIADB = DatabaseServer(
    "MariaDB (user root, no password)", MARIADB_SERVER, "", "JUPYTER_ORCH_REQUIRE_MARIADB", "`"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server."""
    yield from POSTGRES.database()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A throwaway database on the local MariaDB server."""
    yield from MARIADB.database()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database for query and export steps: a SQLite file, PostgreSQL, MariaDB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data.sqlite'}"
    return str(
        request.getfixturevalue({"postgresql": "postgres_url"}.get(request.param, "mariadb_url"))
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'orch.sqlite'}")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orch.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    store = Store.open(store_url)
    yield store
    store.close()


@pytest.fixture
def orch(tmp_path: Path, store: Store) -> Orchestrator:
    return Orchestrator(store, tmp_path / "runs")


def write_pipeline(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def write_steps(folder: Path, name: str, steps: str, head: str = "") -> Path:
    """pipeline.yaml of the pipeline ``name``: ``head`` (YAML: limits, schedule, ...), then
    ``steps`` (a YAML list, indented as the caller likes)."""
    head = textwrap.dedent(head).strip("\n")
    steps = textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ")
    lines = [f"name: {name}", *([head] if head else []), "steps:", steps]
    return write_pipeline(folder, "\n".join(lines) + "\n")


def execute(
    orch: Orchestrator, loaded: Any, run: RunRecord, workers: int = 2, executor: Any = None
) -> RunRecord:
    """``run`` to its end on ``executor`` (closed afterwards); by default a LocalExecutor of
    ``workers`` workers."""

    async def go() -> RunRecord:
        nonlocal executor
        executor = executor or LocalExecutor(max_workers=workers)
        try:
            return await orch.execute(loaded, run, executor)
        finally:
            await executor.close()

    return asyncio.run(go())


def run_pipeline(
    orch: Orchestrator,
    path: Path,
    parameters: dict[str, Any] | None = None,
    workers: int = 2,
    executor: Any = None,
) -> RunRecord:
    loaded = load_pipeline(path, connections=orch.connections)
    version = orch.register(loaded)
    run = orch.create_run(loaded, version.version, parameters=parameters)
    return execute(orch, loaded, run, workers, executor)
