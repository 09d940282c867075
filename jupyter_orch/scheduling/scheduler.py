"""The scheduler: one object that runs headless (``jupyter orch scheduler``) or inside the
Jupyter Server's event loop.

Each instance heartbeats in the store, executes the queued runs it claims (within the
global and per-pipeline limits, first in first out), stops the runs users cancel, and recovers
runs orphaned by a process that died. The instance holding the leader lease also fires the
due schedule slots and event triggers, and queues the next runs of running backfills. Store, file and process work runs in threads, so the
event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from jupyter_orch.activity import SCHEDULER, act_as
from jupyter_orch.backfills import feed_backfills
from jupyter_orch.executors.base import Executor
from jupyter_orch.masking import masked_logger
from jupyter_orch.pipelines.loader import LoadedPipeline
from jupyter_orch.records import RunRecord
from jupyter_orch.retention import prune
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.scheduling.leader import Leader
from jupyter_orch.scheduling.reaper import reap
from jupyter_orch.service import Orchestrator, loaded_from_version
from jupyter_orch.store.types import Instance, LogLine, utcnow

log = masked_logger("jupyter_orch.scheduling.scheduler")
T = TypeVar("T")

LEADER_LEASE = "scheduler-leader"
SHUTDOWN_REASON = "server shutdown: the scheduler stopped while the run was running"
#: The leader starts a worker this many seconds ahead of a due slot (none is kept while idle).
WARM_AHEAD_S = 30.0


@dataclass(frozen=True)
class SchedulerConfig:
    #: Seconds between rounds (firing, claiming, reaping).
    poll_interval: float = 1.0
    #: Also how often a cancel request is noticed.
    heartbeat_interval: float = 2.0
    #: An instance silent for this long is presumed dead and its runs orphaned.
    stale_after: float = 30.0
    lease_ttl: float = 15.0
    reap_interval: float = 10.0
    #: Runs executing at once across every instance sharing the store.
    max_concurrent_runs: int = 8
    #: Runs this instance executes at once (default: the global limit).
    capacity: int | None = None
    default_timezone: str = "UTC"
    #: How long a stop waits for runs to record their end before giving up on them.
    shutdown_grace: float = 20.0
    #: Seconds between two applications of retention (by the leader).
    prune_interval: float = 3600.0


def _said(done: asyncio.Future[Any]) -> None:
    """A prune's fault is logged; the next one comes at the next interval."""
    if not done.cancelled() and done.exception() is not None:
        log.error("applying retention failed", exc_info=done.exception())


class RunHost:
    """An instance that executes runs: it heartbeats, and stops the runs users cancel."""

    def __init__(
        self,
        orch: Orchestrator,
        executor: Executor,
        *,
        kind: str,
        heartbeat_interval: float = 2.0,
        clock: Callable[[], datetime] = utcnow,
        observer: Callable[[LogLine], None] | None = None,
    ) -> None:
        self.orch = orch
        self.store = orch.store
        self.executor = executor
        self.kind = kind
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock
        self.observer = observer
        self.instance: Instance | None = None
        self.active: dict[str, tuple[asyncio.Task[RunRecord], RunCoordinator]] = {}
        #: Set by stop(); a start() still in progress then gives up (a server stopped at once).
        self.stopped = False
        #: Runs stopped because a user cancelled them (from another process).
        self.cancelled_on_request: set[str] = set()
        self._beating: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        #: A claim still in its thread: cancelling the task that awaits it does not stop the
        #: thread, whose commit would then leave its runs "running" under a stopped instance.
        self._claiming: asyncio.Future[list[str]] | None = None

    @property
    def id(self) -> str:
        assert self.instance is not None, "start() first"
        return self.instance.id

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Blocking work (store, files) off the event loop."""
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    async def start(self) -> None:
        instance = await self.call(self.store.register_instance, self.kind, self.clock())
        if self.stopped:
            await self.call(self.store.stop_instance, instance.id, self.clock())
            return
        self.instance = instance
        self._beating = asyncio.create_task(self._every(self.heartbeat_interval, self.beat))
        # The outbox: any process that executes runs delivers notifications, off the loop
        self._delivering = asyncio.create_task(self.orch.notifier(instance.id).serve())

    async def beat(self) -> None:
        for run_id in await self.call(self.store.beat, self.id, self.clock()):
            task = self.active.get(run_id)
            # A run whose coordinator has not begun is cancelled at the next beat (the request
            # stays in the store): cancelling its task now would leave the run "running"
            if task is not None and task[1].begun and not task[0].done():
                log.info("cancelling run %s as requested", run_id)
                self.cancelled_on_request.add(run_id)
                task[0].cancel()
        wakes = await self.call(self.store.take_wakes, self.id) if self.active else []
        for run_id, step, action in wakes:
            task = self.active.get(run_id)
            if task is not None and task[1].waits.wake(step, action):
                log.info(
                    "run %s: step %s: its retry wait ended as asked (%s)", run_id, step, action
                )

    async def _every(self, seconds: float, fn: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unreachable; keep going
                log.exception("%s failed; retrying in %s s", fn.__name__, seconds)
            await asyncio.sleep(seconds)

    async def launch(self, run: RunRecord) -> asyncio.Task[RunRecord]:
        """Execute a run this instance claimed, as registered in its version."""
        version = await self.call(self.store.get_version, run.pipeline, run.version)
        return self.start_run(loaded_from_version(version, self.orch.root), run)

    def start_run(self, loaded: LoadedPipeline, run: RunRecord) -> asyncio.Task[RunRecord]:
        coordinator = RunCoordinator(
            self.store,
            self.executor,
            loaded,
            run,
            observer=self.observer,
            connections=self.orch.connections,
            versions=self.store,
        )
        task = asyncio.create_task(coordinator.execute(), name=f"run-{run.id}")
        self.active[run.id] = (task, coordinator)
        task.add_done_callback(partial(self._ended, run.id))
        return task

    def _ended(self, run_id: str, task: asyncio.Task[RunRecord]) -> None:
        self.active.pop(run_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("run %s stopped on an error", run_id, exc_info=task.exception())

    async def stop(self, reason: str = SHUTDOWN_REASON, grace: float = 20.0) -> None:
        """Fail the runs still executing with ``reason`` and leave the store."""
        self.stopped = True
        for loop in filter(None, (self._beating, self._delivering)):
            loop.cancel()
        tasks = []
        for task, coordinator in list(self.active.values()):
            coordinator.stop_reason = reason
            task.cancel()
            tasks.append(task)
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        if self._claiming is not None:
            # Its commit first, so that what it claimed is given back below
            await asyncio.wait([self._claiming], timeout=grace)
        if self.instance is not None:
            # Claimed but never started (a task cancelled before it began, or a claim the stop
            # cut short): queued again instead of left running under a stopped instance
            for run_id in await self.call(self.store.release_unstarted, self.id):
                log.info("run %s was claimed but not started: queued again", run_id)
            await self.call(self.store.stop_instance, self.id, self.clock())


class Scheduler(RunHost):
    """Fires schedules and events (as leader), claims and executes queued runs, reaps."""

    def __init__(
        self,
        orch: Orchestrator,
        executor: Executor,
        config: SchedulerConfig | None = None,
        *,
        kind: str = "scheduler",
        clock: Callable[[], datetime] = utcnow,
        observer: Callable[[LogLine], None] | None = None,
    ) -> None:
        self.config = config or SchedulerConfig()
        super().__init__(
            orch,
            executor,
            kind=kind,
            heartbeat_interval=self.config.heartbeat_interval,
            clock=clock,
            observer=observer,
        )
        self.leader = Leader(
            orch.store,
            orch.runs_dir,
            self.config.default_timezone,
            catalog=orch.store,
            root=orch.root,
        )
        self.leader.use_connections(orch.connections)
        self.is_leader = False
        self._loop: asyncio.Task[None] | None = None
        self._last_reap: datetime | None = None
        self._last_prune: datetime | None = None
        self._pruning: asyncio.Future[Any] | None = None
        self._woken: asyncio.Event | None = None

    async def start(self) -> None:
        await super().start()
        if self.stopped:
            return
        await self.reap()
        if self.stopped:
            return
        self._woken = asyncio.Event()
        self._loop = asyncio.create_task(self._rounds())
        log.info("scheduler %s started", self.id)

    def wake(self) -> None:
        """Start the next round now (a run was just queued here), not at the next poll."""
        if self._woken is not None:
            self._woken.set()

    async def _rounds(self) -> None:
        assert self._woken is not None
        act_as(SCHEDULER)  # what this task fires and prunes is the scheduler's doing
        while True:
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unreachable; keep going
                log.exception("scheduler round failed; retrying")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._until_next_round())
            self._woken.clear()

    def _until_next_round(self) -> float:
        """``poll_interval``, or less when the leader knows a slot due sooner: a slot fires
        at its time, not up to a poll later."""
        due = self.leader.next_due() if self.is_leader else None
        if due is None:
            return self.config.poll_interval
        # A hair after the slot: a round that starts early sees nothing due yet.
        return min(self.config.poll_interval, max((due - self.clock()).total_seconds(), 0) + 0.005)

    async def round(self) -> None:
        """Lead (fire what is due), reap now and then, and claim what there is room for."""
        now = self.clock()
        self.is_leader = await self.call(
            self.store.acquire_lease, LEADER_LEASE, self.id, now, self.config.lease_ttl
        )
        if self.is_leader:
            await self.call(self.leader.tick, now)
            await self.call(feed_backfills, self.store, self.orch.runs_dir, now)
            self._prune_now_and_then(now)
            await self._warm_ahead(now)
        if (
            self._last_reap is None
            or (now - self._last_reap).total_seconds() >= self.config.reap_interval
        ):
            await self.reap()
        await self.claim()

    async def _warm_ahead(self, now: datetime) -> None:
        """A worker (its kernel booting) ahead of a due slot; a failure to start one is
        logged and never holds up the round: the slot's run starts one itself."""
        due = self.leader.next_due()
        if due is None or (due - now).total_seconds() > WARM_AHEAD_S:
            return
        try:
            await self.executor.prestart(1)
        except Exception:
            log.exception("starting a worker ahead of the next slot failed")

    def _prune_now_and_then(self, now: datetime) -> None:
        """Retention, once per ``prune_interval``, in a thread of its own: a long prune never
        holds up the next round."""
        due = self._last_prune is None or (
            (now - self._last_prune).total_seconds() >= self.config.prune_interval
        )
        if not due or (self._pruning is not None and not self._pruning.done()):
            return
        self._last_prune = now
        self._pruning = asyncio.ensure_future(
            self.call(
                prune,
                self.store,
                now,
                default=self.orch.retention,
                activity_max_age=self.orch.activity_max_age,
            )
        )
        self._pruning.add_done_callback(_said)

    async def reap(self) -> None:
        now = self.clock()
        self._last_reap = now
        for run_id in await self.call(
            reap, self.store, now, stale_after=self.config.stale_after, me=self.id
        ):
            log.warning("recovered orphaned run %s", run_id)

    async def claim(self) -> list[str]:
        capacity = (self.config.capacity or self.config.max_concurrent_runs) - len(self.active)
        self._claiming = asyncio.ensure_future(
            self.call(
                self.store.claim_queued,
                self.id,
                capacity=capacity,
                global_limit=self.config.max_concurrent_runs,
                now=self.clock(),
            )
        )
        # Shielded: a stop cancels this round, not the claim, which stop() waits for
        claimed = await asyncio.shield(self._claiming)
        for run_id in claimed:
            run = await self.call(self.store.get_run, run_id)
            log.info("starting run %s of %s (%s)", run.id, run.pipeline, run.trigger.value)
            await self.launch(run)
        return claimed

    async def stop(self, reason: str = SHUTDOWN_REASON, grace: float | None = None) -> None:
        self.stopped = True
        if self._pruning is not None:
            self._pruning.cancel()  # its thread ends its batch; the rest waits for next time
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await super().stop(reason, self.config.shutdown_grace if grace is None else grace)
        await self.call(self.leader.close)
        if self.instance is not None:
            await self.call(self.store.release_lease, LEADER_LEASE, self.id)
            log.info("scheduler %s stopped", self.id)
