"""The store as several schedulers share it, on SQLite and on PostgreSQL (RELIABILITY cases 5, 7,
12, 14 and 17 at the store level; the same cases with real scheduler processes are in
test_scheduler.py). Time is an injected clock."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunStatus, StepStatus, Trigger
from jupyter_orch.scheduling.leader import Leader
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)


def applied(orch: Orchestrator, folder: Path, text: str) -> str:
    write_notebook(folder / "nb.ipynb", None, "print(1)")
    loaded = load_pipeline(write_pipeline(folder, text, f"{abs(hash(text))}.yaml"))
    orch.apply(loaded)
    return loaded.spec.name


def hourly(name: str = "hourly", **schedule: Any) -> str:
    extra = "".join(f", {k}: {v}" for k, v in schedule.items())
    return f"""
        name: {name}
        schedule: {{cron: "0 * * * *"{extra}}}
        steps:
          - {{name: a, notebook: nb.ipynb}}
        """


def schedule_runs(store: Store, name: str) -> list[Any]:
    runs = store.list_runs(pipeline=name, limit=1000)
    return sorted((r for r in runs if r.trigger is Trigger.SCHEDULE), key=lambda r: r.scheduled_for)


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    return Orchestrator(any_store, tmp_path / "runs")


def test_migrations_match_the_models(any_store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_orch.store.tables import Base

    with any_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if d[0] != "remove_table"] == []


# --- case 5: misfires after 5 hours down -------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "runs", "missed"),
    [("skip", 0, 5), ("coalesce", 1, 4), ("all, max_catchup: 3", 3, 2)],
)
def test_misfire_policies_after_five_hours_down(
    orch: Orchestrator, tmp_path: Path, policy: str, runs: int, missed: int
) -> None:
    name = applied(orch, tmp_path, hourly(misfire=policy))
    leader = Leader(orch.store, orch.runs_dir)
    leader.tick(T0)  # first sight: the next slot is 09:00, nothing fires
    assert orch.store.pipeline_states()[0].next_run_at == T0.replace(hour=9, minute=0)
    leader.tick(T0 + timedelta(hours=5))  # 09:00 .. 13:00 passed while we were down
    fired = schedule_runs(orch.store, name)
    assert len(fired) == runs
    slots = [r.scheduled_for for r in fired]
    assert slots == sorted(slots)  # oldest first
    if runs:
        assert slots[-1] == T0.replace(hour=13, minute=0)  # the newest slots catch up
    ticks = orch.store.ticks(name)
    assert Counter(t.status for t in ticks) == Counter({"fired": runs, "missed": missed})
    assert orch.store.pipeline_states()[0].missed_ticks == missed
    assert orch.store.pipeline_states()[0].next_run_at == T0.replace(hour=14, minute=0)
    leader.tick(T0 + timedelta(hours=5, minutes=1))  # nothing more
    assert len(schedule_runs(orch.store, name)) == runs


def test_slots_older_than_the_grace_window_never_run(orch: Orchestrator, tmp_path: Path) -> None:
    name = applied(orch, tmp_path, hourly(misfire="all", misfire_grace="2h"))
    leader = Leader(orch.store, orch.runs_dir)
    leader.tick(T0)
    leader.tick(T0 + timedelta(hours=5))  # slots 09..13; now 13:30; 09, 10 and 11 too old
    assert [r.scheduled_for.hour for r in schedule_runs(orch.store, name)] == [12, 13]
    reasons = {t.slot.hour: t.reason for t in orch.store.ticks(name) if t.status == "missed"}
    assert sorted(reasons) == [9, 10, 11]
    assert all("misfire_grace" in (r or "") for r in reasons.values())


@pytest.mark.parametrize("how", ["pause", "archive"])
def test_on_time_slot_fires_and_paused_or_archived_pipeline_does_not_catch_up(
    orch: Orchestrator, tmp_path: Path, how: str
) -> None:
    name = applied(orch, tmp_path, hourly())
    leader = Leader(orch.store, orch.runs_dir)
    leader.tick(T0)
    leader.tick(T0.replace(hour=9, minute=0, second=2))
    assert len(schedule_runs(orch.store, name)) == 1
    getattr(orch, how)(name)
    leader.tick(T0.replace(hour=12, minute=0, second=1))  # paused: nothing, not even missed
    getattr(orch, how)(name, False)
    leader.tick(T0.replace(hour=12, minute=30))
    assert len(schedule_runs(orch.store, name)) == 1
    assert [t.status for t in orch.store.ticks(name)] == ["fired"]
    leader.tick(T0.replace(hour=13, minute=0, second=1))
    assert [r.scheduled_for.hour for r in schedule_runs(orch.store, name)] == [9, 13]


# --- case 7: two schedulers, N slots, N runs ---------------------------------------------------


def test_two_leaders_at_once_fire_each_slot_once(orch: Orchestrator, tmp_path: Path) -> None:
    """Even without the lease (both think they lead), the (pipeline, slot) key holds."""
    name = applied(orch, tmp_path, hourly())
    other = Store(orch.store.url)
    leaders = [Leader(orch.store, orch.runs_dir), Leader(other, orch.runs_dir)]
    leaders[0].tick(T0)
    for hour in range(9, 21):
        now = T0.replace(hour=hour, minute=0, second=1)
        barrier = threading.Barrier(2)

        def tick(leader: Leader, now: datetime = now, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            leader.tick(now)

        threads = [threading.Thread(target=tick, args=(leader,)) for leader in leaders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    other.close()
    assert [r.scheduled_for.hour for r in schedule_runs(orch.store, name)] == list(range(9, 21))


def test_leader_lease_has_one_holder_until_it_expires(any_store: Store) -> None:
    assert any_store.acquire_lease("leader", "a", T0, ttl=15)
    assert not any_store.acquire_lease("leader", "b", T0 + timedelta(seconds=5), ttl=15)
    assert any_store.acquire_lease("leader", "a", T0 + timedelta(seconds=10), ttl=15)  # renewed
    assert not any_store.acquire_lease("leader", "b", T0 + timedelta(seconds=20), ttl=15)
    assert any_store.acquire_lease("leader", "b", T0 + timedelta(seconds=26), ttl=15)  # expired
    any_store.release_lease("leader", "b")
    assert any_store.acquire_lease("leader", "a", T0 + timedelta(seconds=27), ttl=15)


# --- case 12: limits under a mix of triggers; FIFO ---------------------------------------------


def test_limits_hold_under_every_trigger_kind_and_queue_fifo(
    orch: Orchestrator, tmp_path: Path
) -> None:
    store = orch.store
    limited = applied(
        orch,
        tmp_path,
        """
        name: limited
        limits: {max_concurrent_runs: 2}
        steps:
          - {name: a, notebook: nb.ipynb}
        """,
    )
    free = applied(orch, tmp_path, hourly("free"))
    kinds = [Trigger.SCHEDULE, Trigger.MANUAL, Trigger.API, Trigger.WEBHOOK, Trigger.EVENT]
    queued = [
        orch.trigger(limited if i % 3 else free, trigger=kinds[i % len(kinds)]).id
        for i in range(15)
    ]
    first = queued[0]
    queued.append(orch.create_rerun(first, from_failed=False)[1].id)  # a rerun queues the same way
    instances = [store.register_instance("scheduler", T0) for _ in range(3)]
    started: list[str] = []
    lock = threading.Lock()

    def claim(instance_id: str) -> None:
        got = store.claim_queued(instance_id, capacity=3, global_limit=4, now=T0)
        with lock:
            started.extend(got)

    threads = [threading.Thread(target=claim, args=(i.id,)) for i in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    running = store.list_runs(status="running", limit=100)
    assert len(running) == len(started) == 4  # the global limit
    assert sum(r.pipeline == limited for r in running) == 2  # the pipeline's limit
    # First in, first out: the two oldest runs of each pipeline started.
    for name in (limited, free):
        mine = [q for q in queued if store.get_run(q).pipeline == name]
        assert {r.id for r in running if r.pipeline == name} == set(mine[:2])
    # A run ending frees its slot for the next oldest.
    store.update_run(running[0].id, status=RunStatus.SUCCEEDED, ended_at=T0)
    assert len(store.claim_queued(instances[0].id, capacity=5, global_limit=4, now=T0)) == 1


def test_overlap_skip_refuses_a_run_while_one_is_active(orch: Orchestrator, tmp_path: Path) -> None:
    from jupyter_orch.errors import ConflictError

    name = applied(
        orch,
        tmp_path,
        """
        name: single
        limits: {max_concurrent_runs: 1, overlap: skip}
        schedule: "0 * * * *"
        steps:
          - {name: a, notebook: nb.ipynb}
        """,
    )
    orch.trigger(name)
    with pytest.raises(ConflictError, match="overlap: skip"):
        orch.trigger(name)
    leader = Leader(orch.store, orch.runs_dir)
    leader.tick(T0)
    leader.tick(T0.replace(hour=9, minute=0, second=1))
    ticks = orch.store.ticks(name)
    assert [(t.status, "overlap: skip" in (t.reason or "")) for t in ticks] == [("missed", True)]


# --- case 14 (store side): cancel queued, running, twice ----------------------------------------


def test_cancel_queued_running_and_twice(orch: Orchestrator, tmp_path: Path) -> None:
    name = applied(orch, tmp_path, hourly())
    queued = orch.trigger(name)
    assert orch.cancel(queued.id) == "dropped"
    run = orch.store.get_run(queued.id)
    assert run.status is RunStatus.CANCELLED and run.steps[0].status is StepStatus.CANCELLED
    assert orch.cancel(queued.id) == "finished"  # twice: no harm
    instance = orch.store.register_instance("scheduler", T0)
    # A cancelled run is never claimed.
    assert orch.store.claim_queued(instance.id, capacity=5, global_limit=5, now=T0) == []
    running = orch.trigger(name)
    orch.store.claim_queued(instance.id, capacity=5, global_limit=5, now=T0)
    assert orch.cancel(running.id) == "requested"
    assert orch.cancel(running.id) == "requested"
    assert orch.store.beat(instance.id, T0) == [running.id]


# --- event triggers: once per change ------------------------------------------------------------


def test_pipeline_succeeded_fires_once_per_finished_run(orch: Orchestrator, tmp_path: Path) -> None:
    upstream = applied(orch, tmp_path, hourly("upstream"))
    applied(
        orch,
        tmp_path,
        """
        name: downstream
        on: {pipeline_succeeded: upstream, pipeline_failed: [upstream]}
        steps:
          - {name: a, notebook: nb.ipynb}
        """,
    )
    leader = Leader(orch.store, orch.runs_dir)
    done_before = orch.trigger(upstream)
    orch.store.update_run(done_before.id, status=RunStatus.SUCCEEDED, ended_at=T0)
    leader.tick(T0 + timedelta(seconds=1))  # baseline: what ended before applying never fires
    assert orch.store.list_runs(pipeline="downstream") == []
    ok = orch.trigger(upstream)
    bad = orch.trigger(upstream)
    orch.store.update_run(ok.id, status=RunStatus.SUCCEEDED, ended_at=T0 + timedelta(seconds=5))
    orch.store.update_run(bad.id, status=RunStatus.FAILED, ended_at=T0 + timedelta(seconds=5))
    for _ in range(3):
        leader.tick(T0 + timedelta(seconds=10))
    runs = orch.store.list_runs(pipeline="downstream")
    assert sorted(r.event["run_id"] for r in runs if r.event) == sorted([ok.id, bad.id])
    assert {r.trigger for r in runs} == {Trigger.EVENT}
    assert {next(iter(r.event)) for r in runs if r.event} == {
        "pipeline_succeeded",
        "pipeline_failed",
    }


def test_file_trigger_fires_once_per_new_or_changed_file(
    orch: Orchestrator, tmp_path: Path
) -> None:
    import os
    import time

    incoming = tmp_path / "data" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "old.csv").write_text("a\n")
    applied(
        orch,
        tmp_path,
        """
        name: on-files
        on: {file: "data/incoming/*.csv"}
        steps:
          - {name: a, notebook: nb.ipynb}
        """,
    )
    clock = [0.0]
    leader = Leader(orch.store, orch.runs_dir, monotonic=lambda: clock[0])

    def tick() -> list[Any]:
        clock[0] += 10
        leader.tick(T0)
        return orch.store.list_runs(pipeline="on-files")

    assert tick() == []  # baseline: old.csv was there before
    settled = time.time() - 5
    new = incoming / "new.csv"
    new.write_text("b\n")
    os.utime(new, (settled, settled))
    runs = tick()
    assert [r.event for r in runs] == [{"file": "data/incoming/new.csv", "change": "created"}]
    assert tick() == runs  # no change, no run
    os.utime(new, (settled + 1, settled + 1))
    assert [r.event["change"] for r in tick() if r.event] == ["modified", "created"]


def test_sql_trigger_fires_once_per_change(orch: Orchestrator, tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite"
    engine = create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table t (updated_at text)")
        conn.exec_driver_sql("insert into t values ('2026-01-01')")
    applied(
        orch,
        tmp_path,
        f"""
        name: on-sql
        on:
          sql: {{connection: "sqlite:///{source}", query: "select max(updated_at) from t", every: 1m}}
        steps:
          - {{name: a, notebook: nb.ipynb}}
        """,
    )
    clock = [0.0]
    leader = Leader(orch.store, orch.runs_dir, monotonic=lambda: clock[0])
    leader.tick(T0)
    with engine.begin() as conn:
        conn.exec_driver_sql("insert into t values ('2026-01-02')")
    clock[0] += 30
    leader.tick(T0)  # not yet: every 1m
    assert orch.store.list_runs(pipeline="on-sql") == []
    clock[0] += 31
    leader.tick(T0)
    clock[0] += 61
    leader.tick(T0)  # unchanged since
    runs = orch.store.list_runs(pipeline="on-sql")
    assert [r.event["value"] for r in runs if r.event] == ["2026-01-02"]
    leader.close()
    engine.dispose()


# --- case 17: SQLite under concurrent writers and pollers ---------------------------------------


def test_concurrent_writers_and_pollers_never_see_database_is_locked(
    tmp_path: Path, store: Store
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    name = applied(orch, tmp_path, hourly())
    errors: list[BaseException] = []
    created: list[str] = []

    def writer() -> None:
        own = Store(store.url)
        try:
            instance = own.register_instance("scheduler", T0)
            for _ in range(25):
                run = Orchestrator(own, tmp_path / "runs").trigger(name)
                created.append(run.id)
                for run_id in own.claim_queued(instance.id, capacity=2, global_limit=100, now=T0):
                    own.update_step(run_id, "a", status=StepStatus.SUCCEEDED)
                    own.update_run(run_id, status=RunStatus.SUCCEEDED, ended_at=T0)
                own.beat(instance.id, T0)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    def poller() -> None:
        own = Store(store.url)
        try:
            for _ in range(60):
                own.list_runs(limit=50)
                own.pipeline_states()
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    threads += [threading.Thread(target=poller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(created) == 100
    statuses = Counter(store.get_run(r).status for r in created)
    assert statuses[RunStatus.QUEUED] + statuses[RunStatus.SUCCEEDED] == 100


def test_instances_are_forgotten_a_day_after_they_stop(any_store: Store) -> None:
    alive = any_store.register_instance("scheduler", T0)
    stopped = any_store.register_instance("cli", T0)
    any_store.stop_instance(stopped.id, T0)
    assert [i.id for i in any_store.instances()] == [alive.id]
    later = T0 + timedelta(days=2)
    any_store.beat(alive.id, later)
    assert any_store.prune_instances(later - timedelta(days=1)) == 1
    assert [i.id for i in any_store.instances()] == [alive.id]
    assert any_store.instances(["cli"]) == []


def test_a_broken_trigger_never_stops_other_pipelines_from_firing(
    orch: Orchestrator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    applied(
        orch,
        tmp_path,
        """
        name: watches-nothing-reachable
        on:
          sql: {connection: "${JUPYTER_ORCH_TEST_UNSET_URL}", query: "select 1"}
        steps:
          - {name: a, notebook: nb.ipynb}
        """,
    )
    name = applied(orch, tmp_path, hourly("zz-hourly"))
    leader = Leader(orch.store, orch.runs_dir)
    leader.tick(T0)
    leader.tick(T0.replace(hour=9, minute=0, second=1))
    assert len(schedule_runs(orch.store, name)) == 1
    assert "JUPYTER_ORCH_TEST_UNSET_URL" in caplog.text
    leader.close()


# --- many pipelines: a round reads only what is due ---------------------------------------------


class CountingStore:
    """The store, counting the leader's reads of pipelines."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        if name in ("pipeline_states", "pipeline_state"):
            self.reads[name] += 1
        return getattr(self.store, name)


def test_a_round_reads_only_due_pipelines_until_one_changes(
    orch: Orchestrator, tmp_path: Path
) -> None:
    name = applied(orch, tmp_path, hourly())
    counting = CountingStore(orch.store)
    leader = Leader(counting, orch.runs_dir, monotonic=lambda: 0.0)  # type: ignore[arg-type]
    leader.tick(T0)  # first: every pipeline read; the next slot is 09:00
    assert counting.reads == {"pipeline_states": 1}
    assert leader.next_due() == T0.replace(hour=9, minute=0)
    leader.tick(T0 + timedelta(minutes=10))  # nothing due, nothing changed: nothing read
    assert counting.reads == {"pipeline_states": 1}
    leader.tick(T0.replace(hour=9, minute=0, second=1))  # due: that pipeline alone, read again
    assert counting.reads == {"pipeline_states": 1, "pipeline_state": 1}
    assert len(schedule_runs(orch.store, name)) == 1
    assert leader.next_due() == T0.replace(hour=10, minute=0)
    orch.pause(name)  # a change: every pipeline read again, and the paused one left out
    leader.tick(T0.replace(hour=9, minute=1))
    assert counting.reads["pipeline_states"] == 2 and leader.next_due() is None
