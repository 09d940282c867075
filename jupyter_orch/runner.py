"""The run coordinator: drives one run from ready steps to a final status. It hands ready steps
to the executor, evaluates ``run_if`` and ``if:``, renders parameters, applies retries and
timeouts, and is the only writer of run records. Store calls run on one background thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from jupyter_orch import dag
from jupyter_orch.artifacts.ledger import ArtifactLedger
from jupyter_orch.pipelines.loader import LoadedPipeline

from .connections import Connections
from .datasets.openlineage import LineageEvents, lineage_events
from .durations import format_duration
from .errors import TemplateError
from .executors.base import Execution, Executor, NotebookTask, TaskResult
from .expressions import evaluate_condition
from .masking import masked_logger
from .records import (
    FINISHED_STEP_STATUSES,
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepStatus,
    Trigger,
    describe_exception,
    error_record,
    internal_error,
)
from .run_folders import local_folder
from .run_policy import Readiness, StepFault, describe_error, run_verdict, template_context
from .run_sync import FolderSync
from .run_waits import RetryWaits, resume_points, within
from .run_writer import RunWriter
from .runlog import RunLog
from .spec import EffectivePolicy, StepSpec
from .steps.access import StepAccess
from .steps.base import AttemptContext, Outcome, StepKind, StepRefused
from .steps.registry import kind_of, step_kinds
from .store.base import PipelineCatalog, RunRecords
from .store.types import LogLine, utcnow
from .versions.materialise import RunSources, VersionContentError, materialise

log = masked_logger("jupyter_orch.runner")


class RunCoordinator:
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
        for name in self.order:
            if self.state[name] not in FINISHED_STEP_STATUSES:
                faulted = name in self.faulted
                self.state[name] = StepStatus.FAILED if faulted else StepStatus.CANCELLED
        outcome, error = await self.folder.settle(outcome, error)
        outcome, error, line = run_verdict(self.order, self.state, outcome, error)
        self.log.info(line)
        flusher.cancel()
        self.run = await self.writer.settle(self.log, outcome, error, dict(self.state), self.fault)
        self.writer.close()

    def _templates(self) -> dict[str, Any]:
        return template_context(
            self.run, self.artifacts_dir, self.started_at, self.state, self.outputs
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
                self.attempts[name] += 1
                attempt = AttemptRecord(self.attempts[name], AttemptStatus.FAILED, self.clock())
                outcome = Outcome(
                    attempt.status, {}, error_record("TemplateError", str(exc)), False
                )
                await self._record(name, attempt, outcome, None)
                await self._finish_step(name, StepStatus.FAILED, f"failed: {exc}")
                return
        resume_at = self.resume_at.pop(name, None)
        if resume_at is not None:
            await self.sleep(max((resume_at - self.clock()).total_seconds(), 0))
        while True:
            self.attempts[name] += 1
            number = self.attempts[name]
            async with self._slots:
                outcome = await self._attempt(step, policy, number)
            if outcome.status is AttemptStatus.SUCCEEDED:
                self.outputs[name] = outcome.outputs
                upstream = [self.outputs.get(n, {}) for n in step.needs]
                counts = self.kinds[kind_of(step)].summary(outcome.outputs, upstream)
                await self._finish_step(name, StepStatus.SUCCEEDED, f"succeeded{counts}")
                return
            retries_left = number <= policy.retries
            if outcome.retryable and retries_left:
                delay = policy.delay_before(number + 1)
                self.state[name] = StepStatus.RETRYING
                await self._db(
                    self.store.update_step,
                    self.run.id,
                    name,
                    status=StepStatus.RETRYING,
                    next_attempt_at=self.clock() + timedelta(seconds=delay),
                )
                self.log.info(
                    f"Step {self.number[name]}: {name} {outcome.status.value}: "
                    f"{describe_error(outcome.error)}; retrying in {format_duration(delay)} "
                    f"(attempt {number + 1} of {policy.retries + 1})",
                    step=name,
                )
                if await self.waits.wait(name, delay) != "fail":
                    continue
                self.log.info(f"Step {self.number[name]}: {name}: retries given up", step=name)
            final = StepStatus(outcome.status.value)
            await self._finish_step(name, final, f"{final.value}: {describe_error(outcome.error)}")
            return

    async def _finish_step(self, name: str, status: StepStatus, message: str) -> None:
        self.state[name] = status
        await self._db(self.store.update_step, self.run.id, name, status=status)
        self.log.info(f"Step {self.number[name]}: {name} {message}", step=name)

    async def _attempt(self, step: StepSpec, policy: EffectivePolicy, number: int) -> Outcome:
        name = step.name
        kind = self.kinds[kind_of(step)]
        attempt = AttemptRecord(number, AttemptStatus.RUNNING, self.clock())
        self.state[name] = StepStatus.RUNNING
        await self.artifacts.begin(name, number)
        # Recorded while the task is built and sent (the store thread keeps writes in order).
        recorded = asyncio.ensure_future(
            self._db(
                self.store.save_attempt, self.run.id, name, attempt, step_status=StepStatus.RUNNING
            )
        )
        # A fault before it is awaited is reported by the code that hit it, not as "never retrieved"
        recorded.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.events.started(self.run, name, attempt)
        note = f" (attempt {number})" if number > 1 else ""
        self.log.info(f"Step {self.number[name]}: {name} started{note}", step=name)
        execution: Execution | None = None
        timed_out = False
        try:
            try:
                task = await kind.task(step, policy, self._attempt_context(number))
            except StepRefused as exc:
                await recorded
                outcome = Outcome(AttemptStatus.FAILED, {}, exc.error, retryable=False)
                await self._record(name, attempt, outcome, None)
                return outcome
            if isinstance(task, NotebookTask):  # the notebook's may be an alias (python3)
                self.log.info(
                    f"Step {self.number[name]}: {name} on kernel {task.kernel_name}", step=name
                )
            execution = await self.executor.submit(task, partial(self.log.output, name))
            await recorded
            # Where the attempt runs, so a reaper can kill it if this process dies.
            tracked = asyncio.ensure_future(self.writer.track(execution, name, number))
            try:
                result = await within(execution.wait(), policy.timeout, self.sleep)
                if result is None:
                    timed_out = True
                    result = await execution.stop("timeout")
            finally:
                tracked.cancel()
        except asyncio.CancelledError:
            await self._stopped(name, attempt, execution)
            raise
        except Exception:
            # Whatever failed, the step's kernel and processes must not outlive the attempt
            if execution is not None:
                with contextlib.suppress(Exception):
                    await execution.stop("internal error")
            raise
        outcome = kind.outcome(result, timed_out, policy)
        await self._record(name, attempt, outcome, result)
        return outcome

    async def _stopped(
        self, name: str, attempt: AttemptRecord, execution: Execution | None
    ) -> None:
        """The run is being cancelled (or the server stops) while this attempt runs."""
        result = await execution.stop("cancelled") if execution is not None else None
        if self.stop_reason:
            status, final = AttemptStatus.FAILED, StepStatus.FAILED
            error = error_record("Shutdown", self.stop_reason)
        else:
            status, final = AttemptStatus.CANCELLED, StepStatus.CANCELLED
            error = error_record("Cancelled", "the run was cancelled while this step ran")
        outcome = Outcome(status, result.outputs if result else {}, error, retryable=False)
        self.state[name] = final
        await self._record(name, attempt, outcome, result)
        await self._db(self.store.update_step, self.run.id, name, status=final)
        self.log.info(f"Step {self.number[name]}: {name} {final.value}", step=name)

    def _attempt_context(self, number: int) -> AttemptContext:
        return AttemptContext(
            run_id=self.run.id,
            run_dir=self.run_dir,
            artifacts_dir=self.artifacts_dir,
            run_parameters=self.run.parameters,
            expressions=self._templates(),
            named_paths=self.loaded.named_paths,
            reuse_key=self.run.id if self.spec.kernel_reuse else None,
            hidden_env=self.hidden_env,
            number=number,
            access=self.access,
            sources=self.sources,
            remote=self.folder.remote,
        )

    async def _record(
        self, name: str, attempt: AttemptRecord, outcome: Outcome, result: TaskResult | None
    ) -> None:
        self.log.end_output(name)
        await self.folder.exchange()  # what the attempt wrote, here or on another machine
        written = await self.artifacts.end(name, attempt.number, outcome.outputs)
        step = self.spec.step(name)
        found = self.kinds[kind_of(step)].lineage(step, result, self._attempt_context(1))
        done = StepKind.record(
            attempt, outcome, result, self.clock(), self.access.masked, written, found
        )
        await self._db(self.store.save_attempt, self.run.id, name, done)
        declared = result.lineage if result is not None else None
        self.events.ended(self.run, name, done, declared, self.access.masked)
