"""Real `jupyter orch scheduler` processes: firing, two schedulers on one store, kill -9 and
restart, SIGTERM, cancel, and retries across a restart (RELIABILITY cases 1, 4, 7, 13, 14)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_orch.records import RunRecord, RunStatus, StepStatus, Trigger
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline, write_steps
from .helpers import gone, long_step, no_orch_processes_left, read_json, wait_for

pytestmark = pytest.mark.slow


class Cluster:
    """Scheduler processes and CLI calls sharing one store, in one folder."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.url = url
        self.store = Store.open(url)
        self.processes: list[subprocess.Popen[str]] = []

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_orch.cli", *args, "--db", self.url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.folder,
        )
        assert done.returncode == 0, done.stderr
        return done

    def apply(self, name: str, steps: str, head: str = "") -> None:
        """Writes the pipeline ``name`` (as ``write_steps``) and applies it with the CLI."""
        write_steps(self.folder, name, steps, head)
        self.cli("apply", "pipeline.yaml")

    def trigger(self, pipeline: str) -> str:
        """The id of a run of ``pipeline`` queued with the CLI."""
        return str(json.loads(self.cli("trigger", pipeline, "--json").stdout)["id"])

    def scheduler(self) -> subprocess.Popen[str]:
        log = open(self.folder / f"scheduler-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_orch.cli",
                "scheduler",
                "--db",
                self.url,
                "--runs-dir",
                str(self.folder / "runs"),
                "--poll-interval",
                "0.2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.folder,
        )
        self.processes.append(process)
        return process

    def runs(self, pipeline: str) -> list[RunRecord]:
        return self.store.list_runs(pipeline=pipeline, limit=1000)

    def run(self, run_id: str) -> RunRecord:
        return self.store.get_run(run_id)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.folder.glob("scheduler-*.log")))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        self.store.close()


@pytest.fixture
def cluster(tmp_path: Path, store_url: str) -> Iterator[Cluster]:
    c = Cluster(tmp_path, store_url)
    yield c
    c.close()


@pytest.fixture
def sqlite_cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, f"sqlite:///{tmp_path / 'orch.sqlite'}")
    yield c
    c.close()


# --- firing ---------------------------------------------------------------------------------


def test_two_schedulers_fire_each_slot_exactly_once(cluster: Cluster) -> None:
    """Case 7 with real processes, on SQLite and on PostgreSQL."""
    write_notebook(cluster.folder / "nb.ipynb", None, "x = 1")
    cluster.apply(
        "every-2s",
        "- {name: a, notebook: nb.ipynb}",
        head='schedule: {cron: "*/2 * * * * *", timezone: Australia/Lord_Howe, misfire: skip}',
    )
    first, second = cluster.scheduler(), cluster.scheduler()
    time.sleep(12)
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    for process in (first, second):
        assert process.wait(30) == 0
    runs = [r for r in cluster.runs("every-2s") if r.trigger is Trigger.SCHEDULE]
    slots = sorted(r.scheduled_for for r in runs if r.scheduled_for)
    assert len(slots) >= 4, cluster.logs()
    assert len(set(slots)) == len(slots) == len(runs)  # one run per slot
    # ... and no slot in between was lost: consecutive slots two seconds apart.
    assert all(b - a == timedelta(seconds=2) for a, b in itertools.pairwise(slots))
    # The activity log says the scheduler fired each of them
    fired = [
        e for e in cluster.store.activity(pipeline="every-2s", limit=1000) if e.action == "run"
    ]
    assert {(e.actor, e.origin) for e in fired} == {("scheduler", "scheduler")}
    assert sorted(str(e.run_id) for e in fired) == sorted(r.id for r in runs)
    # A slot fired just before the SIGTERM may not have been claimed: that run waits, queued,
    # for the next scheduler. Every other run has ended, and none is left running.
    waiting = [r for r in runs if r.status is RunStatus.QUEUED]
    assert all(r.scheduled_for == slots[-1] for r in waiting), cluster.logs()
    ended = [r for r in runs if r.status is not RunStatus.QUEUED]
    assert {r.status for r in ended} <= {RunStatus.SUCCEEDED, RunStatus.FAILED}
    ticks = cluster.store.ticks("every-2s", limit=1000)
    assert sorted(t.slot for t in ticks if t.status == "fired") == slots
    assert "fired every-2s" in cluster.logs()


# --- crash and restart ------------------------------------------------------------------------


def test_kill_9_mid_step_then_restart_orphans_the_attempt_and_retries(cluster: Cluster) -> None:
    """Case 1, on SQLite and on PostgreSQL: the kernel and its child die, the attempt fails as
    orphaned, a further attempt runs after the restart, no row stays running and no kernel is
    left."""
    c = cluster
    pids_file, _ = long_step(c.folder)
    c.apply("crashy", "- {name: long, notebook: long.ipynb, retries: 1, retry_delay: 1s}")
    run_id = c.trigger("crashy")
    scheduler = c.scheduler()
    pids = read_json(pids_file)
    scheduler.kill()  # kill -9
    scheduler.wait(10)
    assert wait_for(lambda: gone(pids["kernel"]) and gone(pids["child"]), 10)
    assert c.run(run_id).status is RunStatus.RUNNING  # nobody has looked yet
    restarted = c.scheduler()
    assert wait_for(lambda: c.run(run_id).status is RunStatus.SUCCEEDED, 90), c.logs()
    step = c.run(run_id).step("long")
    assert [a.status.value for a in step.attempts] == ["failed", "succeeded"]
    first = step.attempts[0]
    assert first.error is not None and first.error["ename"] == "Orphaned"
    assert "orphaned: the scheduler process" in first.error["evalue"]
    assert "is gone" in first.error["evalue"]
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(30) == 0
    assert c.store.list_runs(status="running") == []
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_kill_9_without_retries_fails_the_run_after_restart(sqlite_cluster: Cluster) -> None:
    c = sqlite_cluster
    pids_file, _ = long_step(c.folder)
    write_notebook(c.folder / "alert.ipynb", None, "print('alert')")
    c.apply(
        "crashy",
        """
        - {name: long, notebook: long.ipynb}
        - {name: after, notebook: alert.ipynb, needs: [long]}
        - {name: on_failure, notebook: alert.ipynb, needs: [long], run_if: any_failed}
        """,
    )
    run_id = c.trigger("crashy")
    scheduler = c.scheduler()
    read_json(pids_file)
    scheduler.kill()
    scheduler.wait(10)
    restarted = c.scheduler()
    assert wait_for(lambda: c.run(run_id).status is RunStatus.FAILED, 60), c.logs()
    run = c.run(run_id)
    assert [s.status for s in run.steps] == [
        StepStatus.FAILED,
        StepStatus.UPSTREAM_FAILED,
        StepStatus.SUCCEEDED,  # the on-failure step still ran
    ]
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(30) == 0
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_sigterm_fails_the_running_run_with_a_clear_reason(sqlite_cluster: Cluster) -> None:
    """Case 4: shutdown within 30 s, the run failed ("server shutdown"), no kernel left."""
    c = sqlite_cluster
    pids_file, _ = long_step(c.folder, first_attempt_only=False)
    c.apply("long", "- {name: long, notebook: long.ipynb, retries: 3}")
    run_id = c.trigger("long")
    scheduler = c.scheduler()
    pids = read_json(pids_file)
    started = time.monotonic()
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(30) == 0
    assert time.monotonic() - started < 30
    run = c.run(run_id)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.startswith("server shutdown")
    attempts = run.step("long").attempts
    assert len(attempts) == 1 and attempts[0].status.value == "failed"  # no retry on shutdown
    assert gone(pids["kernel"]) and gone(pids["child"])
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_restart_mid_backoff_neither_adds_nor_loses_an_attempt(sqlite_cluster: Cluster) -> None:
    """Case 13: the next attempt time is stored; after kill -9 and restart it is kept."""
    c = sqlite_cluster
    marker = c.folder / "failed-once"
    write_notebook(
        c.folder / "flaky.ipynb",
        None,
        f"""
        import pathlib
        marker = pathlib.Path({str(marker)!r})
        if not marker.exists():
            marker.write_text("1")
            raise RuntimeError("first attempt fails")
        """,
    )
    c.apply("flaky", "- {name: flaky, notebook: flaky.ipynb, retries: 2, retry_delay: 8s}")
    run_id = c.trigger("flaky")
    scheduler = c.scheduler()
    assert wait_for(lambda: c.run(run_id).step("flaky").status is StepStatus.RETRYING, 60)
    scheduler.kill()
    scheduler.wait(10)
    step = c.run(run_id).step("flaky")
    due = step.next_attempt_at
    assert due is not None
    restarted = c.scheduler()
    assert wait_for(lambda: c.run(run_id).status is RunStatus.SUCCEEDED, 60), c.logs()
    attempts = c.run(run_id).step("flaky").attempts
    assert [a.status.value for a in attempts] == ["failed", "succeeded"]
    second = attempts[1].started_at
    assert second is not None and second >= due - timedelta(seconds=0.5)
    assert second - due < timedelta(seconds=10)
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(30) == 0


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_running_and_queued_runs(sqlite_cluster: Cluster) -> None:
    """Case 14: a running run's kernel dies and it ends cancelled; a queued run never starts;
    cancelling twice does no harm."""
    c = sqlite_cluster
    pids_file, _ = long_step(c.folder, first_attempt_only=False)
    c.apply(
        "long",
        "- {name: long, notebook: long.ipynb, retries: 2}",
        head="limits: {max_concurrent_runs: 1}",
    )
    running = c.trigger("long")
    waiting = c.trigger("long")
    scheduler = c.scheduler()
    pids = read_json(pids_file)
    assert c.run(waiting).status is RunStatus.QUEUED  # the limit holds it back
    assert "cancelled run" in c.cli("cancel", waiting).stdout
    assert "cancelling" in c.cli("cancel", running).stdout
    assert wait_for(lambda: c.run(running).status is RunStatus.CANCELLED, 15), c.logs()
    assert gone(pids["kernel"]) and gone(pids["child"])
    step = c.run(running).step("long")
    assert step.status is StepStatus.CANCELLED and len(step.attempts) == 1  # no retry
    assert "already finished" in c.cli("cancel", running).stdout
    time.sleep(1.5)
    assert c.run(waiting).status is RunStatus.CANCELLED
    assert c.run(waiting).started_at is not None or c.run(waiting).steps[0].attempts == ()
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(30) == 0
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_orphaned_cli_run_is_failed_by_the_next_scheduler(sqlite_cluster: Cluster) -> None:
    """A `jupyter orch run` killed with -9 leaves no run `running` once a scheduler starts."""
    c = sqlite_cluster
    pids_file, _ = long_step(c.folder)
    write_pipeline(
        c.folder,
        """
        name: by-hand
        steps:
          - {name: long, notebook: long.ipynb}
        """,
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "jupyter_orch.cli", "run", "pipeline.yaml", "--db", c.url],
        cwd=c.folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pids = read_json(pids_file)
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait(10)
    assert wait_for(lambda: gone(pids["kernel"]) and gone(pids["child"]), 10)
    scheduler = c.scheduler()
    assert wait_for(lambda: c.store.list_runs(status="running") == [], 20), c.logs()
    run = c.runs("by-hand")[0]
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "orphaned" in run.error and "rerun --from-failed" in run.error
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(30) == 0


def test_jupyter_orch_run_waits_for_admission_and_obeys_cancel(sqlite_cluster: Cluster) -> None:
    """`jupyter orch run` goes through the same limits as scheduled runs (case 12), and a
    `cancel` from another terminal stops it (case 14)."""
    c = sqlite_cluster
    pids_file, _ = long_step(c.folder)
    write_pipeline(
        c.folder,
        """
        name: one-at-a-time
        limits: {max_concurrent_runs: 1}
        steps:
          - {name: long, notebook: long.ipynb}
        """,
    )

    def run_in_background(name: str) -> tuple[subprocess.Popen[str], Path]:
        err = c.folder / f"{name}.err"
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_orch.cli", "run", "pipeline.yaml", "--db", c.url],
            cwd=c.folder,
            stdout=subprocess.DEVNULL,
            stderr=open(err, "w"),  # noqa: SIM115
            text=True,
        )
        return process, err

    first, _ = run_in_background("first")
    pids = read_json(pids_file)
    second, second_err = run_in_background("second")
    assert wait_for(lambda: "is queued" in second_err.read_text(), 30)
    running = c.store.list_runs(status="running")
    assert len(running) == 1
    assert "cancelling" in c.cli("cancel", running[0].id).stdout
    assert first.wait(30) == 1  # the run ended cancelled
    assert gone(pids["kernel"]) and gone(pids["child"])
    assert second.wait(60) == 0, second_err.read_text()
    statuses = sorted(r.status.value for r in c.runs("one-at-a-time"))
    assert statuses == ["cancelled", "succeeded"]
