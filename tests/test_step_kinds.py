"""Query, function and export steps, run for real: worker processes, SQLite, PostgreSQL and
MariaDB (each test makes and drops its own database)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import nbformat
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from jupyter_orch.connections import Connections
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunRecord, StepStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import execute, run_pipeline, write_steps
from .helpers import gone, read_json, wait_for

pytestmark = pytest.mark.slow


def seed_users(url: str, rows: int = 50) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table users (user_id integer primary key, name varchar(50), created_at varchar(10))"))  # fmt: skip
        conn.execute(
            sa.text("insert into users values (:user_id, :name, :created_at)"),
            [
                {"user_id": i, "name": f"user{i}", "created_at": f"2026-01-{i % 28 + 1:02d}"}
                for i in range(1, rows + 1)
            ],
        )
    engine.dispose()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def orchestrator(store: Store, tmp_path: Path, url: str) -> Orchestrator:
    return Orchestrator(store, tmp_path / "runs", connections=Connections({"warehouse": url}))


def run_query(
    tmp_path: Path,
    store: Store,
    url: str,
    sql: str,
    parameters: str,
    run_parameters: dict[str, Any] | None = None,
) -> RunRecord:
    """A one-step pipeline querying ``url``, seeded with 10 users."""
    seed_users(url, rows=10)
    step = f"- {{name: q, sql: {sql!r}, connection: warehouse, parameters: {parameters}}}"
    head = "parameters: {name: nobody}" if run_parameters else ""
    path = write_steps(tmp_path, "one", step, head=head)
    return run_pipeline(orchestrator(store, tmp_path, url), path, run_parameters)


def step(run: RunRecord, name: str) -> Any:
    return next(s for s in run.steps if s.name == name)


def errors(run: RunRecord) -> list[Any]:
    return [
        (s.name, s.attempts[-1].error) for s in run.steps if s.attempts and s.attempts[-1].error
    ]


def log_text(store: Store, run: RunRecord) -> str:
    return "\n".join(line.message for line in store.get_logs(run.id))


FOUR_KINDS = """
- name: new_users
  sql: |
    SELECT user_id, name, created_at FROM users
    WHERE created_at > :since AND user_id IN :ids ORDER BY user_id
  connection: warehouse
  parameters: {since: "{{ params.since }}", ids: [3, 4, 5, 30, 31]}
- name: per_day
  python: transforms.py:per_day
  needs: [new_users]
  parameters: {path: "{{ steps.new_users.outputs.path }}", minimum: 1}
- name: load
  needs: [per_day]
  export:
    from: "{{ steps.per_day.outputs.path }}"
    to: {table: users_per_day, connection: warehouse, key: [created_at]}
- name: keep_csv
  needs: [per_day]
  export: {from: "{{ steps.per_day.outputs.path }}", to: {file: "{{ run.dir }}/per_day.csv"}}
"""

TRANSFORMS = """
import pyarrow.parquet as pq

def per_day(path, minimum=0):
    import pandas as pd
    frame = pq.read_table(path).to_pandas()
    print(f"read {len(frame)} rows")
    counts = frame.groupby("created_at").size().reset_index(name="n")
    return counts[counts.n >= minimum]
"""


def test_a_pipeline_of_the_four_kinds_runs_on_each_database(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    seed_users(database_url)
    (tmp_path / "transforms.py").write_text(TRANSFORMS)
    path = write_steps(tmp_path, "four", FOUR_KINDS, head='parameters: {since: "2026-01-03"}')
    orch = orchestrator(store, tmp_path, database_url)

    run = run_pipeline(orch, path)

    assert run.status.value == "succeeded", errors(run)
    query = step(run, "new_users").outputs
    assert query["records_count"] == 4  # 30 was made on 2026-01-03, not after it
    assert query["columns"] == ["user_id", "name", "created_at"]
    assert pq.read_table(query["path"]).column("user_id").to_pylist() == [3, 4, 5, 31]
    assert step(run, "per_day").outputs["records_count"] == 3
    assert step(run, "load").outputs == {
        "records_count": 3, "table": "users_per_day", "action": "upserted"
    }  # fmt: skip
    assert sorted(rows(database_url, "select created_at, n from users_per_day")) == [
        ("2026-01-04", 2),
        ("2026-01-05", 1),
        ("2026-01-06", 1),
    ]
    csv = Path(step(run, "keep_csv").outputs["path"])
    assert csv.read_text().splitlines()[0] == '"created_at","n"'
    log = log_text(store, run)
    assert "Step 1: new_users succeeded (4 records)" in log
    assert "Step 2: per_day succeeded (4 -> 3 records)" in log
    assert "Step 3: load succeeded (3 upserted into users_per_day)" in log
    assert "Step 4: keep_csv succeeded (3 records written to per_day.csv)" in log
    assert "read 4 rows" in log  # what the function printed
    for name in ("new_users", "per_day", "load", "keep_csv"):
        notebook = nbformat.read(step(run, name).attempts[-1].output_notebook, as_version=4)
        nbformat.validate(notebook)
    query_nb = Path(step(run, "new_users").attempts[-1].output_notebook).read_text()
    assert "WHERE created_at" in query_nb and "user31" in query_nb

    # Again: the upsert updates the rows it finds by key instead of adding them
    run = run_pipeline(orch, path)
    assert run.status.value == "succeeded", errors(run)
    assert len(rows(database_url, "select * from users_per_day")) == 3


@pytest.mark.parametrize("value", ["x'; DROP TABLE users; --", "1 OR 1=1", "' OR '1'='1"])
def test_query_parameters_reach_the_database_as_values_never_as_sql(
    tmp_path: Path, store: Store, database_url: str, value: str
) -> None:
    """RELIABILITY case 23."""
    run = run_query(
        tmp_path,
        store,
        database_url,
        "SELECT user_id FROM users WHERE name = :name",
        parameters='{name: "{{ params.name }}"}',
        run_parameters={"name": value},
    )

    assert run.status.value == "succeeded", errors(run)
    assert step(run, "q").outputs["records_count"] == 0
    assert rows(database_url, "select count(*) from users") == [(10,)]


def test_statements_of_one_query_run_in_one_transaction(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    seed_users(database_url, rows=3)
    (tmp_path / "q.sql").write_text(
        "INSERT INTO users VALUES (100, 'a', '2026-02-01');\n"
        "UPDATE users SET name = 'b' WHERE user_id = 1;\n"
        "SELECT no_such_column FROM users;\n"
    )
    path = write_steps(tmp_path, "tx", "- {name: q, sql: {file: q.sql}, connection: warehouse}")
    run = run_pipeline(orchestrator(store, tmp_path, database_url), path)

    assert run.status.value == "failed"
    error = step(run, "q").attempts[-1].error
    assert "no_such_column" in error["evalue"]
    assert rows(database_url, "select count(*) from users") == [(3,)]
    assert rows(database_url, "select name from users where user_id = 1") == [("user1",)]
    notebook = Path(step(run, "q").attempts[-1].output_notebook).read_text()
    assert "no_such_column" in notebook and '"output_type": "error"' in notebook


def test_a_query_that_changes_rows_records_how_many(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    run = run_query(
        tmp_path, store, database_url, "UPDATE users SET name = 'x' WHERE user_id <= :n", "{n: 4}"
    )
    assert run.status.value == "succeeded", errors(run)
    assert step(run, "q").outputs == {"records_count": 4}


SLEEPS = {
    "postgresql": (
        "SELECT pg_sleep(60)",
        "select count(*) from pg_stat_activity where query like 'SELECT pg_sleep(60)%'",
    ),
    "mariadb": (
        "SELECT SLEEP(60)",
        "select count(*) from information_schema.processlist where info like 'SELECT SLEEP(60)%'",
    ),
}


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_a_query_past_its_timeout_is_cancelled_on_the_server(
    tmp_path: Path, store: Store, server: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue("postgres_url" if server == "postgresql" else "mariadb_url"))
    sleep, running = SLEEPS[server]
    path = write_steps(
        tmp_path, "slow", f"- {{name: q, sql: {sleep!r}, connection: warehouse, timeout: 2s}}"
    )
    started = time.monotonic()
    run = run_pipeline(orchestrator(store, tmp_path, url), path)

    assert step(run, "q").status is StepStatus.TIMED_OUT
    assert time.monotonic() - started < 30
    assert wait_for(lambda: rows(url, running) == [(0,)], 10), "the query still runs"


FUNCTIONS = """
import os, subprocess, time, json, pathlib

def sleeper(pids):
    child = subprocess.Popen(["sleep", "300"])
    pathlib.Path(pids).write_text(json.dumps({"self": os.getpid(), "child": child.pid}))
    time.sleep(300)

def starter(pids):
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    pathlib.Path(pids).write_text(json.dumps({"self": os.getpid(), "child": child.pid}))
    return {"started": child.pid}

def raiser(n):
    raise ValueError(f"bad input {n}")
"""


def test_function_steps_end_like_notebook_steps(tmp_path: Path, store: Store) -> None:
    (tmp_path / "functions.py").write_text(FUNCTIONS)
    path = write_steps(
        tmp_path,
        "functions",
        f"""
        - {{name: sleeps, python: "functions.py:sleeper", timeout: 10s,
            parameters: {{pids: "{tmp_path / "sleeper.json"}"}}}}
        - {{name: starts, python: "functions.py:starter",
            parameters: {{pids: "{tmp_path / "starter.json"}"}}}}
        - {{name: raises, python: "functions.py:raiser", parameters: {{n: 7}}}}
        """,
    )
    run = run_pipeline(Orchestrator(store, tmp_path / "runs"), path, workers=3)

    assert step(run, "sleeps").status is StepStatus.TIMED_OUT
    assert step(run, "starts").status is StepStatus.SUCCEEDED
    raised = step(run, "raises")
    assert raised.status is StepStatus.FAILED
    error = raised.attempts[-1].error
    assert (error["ename"], error["evalue"]) == ("ValueError", "bad input 7")
    assert any("raiser" in line for line in error["traceback"])
    notebook = Path(raised.attempts[-1].output_notebook).read_text()
    assert "bad input 7" in notebook and "raiser(n=7)" in notebook
    for name in ("sleeper", "starter"):
        pids = read_json(tmp_path / f"{name}.json")
        assert wait_for(lambda p=pids: gone(p["self"]) and gone(p["child"]), 10), name


def test_a_million_row_query_streams_to_parquet_in_bounded_memory(
    tmp_path: Path, postgres_url: str
) -> None:
    """The process executing the query grows by less than 200 MB over its resident size
    before the query (measured here: its peak resident size from the query's start, VmHWM
    reset through /proc/self/clear_refs, against the size just before)."""
    script = textwrap.dedent(
        """
        import json, sys, psutil
        from jupyter_orch.executors.base import skip_slow_optional_imports
        skip_slow_optional_imports()  # as the step's own process does
        from jupyter_orch.calls.query import run_query
        from jupyter_orch.calls.report import Report
        import pyarrow, sqlalchemy, sqlparse, psycopg  # loaded before the measure
        url, output, notebook = sys.argv[1:]
        spec = {"url": url, "output": output, "step": "big", "parameters": {"n": 1000000},
                "sql": "SELECT g AS id, md5(g::text) AS digest, now() AS at "
                       "FROM generate_series(1, :n) AS g"}
        report = Report(notebook, "big")  # nbformat, imported as the process starts
        before = psutil.Process().memory_info().rss
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak (VmHWM) starts again from here: imports are not counted
        outputs = run_query(spec, report, None)
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        peak = int(status["VmHWM"].split()[0]) * 1024
        print(json.dumps({"before": before, "peak": peak, "outputs": outputs}))
        """
    )
    output = tmp_path / "big.parquet"
    done = subprocess.run(
        [sys.executable, "-c", script, postgres_url, str(output), str(tmp_path / "big.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.splitlines()[-1])
    growth_mb = (measured["peak"] - measured["before"]) / 2**20
    print(f"1,000,000-row query: peak growth {growth_mb:.0f} MB over {measured['before'] / 2**20:.0f} MB")  # fmt: skip
    assert measured["outputs"]["records_count"] == 1_000_000
    assert pq.ParquetFile(output).metadata.num_rows == 1_000_000
    assert growth_mb < 200


def test_colons_in_literals_and_comments_are_not_parameters(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    run = run_query(
        tmp_path,
        store,
        database_url,
        "SELECT ':literal' AS a, '10:30' AS b, COUNT(*) AS n FROM users WHERE user_id > :n"
        " -- not a parameter: :since",
        "{n: 7}",
    )
    assert run.status.value == "succeeded", errors(run)
    table = pq.read_table(step(run, "q").outputs["path"]).to_pylist()
    assert table == [{"a": ":literal", "b": "10:30", "n": 3}]


def test_an_empty_result_keeps_its_columns_and_exports_as_an_empty_table(
    tmp_path: Path, store: Store, database_url: str
) -> None:
    seed_users(database_url, rows=3)
    path = write_steps(
        tmp_path,
        "empty",
        """
        - {name: q, sql: "SELECT user_id, name FROM users WHERE user_id > :n", connection: warehouse, parameters: {n: 100}}
        - name: load
          needs: [q]
          export: {from: "{{ steps.q.outputs.path }}", to: {table: none_yet, connection: warehouse}}
        """,
    )
    run = run_pipeline(orchestrator(store, tmp_path, database_url), path)
    assert run.status.value == "succeeded", errors(run)
    assert pq.read_schema(step(run, "q").outputs["path"]).names == ["user_id", "name"]
    assert step(run, "load").outputs["records_count"] == 0
    assert rows(database_url, "select count(*) from none_yet") == [(0,)]


def test_a_runs_detail_names_each_steps_kind(tmp_path: Path, store: Store) -> None:
    from jupyter_orch.catalog import Catalog

    (tmp_path / "functions.py").write_text("def f():\n    return {'ok': True}\n")
    path = write_steps(
        tmp_path,
        "kinds",
        """
        - {name: q, sql: "SELECT 1 AS one", connection: "sqlite:///{{ run.dir }}/x.db"}
        - {name: f, python: "functions.py:f"}
        """,
    )
    orch = Orchestrator(store, tmp_path / "runs")
    run = run_pipeline(orch, path)
    detail = Catalog(orch, tmp_path).run(run.id)
    assert {s["name"]: s["kind"] for s in detail["steps"]} == {"q": "query", "f": "function"}


def test_paths_a_step_renders_must_stay_inside_the_root(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "data.csv").write_text("a\n1\n")
    outside = tmp_path / "outside.csv"
    path = write_steps(
        root,
        "escape",
        """
        - name: e
          export: {from: data.csv, to: {file: "{{ params.target }}"}}
        """,
        head=f"parameters: {{target: {str(outside)!r}}}",
    )
    orch = Orchestrator(store, root / "runs", root=root)
    loaded = load_pipeline(path, root=root)  # as the server loads what it runs
    run = execute(orch, loaded, orch.create_run(loaded, orch.register(loaded).version))

    error = step(run, "e").attempts[-1].error
    assert (run.status.value, error["ename"]) == ("failed", "InvalidExport")
    assert "outside the server's root folder" in error["evalue"]
    assert not outside.exists()


def test_a_function_flooding_both_streams_is_capped_and_still_reports(
    tmp_path: Path, store: Store
) -> None:
    """Output on both streams at once and a 5 MB line without an end: the step still reports
    its outputs and the log's cap holds. (The readers' shared lock and bounded reads are not
    shown failing here: small messages did not interleave without them in three runs.)"""
    (tmp_path / "loud.py").write_text(
        "import sys\n"
        "def loud():\n"
        "    for i in range(3000):\n"
        "        print('out', i, 'x' * 500)\n"
        "        print('err', i, 'y' * 500, file=sys.stderr)\n"
        "    sys.stdout.write('z' * 5_000_000)\n"
        "    return {'done': True}\n"
    )
    path = write_steps(tmp_path, "loud", '- {name: loud, python: "loud.py:loud"}')
    run = run_pipeline(Orchestrator(store, tmp_path / "runs"), path)

    assert run.status.value == "succeeded", errors(run)
    assert step(run, "loud").outputs == {"done": True}
    assert "[output truncated:" in log_text(store, run)


def test_a_function_steps_notebook_keeps_the_output_cap(tmp_path: Path, store: Store) -> None:
    """A query, function or export step's output notebook keeps the caps notebook steps keep:
    an error whose message is 3 MB is a marker there (the attempt's record keeps the error)."""
    (tmp_path / "huge.py").write_text("def huge():\n    raise ValueError('v' * 3_000_000)\n")
    path = write_steps(tmp_path, "huge", '- {name: huge, python: "huge.py:huge"}')
    run = run_pipeline(Orchestrator(store, tmp_path / "runs"), path)

    attempt = step(run, "huge").attempts[-1]
    assert (run.status.value, attempt.error["ename"]) == ("failed", "ValueError")
    notebook = Path(attempt.output_notebook)
    assert notebook.stat().st_size < 100_000
    (error,) = [o for c in nbformat.read(notebook, as_version=4).cells for o in c.get("outputs", [])
                if o.output_type == "error"]  # fmt: skip
    assert error.ename == "ValueError"
    assert error.evalue.startswith("[output truncated: this error output (")
    assert error.evalue.endswith("not kept; an output keeps at most 1.0 MB]")
