"""The runs page costs the same whatever the history: unfiltered, by pipeline or by status, the
database walks an index in the page's order (newest id first) and stops at the limit, never
sorting every matching run. A change that loses one of these indexes fails here, not only in
the benchmark (scenario 8). Also ``benchmarks/seed_store.py``, which makes the long histories.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select

from jupyter_orch.records import AttemptRecord, AttemptStatus, RunStatus, StepStatus, Trigger
from jupyter_orch.store.repository import Store
from jupyter_orch.store.tables import RunRow

SEED_STORE = Path(__file__).resolve().parent.parent / "benchmarks" / "seed_store.py"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
#: The page's filters, and the index each one must walk (the primary key's, unfiltered).
FILTERS = {
    "unfiltered": ({}, {"sqlite": "sqlite_autoindex_runs_1", "postgresql": "runs_pkey"}),
    "by pipeline": ({"pipeline": "b"}, {"sqlite": "ix_runs_pipeline_newest"}),
    "by status": ({"status": "failed"}, {"sqlite": "ix_runs_status_newest"}),
}


def _load_seed_store() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_store", SEED_STORE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


seed_store = _load_seed_store()


def finished_run(store: Store, pipeline: str) -> str:
    """A succeeded run of ``pipeline`` (registered if new) with two steps, one attempt each."""
    if not any(state.name == pipeline for state in store.pipeline_states()):
        store.register(pipeline, f"/p/{pipeline}.yaml", f"name: {pipeline}\n", {})
    run = store.create_run(
        pipeline=pipeline,
        version=1,
        trigger=Trigger.MANUAL,
        parameters={"x": 1},
        steps=[("a", []), ("b", ["a"])],
        runs_dir="/runs",
    )
    for step in ("a", "b"):
        attempt = AttemptRecord(1, AttemptStatus.SUCCEEDED, T0, T0 + timedelta(seconds=2))
        store.save_attempt(run.id, step, attempt, step_status=StepStatus.SUCCEEDED)
    done = {"a": StepStatus.SUCCEEDED, "b": StepStatus.SUCCEEDED}
    store.settle_run(run.id, RunStatus.SUCCEEDED, None, T0, steps=done, attempt_error={})
    return run.id


def statements_of(store: Store, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECTs of a page of runs (a LIMIT) that ``call`` sends, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM runs" in statement and "LIMIT" in statement:
            sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return sent


def plan(store: Store, statement: str, parameters: Any) -> str:
    """The database's plan for a statement, one line per step."""
    explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(explain + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def page_plans(store: Store, filters: dict[str, str]) -> list[str]:
    """The plans of the runs page (``GET /orch/runs``) and of ``jupyter orch runs``."""
    sent = statements_of(store, lambda: store.run_ids_page(limit=51, **filters))
    sent += statements_of(store, lambda: store.list_runs(limit=20, **filters))
    assert len(sent) == 2
    return [plan(store, statement, parameters) for statement, parameters in sent]


@pytest.mark.parametrize("name", FILTERS)
def test_on_sqlite_the_runs_page_walks_an_index_in_its_order(store: Store, name: str) -> None:
    filters, indexes = FILTERS[name]
    for pipeline in ("a", "b", "a"):
        finished_run(store, pipeline)
    for found in page_plans(store, filters):
        assert "TEMP B-TREE" not in found, found
        assert f"runs USING INDEX {indexes['sqlite']}" in found, found


def test_the_migrations_make_the_page_indexes(store: Store) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(store.engine).get_indexes("runs")}
    assert indexes["ix_runs_status_newest"] == ["status", "id"]
    assert indexes["ix_runs_pipeline_newest"] == ["pipeline_id", "id"]
    assert "ix_runs_status" not in indexes  # (status, id) serves every lookup it served


@pytest.fixture
def long_history(postgres_url: str) -> Iterator[Store]:
    """PostgreSQL, analyzed: pipeline ``a`` with 2,701 runs (one in nine copies failed), then
    ``b`` with 151, all but its newest older than every run of ``a``."""
    store = Store.open(postgres_url)
    try:
        finished_run(store, "a")
        seed_store.seed(postgres_url, 2700)
        finished_run(store, "b")
        seed_store.seed(postgres_url, 150)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        yield store
    finally:
        store.close()


def test_on_postgresql_the_runs_page_walks_an_index_in_its_order(long_history: Store) -> None:
    store = long_history
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(store.engine).get_indexes("runs")}
    assert indexes["ix_runs_status_newest"] == ["status", "id"]
    assert indexes["ix_runs_pipeline_newest"] == ["pipeline_id", "id"]
    expected = {
        "unfiltered": "Index Scan Backward using runs_pkey on runs",
        "by pipeline": "Index Scan Backward using ix_runs_pipeline_newest on runs",
        "by status": "Index Scan Backward using ix_runs_status_newest on runs",
    }
    for name, (filters, _) in FILTERS.items():
        for found in page_plans(store, filters):
            assert expected[name] in found, f"{name}:\n{found}"
            assert "Sort" not in found and "Seq Scan on runs" not in found, f"{name}:\n{found}"


# --- benchmarks/seed_store.py -----------------------------------------------------------------


def test_seeding_copies_the_newest_run_back_in_time(store: Store) -> None:
    newest = finished_run(store, "a")
    template = store.get_run(newest)
    seed_store.seed(store.url, 27, batch=10)  # three transactions
    seed_store.seed(store.url, 9)  # a second seeding goes on from the oldest run
    runs = store.list_runs(limit=100)
    assert len(runs) == 37 and runs[0].id == newest
    copies = runs[1:]
    assert sorted(run.number for run in runs) == list(range(1, 38))
    assert store.get_version("a").version == 1 and len({run.id for run in runs}) == 37
    gaps = {older.created_at - newer.created_at for newer, older in pairwise(runs)}
    assert gaps == {-seed_store.GAP}
    assert [run.status for run in copies].count(RunStatus.FAILED) == 4  # one in each nine
    for copy in copies:
        assert copy.run_dir == f"/runs/a/{copy.id}"
        assert [step.name for step in copy.steps] == ["a", "b"]
        moved = copy.created_at - template.created_at
        for step, original in zip(copy.steps, template.steps, strict=True):
            [attempt] = step.attempts
            assert attempt.started_at == original.attempts[0].started_at + moved
        if copy.status is RunStatus.FAILED:
            assert copy.steps[-1].status is StepStatus.FAILED
            assert copy.steps[-1].attempts[0].error is not None
        else:
            assert copy.status is RunStatus.SUCCEEDED and copy.parameters == {"x": 1}
    # the pipeline's next run takes the next number
    assert finished_run(store, "a") and store.list_runs(limit=1)[0].number == 38


@pytest.mark.parametrize("count", ["0", "-3", "1.5", "ten", ""])
def test_seeding_refuses_a_count_that_is_not_a_positive_whole_number(
    store: Store, count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    finished_run(store, "a")
    with pytest.raises(SystemExit) as exited:
        seed_store.main([store.url, count])
    assert exited.value.code == 2
    assert "argument N: give a positive whole number" in capsys.readouterr().err
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(RunRow)).scalar() == 1


def test_seeding_refuses_a_store_it_cannot_use(
    tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "none" / "orch.sqlite"
    cases = {
        store.url: "the store holds no run to copy",
        f"sqlite:///{elsewhere}": "no SQLite file at",
        "postgresql+psycopg://postgres@127.0.0.1:1/orch": "cannot reach",
        "nonsense": "'nonsense' is not a database URL",
    }
    for url, message in cases.items():
        with pytest.raises(SystemExit) as exited:
            seed_store.main([url, "10"])
        assert exited.value.code == 2
        assert f"argument DB_URL: {message}" in capsys.readouterr().err
    assert not elsewhere.parent.exists()  # a mistyped path leaves nothing behind
    store.register("a", "/p/a.yaml", "name: a\n", {})
    queued = store.create_run(
        pipeline="a", version=1, trigger=Trigger.MANUAL, parameters={}, steps=[], runs_dir="/r"
    )
    with pytest.raises(SystemExit) as exited:
        seed_store.main([store.url, "10"])
    assert exited.value.code == 2
    assert f"argument DB_URL: its newest run {queued.id} is queued" in capsys.readouterr().err


def test_seed_store_runs_as_a_script(store: Store) -> None:
    finished_run(store, "a")
    done = subprocess.run(
        [sys.executable, str(SEED_STORE), store.url, "5"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert len(store.list_runs(limit=10)) == 6
    refused = subprocess.run([sys.executable, str(SEED_STORE), store.url, "0"], capture_output=True)
    assert refused.returncode == 2 and b"argument N" in refused.stderr


def test_a_claim_reads_the_limits_of_its_queued_runs_pipelines_only(tmp_path: Path) -> None:
    """Admission reads the definitions of the pipelines whose runs wait, not every pipeline's
    (10,000 definitions were a fifth of a second inside the admission lock, on every claim).
    Shown by pipelines whose limit cannot be read: a claim that read them would fail."""
    store = Store.open(f"sqlite:///{tmp_path / 'orch.sqlite'}")
    try:
        for index in range(20):
            unreadable = {"limits": {"max_concurrent_runs": "not a number"}}
            store.register(f"other-{index}", f"/p/other-{index}.yaml", "name: x\n", unreadable)
        store.register("waits", "/p/waits.yaml", "name: waits\n", {"limits": {}})
        runs = [
            store.create_run(
                pipeline="waits",
                version=1,
                trigger=Trigger.MANUAL,
                parameters={},
                steps=[("a", [])],
                runs_dir="/runs",
            ).id
            for _ in range(2)
        ]
        now = T0 + timedelta(days=1)
        assert store.claim_queued("me", capacity=1, global_limit=8, now=now) == runs[:1]
        assert store.claim_run(runs[1], "me", global_limit=8, now=now)
    finally:
        store.close()
