from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text

from jupyter_orch.errors import ConflictError, NotFoundError
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunStatus, StepStatus, Trigger
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import LogLine, new_run_id


def test_schema_is_created_by_migrating(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "alembic_version",
        "pipelines",
        "pipeline_versions",
        "runs",
        "step_runs",
        "step_attempts",
        "log_lines",
    } <= tables
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_reopening_migrated_store_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.sqlite'}"
    Store.open(url).close()
    Store.open(url).close()


def test_versions_change_only_with_content(store: Store) -> None:
    first = store.register("p", "/a/p.yaml", "name: p\n", {"name": "p"})
    same = store.register("p", "/a/p.yaml", "name: p\n", {"name": "p"})
    changed = store.register("p", "/a/p.yaml", "name: p\n# edit\n", {"name": "p"})
    assert (first.created, first.version.version) == (True, 1)
    assert (same.created, same.version.version) == (False, 1)
    assert (changed.created, changed.version.version) == (True, 2)
    assert store.get_version("p", 1).source == "name: p\n"
    assert store.get_version("p").version == 2


def test_same_name_from_another_file_is_refused_unless_replace(store: Store) -> None:
    store.register("p", "/a/p.yaml", "name: p\n", {})
    with pytest.raises(ConflictError, match=r"already registered from /a/p\.yaml"):
        store.register("p", "/b/p.yaml", "name: p\n", {})
    assert (
        store.register("p", "/b/p.yaml", "name: p\n", {}, replace=True).version.path == "/b/p.yaml"
    )


def test_run_attempts_and_logs_round_trip(store: Store) -> None:
    store.register("p", "/a/p.yaml", "name: p\n", {})
    run = store.create_run(
        pipeline="p",
        version=1,
        trigger=Trigger.MANUAL,
        parameters={"d": [1, {"x": None}]},
        steps=[("a", []), ("b", ["a"])],
        runs_dir="/runs",
    )
    assert run.status is RunStatus.QUEUED and run.run_dir == f"/runs/p/{run.id}"
    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    end = datetime(2026, 1, 1, 9, 0, 2, 500000, tzinfo=timezone.utc)
    store.update_run(run.id, status=RunStatus.RUNNING, started_at=start)
    store.save_attempt(run.id, "a", AttemptRecord(1, AttemptStatus.RUNNING, start))
    store.save_attempt(
        run.id,
        "a",
        AttemptRecord(
            1,
            AttemptStatus.FAILED,
            start,
            end,
            {"n": 1},
            {"ename": "E"},
            "/runs/a.ipynb",
            {"peak_memory_bytes": 123_456_789, "cpu_seconds": 1.25},
            lineage={"inputs": ["warehouse.orders"], "outputs": ["data/x.csv"]},
        ),
    )
    store.update_step(run.id, "a", status=StepStatus.FAILED)
    store.add_logs(
        run.id,
        [LogLine(start, None, "orch", "Pipeline started"), LogLine(end, "a", "stdout", "hi")],
    )
    got = store.get_run(run.id).to_dict()
    assert got["parameters"] == {"d": [1, {"x": None}]}
    assert got["started_at"] == "2026-01-01T09:00:00+00:00"
    [step_a, step_b] = got["steps"]
    assert step_b == {"name": "b", "needs": ["a"], "status": "pending", "attempts": []}
    assert step_a["attempts"] == [
        {
            "number": 1,
            "status": "failed",
            "started_at": "2026-01-01T09:00:00+00:00",
            "ended_at": "2026-01-01T09:00:02.500000+00:00",
            "duration_s": 2.5,
            "outputs": {"n": 1},
            "error": {"ename": "E"},
            "output_notebook": "/runs/a.ipynb",
            "resources": {"peak_memory_bytes": 123_456_789, "cpu_seconds": 1.25},
            "lineage": {"inputs": ["warehouse.orders"], "outputs": ["data/x.csv"]},
        }
    ]
    assert [ln.message for ln in store.get_logs(run.id)] == ["Pipeline started", "hi"]


def test_list_runs_newest_first_with_filters(store: Store) -> None:
    store.register("p", "/a/p.yaml", "x", {})
    store.register("q", "/a/q.yaml", "y", {})
    ids = []
    for name in ("p", "q", "p"):
        ids.append(
            store.create_run(
                pipeline=name,
                version=1,
                trigger=Trigger.API,
                parameters={},
                steps=[],
                runs_dir="/r",
            ).id
        )
    store.update_run(ids[0], status=RunStatus.SUCCEEDED)
    assert [r.id for r in store.list_runs()] == ids[::-1]
    assert [r.id for r in store.list_runs(pipeline="p")] == [ids[2], ids[0]]
    assert [r.id for r in store.list_runs(status="succeeded")] == [ids[0]]
    assert len(store.list_runs(limit=1)) == 1


def test_lookups_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.get_run("nope")
    with pytest.raises(LookupError):
        store.get_version("nope")


def test_run_ids_sort_by_time() -> None:
    ids = [new_run_id() for _ in range(50)]
    assert len(set(ids)) == 50 and all(len(i) == 26 for i in ids)


def test_head_revision_constant_matches_the_migrations(store: Store) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from jupyter_orch.store.engine import HEAD_REVISION, MIGRATIONS, schema_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    assert schema_revision(store.engine) == HEAD_REVISION


def test_a_page_of_runs_is_three_queries_whatever_its_size(store: Store) -> None:
    """The runs list (the sidebar polls it every 2 s while runs are active) reads a page of
    runs with their steps and attempts in three queries, not three per run."""
    store.register("p", "/a/p.yaml", "x", {})
    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    ids = []
    for n in range(12):
        run = store.create_run(
            pipeline="p",
            version=1,
            trigger=Trigger.API,
            parameters={"n": n},
            steps=[("a", []), ("b", ["a"])],
            runs_dir="/r",
        )
        store.save_attempt(run.id, "a", AttemptRecord(1, AttemptStatus.SUCCEEDED, start))
        ids.append(run.id)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = store.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = store.get_runs([ids[5], "unknown", ids[2], *ids[6:]])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [r.id for r in page] == [ids[5], ids[2], *ids[6:]]  # asked order, unknown left out
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
    assert [s.name for s in page[0].steps] == ["a", "b"]
    assert [a.number for a in page[0].steps[0].attempts] == [1]
    assert page[0].parameters == {"n": 5}
    assert store.get_runs([]) == []


def test_a_rerun_from_failed_is_never_seen_without_its_reused_steps(
    tmp_path: Path, any_store: Store
) -> None:
    """A scheduler may claim a queued run the moment it is committed: a rerun from the failed
    step must already hold its reused steps as succeeded then, or they would run again."""
    from jupyter_orch.pipelines.loader import load_pipeline
    from jupyter_orch.service import Orchestrator

    from .conftest import write_notebook, write_pipeline

    write_notebook(tmp_path / "a.ipynb", None, "x = 1")
    path = write_pipeline(
        tmp_path,
        "name: rr\nsteps:\n  - {name: a, notebook: a.ipynb}\n"
        "  - {name: b, notebook: a.ipynb, needs: [a]}\n",
    )
    orch = Orchestrator(any_store, tmp_path / "runs")
    loaded = load_pipeline(path)
    first = orch.create_run(loaded, orch.register(loaded).version)
    now = datetime.now(timezone.utc)
    done = AttemptRecord(1, AttemptStatus.SUCCEEDED, now, now, {"n": 1})
    any_store.save_attempt(first.id, "a", done, step_status=StepStatus.SUCCEEDED)
    failed = AttemptRecord(1, AttemptStatus.FAILED, now, now)
    any_store.save_attempt(first.id, "b", failed, step_status=StepStatus.FAILED)
    any_store.update_run(first.id, status=RunStatus.FAILED)

    seen: list[tuple[str, int]] = []  # what another process could read after each commit

    def look(session: Any) -> None:
        with any_store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select s.status, (select count(*) from step_attempts t"
                    " where t.step_run_id = s.id) from step_runs s join runs r on r.id = s.run_id"
                    " where r.rerun_of = :id and s.name = 'a'"
                ),
                {"id": first.id},
            ).all()
        seen.extend((status, count) for status, count in rows)

    event.listen(any_store._sessions, "after_commit", look)
    try:
        _, rerun = orch.create_rerun(first.id, from_failed=True)
    finally:
        event.remove(any_store._sessions, "after_commit", look)
    assert seen and all(snapshot == ("succeeded", 1) for snapshot in seen)
    step_a = next(s for s in rerun.steps if s.name == "a")
    assert step_a.reused_from == first.id and step_a.attempts[0].outputs == {"n": 1}
    assert next(s for s in rerun.steps if s.name == "b").status is StepStatus.PENDING


def test_reads_never_wait_for_a_writer_holding_the_sqlite_lock(tmp_path: Path) -> None:
    """The panel polls while the scheduler writes: a read must not queue for the write lock
    (it begins deferred and, under WAL, sees the last commit)."""
    import sqlite3
    import threading

    path = tmp_path / "orch.sqlite"
    store = Store.open(f"sqlite:///{path}")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        answered: list[Any] = []
        reader = threading.Thread(
            target=lambda: answered.append(
                (store.list_runs(), store.pipeline_states(), store.run_ids_page(limit=5))
            ),
            daemon=True,
        )
        reader.start()
        reader.join(10)  # the busy timeout is 30 s: a read taking the lock would still wait
        assert answered == [([], [], [])]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def _migrations_on(connection: Any) -> Any:
    from alembic.config import Config

    from jupyter_orch.store.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def test_migrating_from_0003_keeps_the_next_run_of_each_pipeline(store_url: str) -> None:
    """0004 renames pipelines.next_fire_at to next_run_at in place and trigger_states to
    event_states: the values stay, and so do
    the pipeline's versions, runs and steps (a rebuilt table would cascade them away)."""
    from alembic import command

    from jupyter_orch.store.engine import make_engine

    engine = make_engine(store_url)
    with engine.begin() as conn:
        command.upgrade(_migrations_on(conn), "0003")
        t = {"t": "2026-01-01 00:00:00"}
        conn.execute(
            text(
                "insert into pipelines (id, name, path, latest_version, created_at, updated_at,"
                " active, next_fire_at, schedule_key)"
                " values (1, 'p', '/p.yaml', 1, :t, :t, true, '2026-01-02 09:00:00', 'k')"
            ),
            t,
        )
        conn.execute(
            text(
                "insert into pipeline_versions (pipeline_id, version, content_hash, path, source,"
                " definition, created_at) values (1, 1, 'h', '/p.yaml', 'x', '{}', :t)"
            ),
            t,
        )
        conn.execute(
            text(
                "insert into runs (id, pipeline_id, version, status, trigger, parameters,"
                " run_dir, created_at) values ('R1', 1, 1, 'succeeded', 'api', '{}', '/r', :t)"
            ),
            t,
        )
        conn.execute(
            text(
                "insert into step_runs (run_id, name, position, needs, status)"
                " values ('R1', 'a', 0, '[]', 'succeeded')"
            )
        )
        conn.execute(
            text(
                "insert into trigger_states (pipeline_id, key, state, updated_at)"
                """ values (1, 'file:data/*.csv', '{"seen": 1}', :t)"""
            ),
            t,
        )
    engine.dispose()
    store = Store.open(store_url)
    try:
        state = store.pipeline_state("p")
        assert state.next_run_at == datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)
        assert state.schedule_key == "k" and state.active
        assert [s.name for s in store.get_run("R1").steps] == ["a"]
        assert store.event_states("p") == {"file:data/*.csv": {"seen": 1}}
        with store.engine.begin() as conn:
            command.downgrade(_migrations_on(conn), "0003")
            assert conn.execute(text("select next_fire_at from pipelines")).scalar() is not None
            assert conn.execute(text("select count(*) from step_runs")).scalar() == 1
            assert conn.execute(text("select count(*) from trigger_states")).scalar() == 1
    finally:
        store.close()


def _run(store: Store, pipeline: str) -> Any:
    return store.create_run(
        pipeline=pipeline, version=1, trigger=Trigger.API, parameters={}, steps=[], runs_dir="/r"
    )


def test_runs_are_numbered_per_pipeline_and_numbers_never_repeat(any_store: Store) -> None:
    """``daily-sales-report #42``: from 1 per pipeline, one more each run, at once from many
    threads too, and a deleted run's number is not given again."""
    from concurrent.futures import ThreadPoolExecutor

    any_store.register("p", "/a/p.yaml", "x", {})
    any_store.register("q", "/a/q.yaml", "y", {})
    first = [_run(any_store, name).number for name in ("p", "q", "p")]
    assert first == [1, 1, 2]
    others = [Store(any_store.url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            made = list(pool.map(lambda s: [_run(s, "p").number for _ in range(5)], others))
    finally:
        for other in others:
            other.close()
    assert sorted(n for numbers in made for n in numbers) == list(range(3, 23))
    newest = any_store.list_runs(pipeline="p", limit=1)[0]
    assert newest.number == 22 and newest.to_dict()["number"] == 22
    any_store.delete_runs([newest.id])
    assert _run(any_store, "p").number == 23


def test_migrating_from_0009_numbers_existing_runs_in_the_order_they_were_made(
    store_url: str,
) -> None:
    from alembic import command

    from jupyter_orch.store.engine import make_engine

    engine = make_engine(store_url)
    with engine.begin() as conn:
        command.upgrade(_migrations_on(conn), "0009")
        for pid, name in ((1, "p"), (2, "q")):
            conn.execute(
                text(
                    "insert into pipelines (id, name, path, latest_version, created_at,"
                    " updated_at) values (:id, :name, '/p.yaml', 1, :t, :t)"
                ),
                {"id": pid, "name": name, "t": "2026-01-01 00:00:00"},
            )
        for run_id, pid, minute in (("R3", 1, 3), ("R1", 1, 1), ("Q1", 2, 2), ("R2", 1, 2)):
            conn.execute(
                text(
                    "insert into runs (id, pipeline_id, version, status, trigger, parameters,"
                    " run_dir, created_at) values (:id, :pid, 1, 'succeeded', 'api', '{}', '/r',"
                    " :t)"
                ),
                {"id": run_id, "pid": pid, "t": f"2026-01-01 00:0{minute}:00"},
            )
    engine.dispose()
    store = Store.open(store_url)
    try:
        numbers = {r.id: r.number for r in store.list_runs(limit=10)}
        assert numbers == {"R1": 1, "R2": 2, "R3": 3, "Q1": 1}
        assert _run(store, "p").number == 4 and _run(store, "q").number == 2
    finally:
        store.close()


def test_runs_are_found_by_text_and_creation_time(any_store: Store) -> None:
    """The runs page's search (issue 16 item 6): part of a pipeline's name or a run's id in
    any case, a number as 42 or #42, a trigger or a status; and a range of creation times."""
    from datetime import timedelta

    for name in ("daily-sales", "etl_night"):
        any_store.register(name, f"/a/{name}.yaml", name, {})
    runs = [_run(any_store, name) for name in ("daily-sales", "daily-sales", "etl_night")]
    any_store.update_run(runs[1].id, status=RunStatus.SUCCEEDED)

    def found(**kw: Any) -> list[str]:
        return any_store.run_ids_page(**kw)

    assert found(search="SALES") == [runs[1].id, runs[0].id]
    assert found(search="#2") == [runs[1].id] and found(search="1") == [
        r.id for r in runs[::-1] if r.number == 1 or "1" in r.id.lower()
    ]
    assert found(search="succeeded") == [runs[1].id]
    assert found(search=runs[2].id[-6:].lower()) == [runs[2].id]
    assert found(search="100%_") == []  # wildcards are text
    created = any_store.get_run(runs[1].id).created_at
    assert found(since=created) == [runs[2].id, runs[1].id]
    assert found(until=created) == [runs[0].id]
    assert found(since=created + timedelta(days=1)) == []
