"""One step of a run, as the coordinator drives it: its attempts with their retries, each
attempt handed to the executor and recorded, and a step refused before it starts. The base of
``RunCoordinator`` (runner.py), which owns the run and the state these methods read and write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from jupyter_orch.artifacts.ledger import ArtifactLedger
from jupyter_orch.pipelines.loader import LoadedPipeline

from .datasets.openlineage import LineageEvents
from .durations import format_duration
from .errors import TemplateError
from .executors.base import Execution, Executor, NotebookTask, TaskResult
from .records import AttemptRecord, AttemptStatus, RunRecord, StepStatus, error_record
from .run_items import Item, with_item
from .run_policy import describe_error
from .run_sync import FolderSync
from .run_waits import RetryWaits, within
from .run_writer import RunWriter
from .runlog import RunLog
from .spec import EffectivePolicy, PipelineSpec, StepSpec
from .steps.access import StepAccess
from .steps.base import AttemptContext, Outcome, StepKind, StepRefused
from .steps.registry import kind_of
from .store.base import RunRecords
from .versions.materialise import RunSources


class StepAttempts:
    """Mixed into ``RunCoordinator``: what it drives for each step (or item of a for-each
    step, named ``report[0]``)."""

    store: RunRecords
    executor: Executor
    loaded: LoadedPipeline
    spec: PipelineSpec
    run: RunRecord
    kinds: Mapping[str, StepKind]
    access: StepAccess
    sources: RunSources
    events: LineageEvents
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]]
    writer: RunWriter
    waits: RetryWaits
    log: RunLog
    state: dict[str, StepStatus]
    resume_at: dict[str, datetime]
    stop_reason: str | None
    hidden_env: frozenset[str]
    outputs: dict[str, dict[str, Any]]
    attempts: dict[str, int]
    number: dict[str, int]
    run_dir: Path
    folder: FolderSync
    artifacts_dir: Path
    artifacts: ArtifactLedger
    _slots: asyncio.Semaphore
    _db: Callable[..., Awaitable[Any]]

    def _templates(self) -> dict[str, Any]:
        raise NotImplementedError

    async def refuse(self, step: StepSpec, exc: TemplateError) -> None:
        """A template the step needs before it starts cannot be evaluated: it fails, with one
        attempt that says why."""
        name = step.name
        self.attempts[name] += 1
        attempt = AttemptRecord(self.attempts[name], AttemptStatus.FAILED, self.clock())
        outcome = Outcome(attempt.status, {}, error_record("TemplateError", str(exc)), False)
        await self._record(step, attempt, outcome, None)
        await self._finish_step(name, StepStatus.FAILED, f"failed: {exc}")

    async def attempts_of(
        self, step: StepSpec, policy: EffectivePolicy, item: Item | None = None
    ) -> None:
        """The step's attempts (or an item's: ``step`` is then named ``report[0]``), with
        its retries, to its final status."""
        name = step.name
        resume_at = self.resume_at.pop(name, None)
        if resume_at is not None:
            await self.sleep(max((resume_at - self.clock()).total_seconds(), 0))
        while True:
            self.attempts[name] += 1
            number = self.attempts[name]
            async with self._slots:
                outcome = await self._attempt(step, policy, number, item)
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

    async def _attempt(
        self, step: StepSpec, policy: EffectivePolicy, number: int, item: Item | None
    ) -> Outcome:
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
                task = await kind.task(step, policy, self._attempt_context(number, item))
            except StepRefused as exc:
                await recorded
                outcome = Outcome(AttemptStatus.FAILED, {}, exc.error, retryable=False)
                await self._record(step, attempt, outcome, None)
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
            await self._stopped(step, attempt, execution)
            raise
        except Exception:
            # Whatever failed, the step's kernel and processes must not outlive the attempt
            if execution is not None:
                with contextlib.suppress(Exception):
                    await execution.stop("internal error")
            raise
        outcome = kind.outcome(result, timed_out, policy)
        await self._record(step, attempt, outcome, result)
        return outcome

    async def _stopped(
        self, step: StepSpec, attempt: AttemptRecord, execution: Execution | None
    ) -> None:
        """The run is being cancelled (or the server stops) while this attempt runs."""
        name = step.name
        result = await execution.stop("cancelled") if execution is not None else None
        if self.stop_reason:
            status, final = AttemptStatus.FAILED, StepStatus.FAILED
            error = error_record("Shutdown", self.stop_reason)
        else:
            status, final = AttemptStatus.CANCELLED, StepStatus.CANCELLED
            error = error_record("Cancelled", "the run was cancelled while this step ran")
        outcome = Outcome(status, result.outputs if result else {}, error, retryable=False)
        self.state[name] = final
        await self._record(step, attempt, outcome, result)
        await self._db(self.store.update_step, self.run.id, name, status=final)
        self.log.info(f"Step {self.number[name]}: {name} {final.value}", step=name)

    def _attempt_context(self, number: int, item: Item | None = None) -> AttemptContext:
        return AttemptContext(
            run_id=self.run.id,
            run_dir=self.run_dir,
            artifacts_dir=self.artifacts_dir,
            run_parameters=self.run.parameters,
            expressions=with_item(self._templates(), item),
            named_paths=self.loaded.named_paths,
            reuse_key=self.run.id if self.spec.kernel_reuse else None,
            hidden_env=self.hidden_env,
            number=number,
            access=self.access,
            sources=self.sources,
            remote=self.folder.remote,
        )

    async def _record(
        self, step: StepSpec, attempt: AttemptRecord, outcome: Outcome, result: TaskResult | None
    ) -> None:
        name = step.name
        self.log.end_output(name)
        await self.folder.exchange()  # what the attempt wrote, here or on another machine
        written = await self.artifacts.end(name, attempt.number, outcome.outputs)
        found = self.kinds[kind_of(step)].lineage(step, result, self._attempt_context(1))
        done = StepKind.record(
            attempt, outcome, result, self.clock(), self.access.masked, written, found
        )
        await self._db(self.store.save_attempt, self.run.id, name, done)
        declared = result.lineage if result is not None else None
        self.events.ended(self.run, name, done, declared, self.access.masked)
