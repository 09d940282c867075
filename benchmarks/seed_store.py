"""Grow a store's history: ``python benchmarks/seed_store.py DB_URL N`` copies the store's newest
run N times, with its steps and attempts, so that a listing of the copies reads like real runs.

Each copy gets a new id and the next number of its pipeline; the copies are created five minutes
apart going back in time from the store's oldest run (so a second seeding extends the history
instead of interleaving with the first, and the newest run stays the real one), each time of
the run and of its attempts moved by the same amount. In each group of nine copies one, at a
random place, is ``failed`` (its last step and that step's last attempt too); the others keep
the copied run's status. The random generator has a fixed seed.

Rows go in with SQLAlchemy Core, executemany, ``BATCH`` runs per transaction. Exit code 2 with
a message naming the argument when ``N`` is not a positive whole number, the URL cannot be
reached or holds no store, or the store holds no finished run to copy.

Self-contained (imports only jupyter_orch and SQLAlchemy): tests/test_store_indexes.py loads it
by path.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Dialect,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from jupyter_orch.records import FINISHED_RUN_STATUSES
from jupyter_orch.store.engine import failure_reason, make_engine, migrate, schema_revision
from jupyter_orch.store.tables import Base

SEED = 19
GAP = timedelta(minutes=5)
#: One copy in this many is failed.
FAILED_EVERY = 9
#: Runs per transaction.
BATCH = 5000
CONNECT_TIMEOUT_S = 10
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TABLES = Base.metadata.tables
_RUNS, _STEPS, _ATTEMPTS = _TABLES["runs"], _TABLES["step_runs"], _TABLES["step_attempts"]
#: The failed copies' attempt error.
FAILURE = {"ename": "SeededFailure", "evalue": "seeded", "traceback": []}
#: Columns a copy does not take from its run: who executes it, how it was asked for, pinning.
_NOT_COPIED = {
    "claimed_by": None,
    "heartbeat_at": None,
    "cancel_requested": False,
    "idempotency_key": None,
    "request_hash": None,
    "pinned": False,
}
_FINISHED = {status.value for status in FINISHED_RUN_STATUSES}


#: One copy's rows: the run, its steps, its attempts (each with its step's position).
Copy = tuple[dict[str, Any], list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]


class SeedError(Exception):
    """Input the seeding cannot use; ``argument`` names it (``DB_URL`` or ``N``)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


class _Dumped(TypeDecorator[Any]):
    """A JSON column given its text: every copy has the same JSON values, serialized once
    (``dumped``) rather than once per row."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _writable(table: Table) -> Table:
    """``table`` as the copies are inserted into it: its JSON columns take serialized text."""
    columns = [
        Column(c.name, _Dumped() if isinstance(c.type, JSON) else c.type, primary_key=c.primary_key)
        for c in table.columns
    ]
    return Table(table.name, MetaData(), *columns)


_INTO = {table.name: _writable(table) for table in (_RUNS, _STEPS, _ATTEMPTS)}


def dumped(table: Table, row: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """``row`` with the values of its JSON columns bound as ``table`` binds them (text on
    SQLite, psycopg's ``Json`` on PostgreSQL), once; NULL kept."""
    found = dict(row)
    for column in table.columns:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        value = found.get(column.name)
        if isinstance(column.type, JSON) and process and value is not None:
            found[column.name] = process(value)
    return found


@dataclass(frozen=True)
class Template:
    """The run the copies are made of: its row, its steps' rows (by position), its attempts'
    rows (each with the position of its step), JSON values serialized; the oldest creation
    time in the store, and ``FAILURE`` serialized."""

    run: dict[str, Any]
    steps: list[dict[str, Any]]
    attempts: list[tuple[int, dict[str, Any]]]
    oldest: datetime
    failure: Any


def open_engine(url: str) -> Engine:
    """An engine on the store at ``url``, its schema brought to the newest revision."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise SeedError("DB_URL", f"{url!r} is not a database URL") from None
    sqlite = parsed.get_backend_name() == "sqlite"
    # A mistyped path must not leave an empty database (and its folders) behind
    if sqlite and not (parsed.database and Path(parsed.database).expanduser().is_file()):
        raise SeedError("DB_URL", f"no SQLite file at {parsed.database or '(none)'}")
    try:
        if sqlite:
            engine = make_engine(url)
        else:
            engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        with engine.connect():
            pass
    except (SQLAlchemyError, ImportError) as exc:
        raise SeedError("DB_URL", f"cannot reach {failure_reason(exc, url)}") from None
    if schema_revision(engine) is None:
        engine.dispose()
        raise SeedError("DB_URL", "no jupyter-orch store there (no alembic_version table)")
    migrate(engine)
    return engine


def read_template(connection: Connection) -> Template:
    """The newest run of the store (ids sort by creation time) with its steps and attempts."""
    run = connection.execute(select(_RUNS).order_by(_RUNS.c.id.desc()).limit(1)).first()
    if run is None:
        raise SeedError("DB_URL", "the store holds no run to copy; make one first")
    if run.status not in _FINISHED:
        raise SeedError("DB_URL", f"its newest run {run.id} is {run.status}; wait for its end")
    steps = connection.execute(
        select(_STEPS).where(_STEPS.c.run_id == run.id).order_by(_STEPS.c.position)
    ).all()
    position = {step.id: index for index, step in enumerate(steps)}
    attempts = connection.execute(
        select(_ATTEMPTS).where(_ATTEMPTS.c.run_id == run.id).order_by(_ATTEMPTS.c.number)
    ).all()
    oldest = connection.execute(select(func.min(_RUNS.c.created_at))).scalar_one()
    dialect = connection.dialect
    return Template(
        dumped(_RUNS, dict(run._mapping), dialect),
        [dumped(_STEPS, dict(step._mapping), dialect) for step in steps],
        [(position[a.step_run_id], dumped(_ATTEMPTS, dict(a._mapping), dialect)) for a in attempts],
        oldest,
        dumped(_ATTEMPTS, {"error": FAILURE}, dialect)["error"],
    )


def run_id_at(created: datetime, rng: random.Random) -> str:
    """A run id as the store makes them (a ULID: 48 bits of milliseconds, 80 random bits)."""
    value = (int(created.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _moved(row: dict[str, Any], delta: timedelta, *names: str) -> dict[str, Any]:
    return {name: row[name] + delta if row[name] is not None else None for name in names}


def copy_rows(
    template: Template, created: datetime, number: int, failed: bool, rng: random.Random
) -> Copy:
    """The rows of one copy created at ``created``: the run, its steps, its attempts (each with
    its step's position; ``step_run_id`` is filled once the steps have their ids)."""
    old = template.run
    run_id = run_id_at(created, rng)
    delta = created - old["created_at"]
    run = {**old, **_NOT_COPIED, **_moved(old, delta, "started_at", "ended_at", "scheduled_for")}
    run.update(id=run_id, number=number, created_at=created)
    run["run_dir"] = old["run_dir"].replace(old["id"], run_id)
    steps = [{**step, "run_id": run_id} for step in template.steps]
    for step in steps:
        del step["id"]
    attempts = []
    for position, attempt in template.attempts:
        moved = _moved(attempt, delta, "started_at", "ended_at", "heartbeat_at")
        new = {**attempt, **moved, "run_id": run_id, "processes": None}
        del new["id"]
        if new["output_notebook"]:
            new["output_notebook"] = new["output_notebook"].replace(old["id"], run_id)
        attempts.append((position, new))
    if failed:
        _fail(run, steps, attempts, template.failure)
    return run, steps, attempts


def _fail(
    run: dict[str, Any],
    steps: list[dict[str, Any]],
    attempts: list[tuple[int, dict[str, Any]]],
    failure: Any,
) -> None:
    """Make a copy a failed run: its last step failed, and that step's last attempt."""
    run["status"], run["error"] = "failed", "step failed (seeded)"
    if not steps:
        return
    last = len(steps) - 1
    steps[last]["status"] = "failed"
    own = [attempt for position, attempt in attempts if position == last]
    if own:
        own[-1]["status"] = "failed"
        own[-1]["error"] = failure


def insert_batch(
    connection: Connection, template: Template, first: int, count: int, random_seed: int
) -> None:
    """Copies ``first`` .. ``first + count - 1`` (0-based; copy k is created (k + 1) x ``GAP``
    before the oldest run), numbered after the pipeline's runs so far, in one transaction."""
    pipelines = _TABLES["pipelines"]
    pipeline_id = template.run["pipeline_id"]
    made = connection.execute(
        select(pipelines.c.runs_made).where(pipelines.c.id == pipeline_id).with_for_update()
    ).scalar_one()
    rng = random.Random(f"{random_seed}:{first}")
    copies, place = [], _failing_place(first, random_seed)
    for index in range(first, first + count):
        if index % FAILED_EVERY == 0:
            place = _failing_place(index, random_seed)
        failed = index % FAILED_EVERY == place
        created = template.oldest - GAP * (index + 1)
        copies.append(copy_rows(template, created, made + index - first + 1, failed, rng))
    connection.execute(insert(_INTO["runs"]), [run for run, _, _ in copies])
    _insert_steps_and_attempts(connection, copies)
    connection.execute(
        update(pipelines).where(pipelines.c.id == pipeline_id).values(runs_made=made + count)
    )


def _failing_place(index: int, random_seed: int) -> int:
    """Where the failed copy is in the group of nine that copy ``index`` belongs to."""
    return random.Random(f"{random_seed}:{index // FAILED_EVERY}").randrange(FAILED_EVERY)


def _insert_steps_and_attempts(connection: Connection, copies: Sequence[Copy]) -> None:
    steps = [step for _, run_steps, _ in copies for step in run_steps]
    if not steps:
        return
    ids = step_ids(connection, len(steps))
    attempts, offset = [], 0
    for _, run_steps, run_attempts in copies:
        for position, attempt in run_attempts:
            attempts.append({**attempt, "step_run_id": ids[offset + position]})
        offset += len(run_steps)
    connection.execute(
        insert(_INTO["step_runs"]),
        [{**step, "id": i} for step, i in zip(steps, ids, strict=True)],
    )
    if attempts:
        connection.execute(insert(_INTO["step_attempts"]), attempts)


def step_ids(connection: Connection, count: int) -> list[int]:
    """``count`` ids for new step rows, given up front so that attempts can name their step
    without a RETURNING per row (SQLAlchemy sends those one row at a time on SQLite). On
    PostgreSQL taken from the column's sequence, as the store's own inserts take theirs;
    elsewhere after the largest, which the transaction's write lock keeps (SQLite)."""
    if connection.dialect.name == "postgresql":
        taken = connection.execute(
            text(
                "select nextval(pg_get_serial_sequence('step_runs', 'id')) from generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(taken.scalars())
    largest = connection.execute(select(func.max(_STEPS.c.id))).scalar() or 0
    return list(range(largest + 1, largest + 1 + count))


def seed(url: str, count: int, *, batch: int = BATCH, random_seed: int = SEED) -> Template:
    """Add ``count`` copies of the newest run of the store at ``url``; the run copied.
    ``SeedError`` for input it cannot use (nothing written then)."""
    if count < 1:
        raise SeedError("N", f"give a positive whole number of runs, not {count}")
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            template = read_template(connection)
        for first in range(0, count, batch):
            with engine.begin() as connection:
                insert_batch(connection, template, first, min(batch, count - first), random_seed)
    finally:
        engine.dispose()
    return template


def whole_number(text: str) -> int:
    """``N``: a positive whole number (argparse names the argument in its error)."""
    digits = text.strip().replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"give a positive whole number of runs, not {text!r}")
    return int(digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("db_url", metavar="DB_URL", help="the store, e.g. sqlite:///orch.sqlite")
    parser.add_argument("count", metavar="N", type=whole_number, help="copies to add")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        template = seed(args.db_url, args.count)
    except SeedError as exc:
        parser.error(f"argument {exc}")  # exit code 2
    print(
        f"added {args.count} copies of run {template.run['id']} in "
        f"{time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
