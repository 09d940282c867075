"""The run coordinator: drives one run from ready steps to a final status. It hands ready steps
to the executor, evaluates ``run_if`` and ``if:``, renders parameters, applies retries and
timeouts, and is the only writer of run records. Store calls run on one background thread."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from jupyter_orch import dag
from jupyter_orch.artifacts.ledger import ArtifactLedger
from jupyter_orch.pipelines.loader import LoadedPipeline

from .connections import Connections
from .datasets.openlineage import LineageEvents, lineage_events
from .durations import format_duration
from .errors import TemplateError
from .executors.base import Executor
from .expressions import evaluate_condition
from .masking import masked_logger
from .records import (
    FINISHED_STEP_STATUSES,
    RunRecord,
    RunStatus,
    StepStatus,
    Trigger,
    describe_exception,
    internal_error,
)
from .run_folders import local_folder
from .run_items import ForEach, finished_items
from .run_policy import Readiness, StepFault, run_verdict, template_context
from .run_steps import StepAttempts
from .run_sync import FolderSync
from .run_waits import RetryWaits, resume_points
from .run_writer import RunWriter
from .runlog import RunLog
from .steps.access import StepAccess
from .steps.base import StepKind
from .steps.registry import step_kinds
from .store.base import PipelineCatalog, RunRecords
from .store.types import LogLine, utcnow
from .versions.materialise import RunSources, VersionContentError, materialise

log = masked_logger("jupyter_orch.runner")


class RunCoordinator(StepAttempts):
    """Executes one run of one pipeline version and records everything that happens."""

    def __init__(
        self,
        store: RunRecords,
        executor: Executor,
        loaded: LoadedPipeline,
        run: RunRecord,
        *,
        observer: Callable[[LogLine], None] | None = None,
        max_parallel_steps: int | None = None,
        kinds: Mapping[str, StepKind] | None = None,
        connections: Connections | None = None,
        versions: PipelineCatalog | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store, self.executor = store, executor
        self.loaded = loaded.only({s.name for s in run.steps})  # a test run may record fewer
        self.spec, self.run = self.loaded.spec, run
        #: How each kind of step becomes a task.
        self.kinds = step_kinds() if kinds is None else kinds
        #: The run's connections and secrets (read from the environment as it starts).
        self.access = StepAccess.of(self.spec, connections or Connections())
        #: Where the run's recorded files come from (None: every step reads its files on disk).
        self.versions, self.sources = versions, RunSources()
        self.events = LineageEvents() if run.trigger is Trigger.TEST else lineage_events()
        #: What the coordinator reads the time from and waits with (backoff, resume, step
        #: timeouts, max_duration, settle retries): a test's fake clock makes them instant.
        self.clock, self.sleep = clock, sleep
        self.writer = RunWriter(store, run.id, clock, sleep)
        self.waits = RetryWaits(sleep)  # Retry now, Fail now
        self._db = self.writer.call
        self.log = RunLog(partial(self._db, store.add_logs, run.id), observer, clock)
        self.state, self.resume_at = resume_points(run)
        #: Set before cancelling the run's task: it fails with this reason (a shutdown) instead.
        self.stop_reason: str | None = None
        #: ``execute`` has begun (a task cancelled before runs none of it: nothing records it).
        self.begun = False
        self.faulted: dict[str, BaseException] = {}  # steps whose driving raised, with it
        self.hidden_env: frozenset[str] = frozenset()  # every pipeline's secrets, at start
        self.fault: dict[str, Any] | None = None  # the internal error that ended it, a record
        self.outputs = {s.name: s.outputs for s in run.steps if s.status is StepStatus.SUCCEEDED}
        self.attempts = {s.name: len(s.attempts) for s in run.steps}
        self.order = dag.topological_order(self.spec.needs)
        self.number = {name: i + 1 for i, name in enumerate(self.order)}
        self.readiness = Readiness(self.spec, self.order, self.state)
        limit = max_parallel_steps or self.spec.limits.max_parallel_steps or os.cpu_count() or 1
        self._slots = asyncio.Semaphore(limit)
        self.run_dir = local_folder(run.run_dir)  # a remote folder's staging folder
        self.folder = FolderSync(run.run_dir, self.log)
        self.artifacts_dir = self.run_dir / "artifacts"
        self.artifacts = ArtifactLedger(self.artifacts_dir, self.order)  # which step wrote what
        #: Each for-each step's items, as its list resolved (``steps.report.items``).
        self.items, finished = finished_items(run.steps)
        self.outputs |= {
            k: v for k, v in finished.items() if self.state.get(k) in FINISHED_STEP_STATUSES
        }
        self.for_each = ForEach(self)

    # --- the run -------------------------------------------------------------------------------

    async def execute(self) -> RunRecord:
        """Run to the end; on cancellation, stop every step, record it, then re-raise."""
        self.begun = True
        resumed = self.run.started_at is not None
        self.started_at = self.run.started_at or self.clock()
        flusher = asyncio.create_task(self.log.flush_every(0.5))
        tasks: dict[asyncio.Task[None], str] = {}
        outcome: RunStatus | None = None
        error: str | None = None
        cancelled = False
        max_duration = self.spec.limits.max_duration
        deadline = asyncio.ensure_future(self.sleep(max_duration)) if max_duration else None
        watch: asyncio.Future[None] | None = None
        # Everything that awaits is inside the try: a cancel that comes while the run is still
        # starting is recorded like any other
        try:
            await self.folder.hold()
            await asyncio.to_thread(self.artifacts_dir.mkdir, parents=True, exist_ok=True)
            if self.versions is not None:
                self.sources = await self._db(materialise, self.versions, self.run)
            running = {"status": RunStatus.RUNNING, "started_at": self.started_at}
            await self._db(self.store.update_run, self.run.id, **running)
            hidden = await self._db(self.store.secret_variables)
            self.hidden_env = hidden | self.access.hidden()
            watch = self.writer.watch_long_running(self.spec.notify, self.started_at)
            self.log.info("Pipeline resumed" if resumed else "Pipeline started")
            while True:
                launch, settled = self.readiness.next()
                for name, status, reason in settled:
                    await self._finish_step(name, status, f"{status.value} ({reason})")
                for name in launch:
                    tasks[asyncio.create_task(self._drive_step(name), name=name)] = name
                if not tasks:
                    break
                timers = {deadline} if deadline else set()
                done, _ = await asyncio.wait(
                    tasks.keys() | timers, return_when=asyncio.FIRST_COMPLETED
                )
                done -= timers
                if not done:
                    outcome = RunStatus.TIMED_OUT
                    error = f"the run exceeded its max_duration of {format_duration(max_duration)}"
                    break
                for task in done:
                    self.readiness.finished(tasks.pop(task))
                    task.result()
        except asyncio.CancelledError:
            cancelled = True
            if self.stop_reason:
                outcome, error = RunStatus.FAILED, self.stop_reason
            else:
                outcome, error = RunStatus.CANCELLED, "the run was cancelled"
        except VersionContentError as exc:
            outcome, error = RunStatus.FAILED, str(exc)
        except Exception as exc:
            # A fault of ours (a folder not made, an overflow, MemoryError, a write refused): the
            # run fails and says why, never as if its unfinished steps were cancelled on purpose
            outcome, error = RunStatus.FAILED, self._fault(exc)
        finally:
            for timer in filter(None, (deadline, watch)):
                timer.cancel()
            await self._wind_down(tasks, flusher, outcome, error)
        if cancelled:
            raise asyncio.CancelledError
        return self.run

    def _fault(self, exc: Exception) -> str:
        """Note an internal error; the run's error text."""
        cause: BaseException = exc
        where = ""
        if isinstance(exc, StepFault):
            self.faulted[exc.step] = exc.cause
            cause, where = exc.cause, f" in step {exc.step}"
        log.error("run %s: internal error%s", self.run.id, where, exc_info=cause)
        self.fault = internal_error(cause)
        return f"internal error{where}: {describe_exception(cause)}"

    async def _wind_down(
        self,
        tasks: dict[asyncio.Task[None], str],
        flusher: asyncio.Task[None],
        outcome: RunStatus | None,
        error: str | None,
    ) -> None:
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if not isinstance(result, StepFault):
                continue
            if outcome is RunStatus.FAILED:  # the run already says why; the step failed too
                self.faulted[result.step] = result.cause
            else:
                outcome, error = RunStatus.FAILED, self._fault(result)
        if self.spec.kernel_reuse:
            try:
                await self.executor.release(self.run.id)
            except Exception as exc:
                log.warning("run %s: releasing its kernel failed: %s", self.run.id, exc)
        for name in list(self.state):  # the steps, and the items of for-each steps
            if self.state[name] not in FINISHED_STEP_STATUSES:
                faulted = name in self.faulted
                self.state[name] = StepStatus.FAILED if faulted else StepStatus.CANCELLED
        outcome, error = await self.folder.settle(outcome, error)
        outcome, error, line = run_verdict(self.order, self.state, outcome, error)
        self.log.info(line)
        flusher.cancel()
        self.run = await self.writer.settle(self.log, outcome, error, dict(self.state), self.fault)
        self.writer.close()
        await self.folder.release()  # once the run is recorded as ended: nothing here can undo it

    def _templates(self) -> dict[str, Any]:
        return template_context(
            self.run, self.artifacts_dir, self.started_at, self.state, self.outputs, self.items
        )

    # --- one step ------------------------------------------------------------------------------

    async def _drive_step(self, name: str) -> None:
        try:
            await self._drive(name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise StepFault(name, exc) from exc

    async def _drive(self, name: str) -> None:
        step = self.spec.step(name)
        policy = self.spec.policy(step)
        if step.if_:
            try:
                if not evaluate_condition(step.if_, self._templates()):
                    await self._finish_step(
                        name, StepStatus.SKIPPED, f"skipped (if: {step.if_} is false)"
                    )
                    return
            except TemplateError as exc:
                await self.refuse(step, exc)
                return
        if step.for_each is not None:
            await self.for_each.drive(step, policy)
        else:
            await self.attempts_of(step, policy)
