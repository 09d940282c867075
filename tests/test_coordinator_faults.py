"""A fault anywhere in the run coordinator ends the run `failed` with the error recorded, every
attempt finished, and never "Pipeline completed successfully" (RELIABILITY case 26).

The matrix injects a fault at each stage with a fake executor (named as such: the notebook side
is not under test here) and a store that raises once at a chosen call; the real-kernel tests
below reproduce the faults users met.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import SpecError
from jupyter_orch.executors.base import Execution, Executor, LogSink, NotebookTask, TaskResult
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import AttemptStatus, RunRecord, RunStatus, StepStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import execute, write_notebook, write_pipeline


class FakeExecution(Execution):
    """Finishes at once with the notebook's outputs: ``{"ok": 1}``."""

    def __init__(self, task: NotebookTask, fault: Callable[[str], None]) -> None:
        self.task = task
        self.fault = fault
        self.stopped: str | None = None

    async def wait(self) -> TaskResult:
        self.fault("wait")
        await asyncio.sleep(0)
        return TaskResult("succeeded", {"ok": 1}, None, self.task.output_notebook)

    async def stop(self, reason: str) -> TaskResult:
        self.stopped = reason
        return TaskResult("failed", {}, None, self.task.output_notebook)


class FakeExecutor(Executor):
    def __init__(self, fault: Callable[[str], None]) -> None:
        self.fault = fault
        self.executions: list[FakeExecution] = []

    async def submit(self, task: NotebookTask, on_log: LogSink) -> Execution:
        self.fault("submit")
        on_log("stdout", "hello\n")
        execution = FakeExecution(task, self.fault)
        self.executions.append(execution)
        return execution

    async def release(self, reuse_key: str) -> None:
        pass

    async def close(self) -> None:
        pass


class FaultyStore:
    """A fake around a real store: the ``nth`` call of ``method`` raises ``error`` (once)."""

    def __init__(self, store: Store, method: str, nth: int, error: BaseException) -> None:
        self._store = store
        self._method = method
        self._nth = nth
        self._error = error
        self._calls = itertools.count(1)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if next(self._calls) == self._nth:
                raise self._error
            return target(*args, **kwargs)

        return call


def _pipeline(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "a.ipynb", None, "x = 1")
    return write_pipeline(
        tmp_path,
        """
        name: faults
        steps:
          - {name: first, notebook: a.ipynb}
          - {name: second, notebook: a.ipynb, needs: [first]}
          - {name: third, notebook: a.ipynb, needs: [second]}
        """,
    )


def _run(
    orch: Orchestrator,
    path: Path,
    store: Any,
    executor: Executor,
) -> RunRecord:
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = orch.create_run(loaded, version.version)
    faulty = Orchestrator(store, orch.runs_dir)
    return asyncio.run(faulty.execute(loaded, run, executor))


def _assert_truthful_failure(store: Store, run_id: str, words: str) -> None:
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED
    assert run.error and "internal error" in run.error and words in run.error
    assert run.ended_at is not None
    for step in run.steps:
        assert step.status not in (StepStatus.PENDING, StepStatus.RUNNING, StepStatus.RETRYING)
        for attempt in step.attempts:
            assert attempt.status is not AttemptStatus.RUNNING
            assert attempt.ended_at is not None
    messages = [line.message for line in store.get_logs(run_id)]
    assert "Pipeline completed successfully" not in messages
    assert any(m.startswith("Pipeline failed: internal error") for m in messages)


def _never(_stage: str) -> None:
    pass


def _raise_at(stage: str, error: BaseException) -> Callable[[str], None]:
    def fault(where: str) -> None:
        if where == stage:
            raise error

    return fault


STORE_FAULTS = [
    ("update_run", 1, OSError(28, "No space left on device")),
    ("save_attempt", 1, MemoryError()),
    ("save_attempt", 2, OverflowError("date value out of range")),
    ("save_attempt", 4, RuntimeError("store went away")),
    ("update_step", 1, OSError(36, "File name too long")),
    ("get_run", 1, ValueError("unexpected")),
]


@pytest.mark.parametrize(("method", "nth", "error"), STORE_FAULTS)
def test_a_store_fault_at_any_stage_fails_the_run_truthfully(
    tmp_path: Path, orch: Orchestrator, store: Store, method: str, nth: int, error: BaseException
) -> None:
    path = _pipeline(tmp_path)
    faulty = FaultyStore(store, method, nth, error)
    if method == "get_run":
        # get_run is only called to read the record at the very end: retried, not a failure
        run = _run(orch, path, faulty, FakeExecutor(_never))
        assert run.status is RunStatus.SUCCEEDED
        return
    run = _run(orch, path, faulty, FakeExecutor(_never))
    _assert_truthful_failure(store, run.id, type(error).__name__)


@pytest.mark.parametrize("stage", ["submit", "wait"])
def test_an_executor_fault_fails_the_step_and_the_run(
    tmp_path: Path, orch: Orchestrator, store: Store, stage: str
) -> None:
    path = _pipeline(tmp_path)
    executor = FakeExecutor(_raise_at(stage, MemoryError()))
    run = _run(orch, path, store, executor)
    _assert_truthful_failure(store, run.id, "MemoryError")
    record = store.get_run(run.id)
    first = next(s for s in record.steps if s.name == "first")
    assert first.status is StepStatus.FAILED
    assert first.attempts[-1].error and first.attempts[-1].error["ename"] == "InternalError"
    assert {s.name: s.status for s in record.steps}["third"] is StepStatus.CANCELLED
    if stage == "wait":  # a submitted step is stopped, never left running
        assert executor.executions[0].stopped == "internal error"


def test_a_run_log_blip_loses_no_line_and_fails_nothing(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    path = _pipeline(tmp_path)
    faulty = FaultyStore(store, "add_logs", 1, OSError(28, "No space left on device"))
    run = _run(orch, path, faulty, FakeExecutor(_never))
    assert store.get_run(run.id).status is RunStatus.SUCCEEDED
    messages = [line.message for line in store.get_logs(run.id)]
    assert messages[0] == "Pipeline started"
    assert "Pipeline completed successfully" in messages


def test_the_runs_end_is_recorded_once_the_store_accepts_writes_again(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    path = _pipeline(tmp_path)
    faulty = FaultyStore(store, "settle_run", 1, OSError(28, "No space left on device"))
    run = _run(orch, path, faulty, FakeExecutor(_never))
    record = store.get_run(run.id)
    assert record.status is RunStatus.SUCCEEDED
    messages = [line.message for line in store.get_logs(run.id)]
    assert any("The store refused to record the end" in m for m in messages)


# --- the faults users met, with real kernels ---------------------------------------------------


@pytest.mark.slow
def test_runs_dir_under_a_file_fails_the_run(tmp_path: Path, store: Store) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    orch = Orchestrator(store, blocker / "runs")
    path = _pipeline(tmp_path)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    final = execute(orch, loaded, run)
    _assert_truthful_failure(store, final.id, "NotADirectoryError")


@pytest.mark.parametrize("delay", ["99999999999d", ".inf", ".nan", "400d"])
def test_a_duration_past_a_year_is_refused_before_it_can_overflow(
    tmp_path: Path, delay: str
) -> None:
    write_notebook(tmp_path / "boom.ipynb", None, "raise ValueError('boom')")
    path = write_pipeline(
        tmp_path,
        f"""
        name: overflow
        steps:
          - {{name: boom, notebook: boom.ipynb, retries: 1, retry_delay: {delay}, retry_max_delay: {delay}}}
        """,
    )
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    fields = {p.path for p in caught.value.problems}
    assert fields == {"steps[0].retry_delay", "steps[0].retry_max_delay"}


@pytest.mark.slow
def test_a_fault_while_a_real_kernel_runs_fails_the_run_and_leaves_no_attempt_running(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    """The record of a finished attempt cannot be written: the run still ends failed, with
    every attempt finished, and the next steps never start."""
    path = _pipeline(tmp_path)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    faulty = Orchestrator(FaultyStore(store, "save_attempt", 2, MemoryError()), orch.runs_dir)  # type: ignore[arg-type]
    final = execute(faulty, loaded, run)
    _assert_truthful_failure(store, final.id, "MemoryError")
    statuses = {s.name: s.status for s in store.get_run(final.id).steps}
    assert statuses == {
        "first": StepStatus.FAILED,
        "second": StepStatus.CANCELLED,
        "third": StepStatus.CANCELLED,
    }
