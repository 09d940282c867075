"""The run coordinator: drives one run from ready steps to a final status.

It hands ready steps to the executor, evaluates ``run_if`` and ``if:``, renders
parameters, applies retries and timeouts, and is the only writer of run records.
Store calls run on one background thread, so the event loop never waits on SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from jupyter_orch import dag
from jupyter_orch.pipelines.loader import LoadedPipeline
from jupyter_orch.pipelines.notebooks import check_named_notebook

from .durations import format_duration
from .errors import TemplateError
from .executors.base import Execution, Executor, NotebookTask, TaskResult
from .expressions import build_context, evaluate_condition, render_value
from .masking import mask_json, mask_text, masked_logger
from .records import (
    FAILED_STEP_STATUSES,
    FINISHED_STEP_STATUSES,
    SUCCESSFUL_STEP_STATUSES,
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepStatus,
    describe_exception,
    error_record,
    internal_error,
)
from .runlog import RunLog, record_counts
from .spec import EffectivePolicy, RunIf, StepSpec
from .store.base import RunRecords
from .store.types import LogLine, utcnow

T = TypeVar("T")
log = masked_logger("jupyter_orch.runner")

#: Longest wait between two tries to record a run's end while the store refuses writes.
SETTLE_MAX_DELAY = 30.0
#: Tries to write a run's last log lines before its end is recorded without them.
SETTLE_LOG_TRIES = 5

_FAILED_OR_UPSTREAM = FAILED_STEP_STATUSES | {StepStatus.UPSTREAM_FAILED}


def decide(run_if: RunIf, needs: list[StepStatus]) -> StepStatus | None:
    """The final status of a step that must not run, or None when it runs."""
    failed = any(s in _FAILED_OR_UPSTREAM for s in needs)
    if run_if is RunIf.ALL_DONE:
        return None
    if run_if is RunIf.ANY_FAILED:
        return None if failed else StepStatus.SKIPPED
    if failed:
        return StepStatus.UPSTREAM_FAILED
    if StepStatus.CANCELLED in needs:
        return StepStatus.CANCELLED
    if run_if is RunIf.ALL_SUCCEEDED and StepStatus.SKIPPED in needs:
        return StepStatus.SKIPPED
    return None


class StepFault(Exception):
    """A fault of ours while driving one step (not the notebook failing): the step fails with
    it and the run ends `failed`."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step {step}: {describe_exception(cause)}")
        self.step = step
        self.cause = cause


@dataclass
class _Outcome:
    status: AttemptStatus
    outputs: dict[str, Any]
    error: dict[str, Any] | None
    retryable: bool


def describe_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    text = f"{error.get('ename')}: {error.get('evalue')}"
    if error.get("cell_index") is not None:
        text += f" (cell {error['cell_index']})"
    return text


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
    ) -> None:
        self.store = store
        self.executor = executor
        self.loaded = loaded
        self.spec = loaded.spec
        self.run = run
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="orch-store")
        self.log = RunLog(partial(self._db, store.add_logs, run.id), observer)
        # A resumed run (its previous coordinator died): a step caught running was failed by
        # the reaper; a retrying one waits for its stored next attempt time.
        self.state: dict[str, StepStatus] = {
            s.name: StepStatus.PENDING if s.status is StepStatus.RETRYING else s.status
            for s in run.steps
        }
        self.resume_at = {
            s.name: s.next_attempt_at
            for s in run.steps
            if s.status is StepStatus.RETRYING and s.next_attempt_at is not None
        }
        #: Set before cancelling the run's task to fail it with this reason instead of
        #: cancelling it (the server or scheduler shutting down).
        self.stop_reason: str | None = None
        #: ``execute`` has begun: a task cancelled before that never runs a line of it, so
        #: nothing would record the cancellation.
        self.begun = False
        #: Steps whose driving raised an internal error, with it; and that error as a record.
        self.faulted: dict[str, BaseException] = {}
        #: Variables no step may see (other pipelines' secrets), read as the run starts.
        self.hidden_env: frozenset[str] = frozenset()
        self.fault: dict[str, Any] | None = None
        self.outputs = {s.name: s.outputs for s in run.steps if s.status is StepStatus.SUCCEEDED}
        self.attempts = {s.name: len(s.attempts) for s in run.steps}
        self.order = dag.topological_order(self.spec.needs)
        self.number = {name: i + 1 for i, name in enumerate(self.order)}
        limit = max_parallel_steps or self.spec.limits.max_parallel_steps or os.cpu_count() or 1
        self._slots = asyncio.Semaphore(limit)
        self.run_dir = Path(run.run_dir)
        self.artifacts_dir = self.run_dir / "artifacts"

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_thread, partial(fn, *args, **kwargs))

    # --- the run -------------------------------------------------------------------------------

    async def execute(self) -> RunRecord:
        """Run to the end; on cancellation, stop every step, record it, then re-raise."""
        self.begun = True
        resumed = self.run.started_at is not None
        self.started_at = self.run.started_at or utcnow()
        flusher = asyncio.create_task(self.log.flush_every(0.5))
        tasks: dict[asyncio.Task[None], str] = {}
        outcome: RunStatus | None = None
        error: str | None = None
        cancelled = False
        max_duration = self.spec.limits.max_duration
        deadline = time.monotonic() + max_duration if max_duration else None
        # Everything that awaits is inside the try: a cancel that comes while the run is still
        # starting is recorded like any other
        try:
            await asyncio.to_thread(self.artifacts_dir.mkdir, parents=True, exist_ok=True)
            await self._db(
                self.store.update_run,
                self.run.id,
                status=RunStatus.RUNNING,
                started_at=self.started_at,
            )
            self.hidden_env = await self._db(self.store.secret_variables)
            self.log.info("Pipeline resumed" if resumed else "Pipeline started")
            while True:
                launch, settled = self._ready()
                for name, status, reason in settled:
                    await self._finish_step(name, status, f"{status.value} ({reason})")
                for name in launch:
                    tasks[asyncio.create_task(self._drive_step(name), name=name)] = name
                if not tasks:
                    break
                timeout = max(deadline - time.monotonic(), 0) if deadline else None
                done, _ = await asyncio.wait(
                    tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    outcome = RunStatus.TIMED_OUT
                    error = f"the run exceeded its max_duration of {format_duration(max_duration)}"
                    break
                for task in done:
                    tasks.pop(task)
                    task.result()
        except asyncio.CancelledError:
            cancelled = True
            if self.stop_reason:
                outcome, error = RunStatus.FAILED, self.stop_reason
            else:
                outcome, error = RunStatus.CANCELLED, "the run was cancelled"
        except Exception as exc:
            # A fault of ours (a folder that cannot be made, an overflow, MemoryError, the
            # store refusing a write): the run fails and says why; it never settles as if the
            # steps it could not finish had been cancelled on purpose
            outcome, error = RunStatus.FAILED, self._fault(exc)
        finally:
            await self._wind_down(tasks, flusher, outcome, error)
        if cancelled:
            raise asyncio.CancelledError
        return self.run

    def _ready(self) -> tuple[list[str], list[tuple[str, StepStatus, str]]]:
        """Steps that can start, and steps that will never run (settling one may free others)."""
        launch: list[str] = []
        settled: list[tuple[str, StepStatus, str]] = []
        changed = True
        while changed:
            changed = False
            for name in self.order:
                if self.state[name] is not StepStatus.PENDING:
                    continue
                step = self.spec.step(name)
                needs = [self.state[n] for n in step.needs]
                if not all(s in FINISHED_STEP_STATUSES for s in needs):
                    continue
                verdict = decide(step.run_if, needs)
                if verdict is None:
                    launch.append(name)
                    self.state[name] = StepStatus.RUNNING
                else:
                    self.state[name] = verdict
                    settled.append((name, verdict, f"run_if {step.run_if.value}"))
                    changed = True
        return launch, settled

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
        outcome, error = self._verdict(outcome, error)
        flusher.cancel()
        await self._settle(outcome, error)
        self._db_thread.shutdown(wait=False)

    def _verdict(
        self, outcome: RunStatus | None, error: str | None
    ) -> tuple[RunStatus, str | None]:
        """The run's final status from its steps (unless already decided), and its log line.

        `succeeded` only when every step succeeded or was skipped.
        """
        failed = [n for n in self.order if self.state[n] in FAILED_STEP_STATUSES]
        if outcome is None:
            unsettled = [n for n in self.order if self.state[n] not in SUCCESSFUL_STEP_STATUSES]
            if failed:
                outcome = RunStatus.FAILED
            elif unsettled:
                outcome = RunStatus.FAILED
                error = f"internal error: steps {', '.join(unsettled)} never finished"
            else:
                outcome = RunStatus.SUCCEEDED
        if outcome is RunStatus.FAILED and (error or not failed):
            self.log.info(f"Pipeline failed: {error}")
        elif outcome is RunStatus.FAILED:
            error = f"step {failed[0]} {self.state[failed[0]].value}"
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self.log.info(f"Pipeline failed at step {failed[0]}{more}")
        elif outcome is RunStatus.SUCCEEDED:
            self.log.info("Pipeline completed successfully")
        else:
            self.log.info(f"Pipeline {outcome.value}: {error}")
        return outcome, error

    async def _settle(self, outcome: RunStatus, error: str | None) -> None:
        """Record the run's end: its status, every step's final status, every attempt
        finished, in one transaction. While the store refuses (a full disk, a database
        restarting), try again with backoff: the run must not stay `running`."""
        if outcome is RunStatus.CANCELLED:
            attempt_error = error_record("Cancelled", "the run was cancelled while this step ran")
        else:
            attempt_error = self.fault or error_record("InternalError", error or "")
        delay, said, log_failures = 0.5, False, 0

        def tell(exc: Exception) -> None:
            nonlocal said
            if not said:  # shown at once by the CLI; stored with the log once writes work
                self.log.info(
                    f"The store refused to record the end of run {self.run.id} "
                    f"({describe_exception(exc)}); it will be recorded {outcome.value} "
                    "once the store accepts writes again: retrying"
                )
                said = True

        while True:
            try:
                await self.log.flush()
            except Exception as exc:
                # Its lines stay pending for the next try; a log the store never takes (a
                # line it cannot hold) must not keep the run from ending
                log.warning("run %s: writing its log failed: %s", self.run.id, exc)
                log_failures += 1
                if log_failures < SETTLE_LOG_TRIES:
                    tell(exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, SETTLE_MAX_DELAY)
                    continue
            try:
                await self._db(
                    self.store.settle_run,
                    self.run.id,
                    outcome,
                    mask_text(error) if error else error,  # a fault's message may quote a URL
                    utcnow(),
                    steps=dict(self.state),
                    attempt_error=mask_json(attempt_error),
                )
                self.run = await self._db(self.store.get_run, self.run.id)
                return
            except Exception as exc:
                tell(exc)
                log.warning("run %s: recording its end failed: %s", self.run.id, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, SETTLE_MAX_DELAY)

    def _context(self) -> dict[str, Any]:
        finished = {
            n: (s.value, self.outputs.get(n, {}))
            for n, s in self.state.items()
            if s in FINISHED_STEP_STATUSES
        }
        run = {
            "id": self.run.id,
            "dir": str(self.artifacts_dir),
            "started_at": self.started_at.isoformat(),
            "scheduled_for": self.run.scheduled_for.isoformat() if self.run.scheduled_for else None,
            "event": self.run.event,
        }
        return build_context(self.run.parameters, finished, run)

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
                if not evaluate_condition(step.if_, self._context()):
                    await self._finish_step(
                        name, StepStatus.SKIPPED, f"skipped (if: {step.if_} is false)"
                    )
                    return
            except TemplateError as exc:
                self.attempts[name] += 1
                attempt = AttemptRecord(self.attempts[name], AttemptStatus.FAILED, utcnow())
                outcome = _Outcome(
                    attempt.status, {}, error_record("TemplateError", str(exc)), False
                )
                await self._record(name, attempt, outcome, None)
                await self._finish_step(name, StepStatus.FAILED, f"failed: {exc}")
                return
        resume_at = self.resume_at.pop(name, None)
        if resume_at is not None:
            await asyncio.sleep(max((resume_at - utcnow()).total_seconds(), 0))
        while True:
            self.attempts[name] += 1
            number = self.attempts[name]
            async with self._slots:
                outcome = await self._attempt(step, policy, number)
            if outcome.status is AttemptStatus.SUCCEEDED:
                self.outputs[name] = outcome.outputs
                upstream = [self.outputs.get(n, {}) for n in step.needs]
                counts = record_counts(outcome.outputs, upstream)
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
                    next_attempt_at=utcnow() + timedelta(seconds=delay),
                )
                self.log.info(
                    f"Step {self.number[name]}: {name} {outcome.status.value}: "
                    f"{describe_error(outcome.error)}; retrying in {format_duration(delay)} "
                    f"(attempt {number + 1} of {policy.retries + 1})",
                    step=name,
                )
                await asyncio.sleep(delay)
                continue
            final = StepStatus(outcome.status.value)
            await self._finish_step(name, final, f"{final.value}: {describe_error(outcome.error)}")
            return

    async def _finish_step(self, name: str, status: StepStatus, message: str) -> None:
        self.state[name] = status
        await self._db(self.store.update_step, self.run.id, name, status=status)
        self.log.info(f"Step {self.number[name]}: {name} {message}", step=name)

    async def _attempt(self, step: StepSpec, policy: EffectivePolicy, number: int) -> _Outcome:
        name = step.name
        suffix = "" if number == 1 else f".attempt-{number}"
        output_path = self.run_dir / f"{name}{suffix}.ipynb"
        attempt = AttemptRecord(number=number, status=AttemptStatus.RUNNING, started_at=utcnow())
        self.state[name] = StepStatus.RUNNING
        # Recorded while the task is built and sent (the store thread keeps writes in order).
        recorded = asyncio.ensure_future(
            self._db(
                self.store.save_attempt, self.run.id, name, attempt, step_status=StepStatus.RUNNING
            )
        )
        # A fault before it is awaited is reported by the code that hit it, not as "never retrieved"
        recorded.add_done_callback(lambda f: f.cancelled() or f.exception())
        note = f" (attempt {number})" if number > 1 else ""
        self.log.info(f"Step {self.number[name]}: {name} started{note}", step=name)
        execution: Execution | None = None
        timed_out = False
        try:
            try:
                task = await self._task(step, policy, output_path)
            except (TemplateError, ValueError) as exc:
                await recorded
                # A mistake in the pipeline or notebook: retrying would fail the same way.
                kind = "TemplateError" if isinstance(exc, TemplateError) else "InvalidNotebook"
                outcome = _Outcome(
                    AttemptStatus.FAILED, {}, error_record(kind, str(exc)), retryable=False
                )
                await self._record(name, attempt, outcome, None)
                return outcome
            # Which kernel runs it: the notebook's may be an alias (`python` is python3)
            self.log.info(
                f"Step {self.number[name]}: {name} on kernel {task.kernel_name}", step=name
            )
            execution = await self.executor.submit(task, partial(self.log.output, name))
            await recorded
            # Where the attempt runs, so a reaper can kill it if this process dies.
            tracked = asyncio.ensure_future(self._track(execution, name, number))
            try:
                result = await asyncio.wait_for(execution.wait(), policy.timeout)
            except asyncio.TimeoutError:
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
        outcome = self._outcome(result, timed_out, policy)
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
        outcome = _Outcome(status, result.outputs if result else {}, error, retryable=False)
        self.state[name] = final
        await self._record(name, attempt, outcome, result)
        await self._db(self.store.update_step, self.run.id, name, status=final)
        self.log.info(f"Step {self.number[name]}: {name} {final.value}", step=name)

    async def _track(self, execution: Execution, name: str, number: int) -> None:
        processes = await execution.started()
        if processes:
            await self._db(
                self.store.set_attempt_processes,
                self.run.id,
                name,
                number,
                {"host": socket.gethostname(), "recorded_at": int(time.time()), **processes},
            )

    def _outcome(self, result: TaskResult, timed_out: bool, policy: EffectivePolicy) -> _Outcome:
        if timed_out:
            error = error_record(
                "TimeoutError", f"step exceeded its timeout of {format_duration(policy.timeout)}"
            )
            return _Outcome(AttemptStatus.TIMED_OUT, result.outputs, error, policy.retry_on_timeout)
        if result.status == "succeeded":
            return _Outcome(AttemptStatus.SUCCEEDED, result.outputs, None, retryable=False)
        return _Outcome(AttemptStatus.FAILED, result.outputs, result.error, retryable=True)

    async def _task(self, step: StepSpec, policy: EffectivePolicy, output: Path) -> NotebookTask:
        parameters = render_value(dict(step.parameters), self._context())
        # Checked again as the step starts: inside the root still (a symlink changed since
        # registration fails here, its target never read), a regular file, a valid notebook
        notebook, kernel = await asyncio.to_thread(
            check_named_notebook, self.loaded.named_paths, step.notebook, policy.kernel
        )
        return NotebookTask(
            key=f"{self.run.id}/{step.name}/{output.name}",
            notebook=str(notebook),
            output_notebook=str(output),
            cwd=str(notebook.parent),
            kernel_name=kernel,
            pipeline_parameters=dict(self.run.parameters),
            step_parameters=parameters,
            env={
                "JUPYTER_ORCH_RUN_ID": self.run.id,
                "JUPYTER_ORCH_RUN_DIR": str(self.artifacts_dir),
                "JUPYTER_ORCH_STEP": step.name,
            },
            reuse_key=self.run.id if self.spec.kernel_reuse else None,
            hidden_env=self.hidden_env,
            report_mode=policy.report_mode,
            start_timeout=policy.start_timeout,
        )

    async def _record(
        self, name: str, attempt: AttemptRecord, outcome: _Outcome, result: TaskResult | None
    ) -> None:
        self.log.end_output(name)
        done = AttemptRecord(
            number=attempt.number,
            status=outcome.status,
            started_at=attempt.started_at,
            ended_at=utcnow(),
            outputs=outcome.outputs,
            error=mask_json(outcome.error),  # tracebacks may quote a URL with its password
            output_notebook=result.output_notebook if result else None,
        )
        await self._db(self.store.save_attempt, self.run.id, name, done)
