"""The scheduler shares the Jupyter Server's event loop: it must never block it."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunStatus, StepStatus
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.scheduling.scheduler import Scheduler, SchedulerConfig
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook, write_pipeline

pytestmark = pytest.mark.slow


def test_scheduler_never_blocks_its_event_loop(
    tmp_path: Path, orch: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    write_notebook(tmp_path / "a.ipynb", None, "import time\ntime.sleep(0.3)")
    write_notebook(tmp_path / "b.ipynb", None, "print('b')")
    orch.apply(
        load_pipeline(
            write_pipeline(
                tmp_path,
                """
                name: busy
                schedule: "*/2 * * * * *"
                steps:
                  - {name: a, notebook: a.ipynb}
                  - {name: b, notebook: b.ipynb, needs: [a]}
                """,
            )
        )
    )
    caplog.set_level(logging.WARNING, logger="asyncio")

    async def main() -> float:
        loop = asyncio.get_running_loop()
        # What earlier tests left on the heap is not ours to collect while the loop is timed: a
        # full collection of it, run in whatever step it falls on, would read as our blocking.
        gc.collect()
        gc.freeze()
        loop.set_debug(True)
        # asyncio logs every callback or task step that holds the loop this long.
        loop.slow_callback_duration = 0.2
        executor = LocalExecutor(max_workers=2)
        scheduler = Scheduler(orch, executor, SchedulerConfig(poll_interval=0.2))
        lag = 0.0
        try:
            await scheduler.start()
            orch.trigger("busy")
            end = loop.time() + 10
            while loop.time() < end:
                before = loop.time()
                await asyncio.sleep(0.02)
                lag = max(lag, loop.time() - before - 0.02)
        finally:
            await scheduler.stop()
            await executor.close()
            gc.unfreeze()
        return lag

    lag = asyncio.run(main())
    runs = orch.store.list_runs(pipeline="busy", limit=100)
    assert sum(r.status is RunStatus.SUCCEEDED for r in runs) >= 3
    # The precise check: asyncio times each callback and task step, and none held the loop 0.2 s
    slow = [r.getMessage() for r in caplog.records if "Executing" in r.getMessage()]
    assert slow == []
    # The loop's wake-up lag also counts the time the OS gave the CPU to others (a browser test
    # and two test workers on 2 cores showed 0.24 s in CI at 3b68bf9 while no callback was slow):
    # a coarser bound, which a blocked loop (a step run in it, a synchronous store wait) breaks.
    assert lag < 0.5


SLEEPY = """
name: sleepy
steps:
  - {name: nap, notebook: nap.ipynb}
"""


def test_a_cancel_while_the_run_is_still_starting_is_recorded(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """Cancelled at its first await (before any step), the run ends cancelled instead of
    staying queued or running forever (seen from the run detail's Cancel right after Rerun)."""
    write_notebook(tmp_path / "nap.ipynb", None, "import time\ntime.sleep(30)")
    loaded = load_pipeline(write_pipeline(tmp_path, SLEEPY))
    orch.apply(loaded)
    run = orch.trigger("sleepy")

    async def main() -> None:
        executor = LocalExecutor(max_workers=1)
        coordinator = RunCoordinator(orch.store, executor, loaded, run)
        task = asyncio.create_task(coordinator.execute())
        await asyncio.sleep(0)  # execute() runs up to its first await (the run's folder)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await executor.close()

    asyncio.run(main())
    ended = orch.store.get_run(run.id)
    assert ended.status is RunStatus.CANCELLED and ended.ended_at is not None
    assert [s.status for s in ended.steps] == [StepStatus.CANCELLED]


class FakeCoordinator:
    """A fake RunCoordinator: only whether its execute() has begun."""

    begun = False


def test_the_heartbeat_cancels_a_run_only_once_its_coordinator_has_begun(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task cancelled before its coroutine starts never runs a line of it, so nothing would
    record the cancel: the heartbeat leaves it for the next beat (the request stays stored)."""

    async def main() -> tuple[bool, bool]:
        host = Scheduler(orch, LocalExecutor(max_workers=1))
        await host.start()
        task = asyncio.create_task(asyncio.sleep(3600))
        coordinator = FakeCoordinator()
        host.active["r1"] = (task, coordinator)  # type: ignore[assignment]
        monkeypatch.setattr(orch.store, "beat", lambda instance, now: ["r1"])
        await host.beat()
        await asyncio.sleep(0)
        before = task.done()
        coordinator.begun = True
        await host.beat()
        await asyncio.sleep(0)
        after = task.cancelled()
        monkeypatch.undo()
        host.active.clear()
        await host.stop()
        return before, after

    before, after = asyncio.run(main())
    assert before is False
    assert after is True


def test_a_run_claimed_but_not_started_is_queued_again_when_its_scheduler_stops(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """A stop between claiming a run and starting it (the task cancelled before it began)
    gives the run back to the queue instead of leaving it running under a stopped instance."""
    write_notebook(tmp_path / "nap.ipynb", None, "x = 1")
    orch.apply(load_pipeline(write_pipeline(tmp_path, SLEEPY)))
    run = orch.trigger("sleepy")

    async def main() -> list[str]:
        host = Scheduler(orch, LocalExecutor(max_workers=1))
        await host.start()
        claimed = orch.store.claim_queued(host.id, capacity=1, global_limit=8, now=utcnow())
        await host.stop()
        return claimed

    assert asyncio.run(main()) == [run.id]
    after = orch.store.get_run(run.id)
    assert after.status is RunStatus.QUEUED and after.started_at is None


def test_a_stop_during_a_claim_waits_for_its_commit_and_queues_the_run_again(
    tmp_path: Path, orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim runs in a thread that a stop cannot cancel. A stop that gave back the
    unstarted runs before that thread committed left the run "running" under a stopped
    instance (seen in CI: two schedulers SIGTERMed, one run left running)."""
    write_notebook(tmp_path / "nap.ipynb", None, "x = 1")
    orch.apply(load_pipeline(write_pipeline(tmp_path, SLEEPY)))
    run = orch.trigger("sleepy")
    entered = threading.Event()
    real_claim = orch.store.claim_queued

    def slow_claim(*args: Any, **kwargs: Any) -> list[str]:
        entered.set()
        time.sleep(0.5)  # the stop comes while the claim is in its transaction
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(orch.store, "claim_queued", slow_claim)

    async def main() -> None:
        host = Scheduler(orch, LocalExecutor(max_workers=1), SchedulerConfig(poll_interval=0.1))
        await host.start()
        while not entered.is_set():
            await asyncio.sleep(0.01)
        await host.stop()

    asyncio.run(main())
    after = orch.store.get_run(run.id)
    assert after.status is RunStatus.QUEUED and after.started_at is None, after


class FakeWarmingExecutor(LocalExecutor):
    """A fake: records prestart() instead of starting a worker."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.prestarts: list[datetime] = []
        self.now = utcnow()
        self.fail = False

    async def prestart(self, count: int) -> None:
        self.prestarts.append(self.now)
        if self.fail:
            raise OSError("no more processes")


def test_the_leader_warms_a_worker_only_when_a_slot_is_due_within_30_s(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """No worker is kept while idle: one starts ahead of a due slot, so that the slot's run does
    not pay a cold start, and not while the next slot is further away."""
    write_notebook(tmp_path / "nap.ipynb", None, "x = 1")
    orch.apply(
        load_pipeline(
            write_pipeline(
                tmp_path,
                'name: noon\nschedule: {cron: "0 12 * * *", timezone: UTC}\n'
                "steps: [{name: nap, notebook: nap.ipynb}]\n",
            )
        )
    )
    executor = FakeWarmingExecutor()
    day = utcnow().date() + timedelta(days=1)  # the next slot, as applied now: tomorrow noon
    times = [datetime(day.year, day.month, day.day, *hms, tzinfo=timezone.utc) for hms in TIMES]
    claims: list[datetime] = []

    async def main() -> None:
        scheduler = Scheduler(orch, executor, clock=lambda: executor.now)
        executor.now = times[0]
        await scheduler.start()
        try:
            for now in times:
                executor.now = now
                await scheduler.round()
            # A worker that cannot start ahead of the slot never holds up the round's claim
            executor.fail = True

            async def claim() -> list[str]:
                claims.append(executor.now)
                return []

            scheduler.claim = claim  # type: ignore[method-assign]
            await scheduler.round()
        finally:
            await scheduler.stop()

    asyncio.run(main())
    assert [(t.hour, t.minute, t.second) for t in executor.prestarts] == [*WARMED, TIMES[-1]]
    assert claims == [times[-1]]


#: Rounds before the 12:00 slot: an hour, 31 s, 29 s and 1 s ahead of it
TIMES = [(11, 0, 0), (11, 59, 29), (11, 59, 31), (11, 59, 59)]
WARMED = [(11, 59, 31), (11, 59, 59)]


@pytest.mark.slow
def test_a_cli_run_claimed_first_by_a_scheduler_runs_once_there_and_the_cli_follows_it(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """`jupyter orch run` queues its run, then claims it; a scheduler on the same store may
    claim it in between. The CLI must then follow it, never execute it a second time."""
    from jupyter_orch.cli.pipelines import _admitted, _follow
    from jupyter_orch.scheduling.scheduler import RunHost

    write_notebook(tmp_path / "a.ipynb", None, "print('ran')")
    path = write_pipeline(tmp_path, "name: once\nsteps: [{name: a, notebook: a.ipynb}]\n")
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)

    async def go() -> tuple[bool, RunStatus, list[str]]:
        executor = LocalExecutor(max_workers=1)
        server = Scheduler(orch, executor, SchedulerConfig(poll_interval=0.1), kind="server")
        cli = RunHost(orch, executor, kind="cli")
        try:
            await server.start()  # claims the queued run in its first round
            await cli.start()
            for _ in range(100):
                if orch.store.get_run(run.id).status is not RunStatus.QUEUED:
                    break
                await asyncio.sleep(0.05)
            seen, mine = await _admitted(cli, run)
            lines: list[str] = []
            final = await _follow(cli, seen, lambda line: lines.append(line.message))
            return mine, final.status, lines
        finally:
            await cli.stop()
            await server.stop()
            await executor.close()

    mine, status, lines = asyncio.run(go())
    assert not mine
    assert status is RunStatus.SUCCEEDED
    assert lines[-1] == "Pipeline completed successfully"
    record = orch.store.get_run(run.id)
    assert [len(s.attempts) for s in record.steps] == [1]
    assert lines.count("Pipeline started") == 1
