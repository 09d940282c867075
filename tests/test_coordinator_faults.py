"""A fault anywhere in the run coordinator ends the run `failed` with the error recorded, every
attempt finished, and never "Pipeline completed successfully" (RELIABILITY case 26).

The matrix injects a fault at each stage with a fake executor (named as such: the notebook side
is not under test here) and a store that raises once at a chosen call, on a fake clock; the
real-kernel tests in test_coordinator_faults_kernels.py reproduce the faults users met.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import SpecError
from jupyter_orch.executors.base import Executor
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunRecord, RunStatus, StepStatus
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_steps
from .fakes import FakeClock, FakeExecutor, FakeFaultyStore, copied_store, run_with_clock
from .helpers import assert_truthful_failure, faults_pipeline


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = copied_store(tmp_path)
    yield store
    store.close()


def _run(
    orch: Orchestrator,
    path: Path,
    store: Any,
    executor: Executor,
) -> RunRecord:
    """The run to its end on ``store`` (a real one or a faulty fake), with a fake clock."""
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = orch.create_run(loaded, version.version)
    clock = FakeClock()

    async def main() -> RunRecord:
        coordinator = RunCoordinator(store, executor, loaded, run, clock=clock, sleep=clock.sleep)
        return await coordinator.execute()

    return run_with_clock(main, clock)


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
    path = faults_pipeline(tmp_path)
    faulty = FakeFaultyStore(store, method, nth, error)
    if method == "get_run":
        # get_run is only called to read the record at the very end: retried, not a failure
        run = _run(orch, path, faulty, FakeExecutor())
        assert run.status is RunStatus.SUCCEEDED
        return
    run = _run(orch, path, faulty, FakeExecutor())
    assert_truthful_failure(store, run.id, type(error).__name__)


@pytest.mark.parametrize("stage", ["submit", "wait"])
def test_an_executor_fault_fails_the_step_and_the_run(
    tmp_path: Path, orch: Orchestrator, store: Store, stage: str
) -> None:
    path = faults_pipeline(tmp_path)
    executor = FakeExecutor(fault=_raise_at(stage, MemoryError()))
    run = _run(orch, path, store, executor)
    assert_truthful_failure(store, run.id, "MemoryError")
    record = store.get_run(run.id)
    first = next(s for s in record.steps if s.name == "first")
    assert first.status is StepStatus.FAILED
    assert first.attempts[-1].error and first.attempts[-1].error["ename"] == "InternalError"
    assert {s.name: s.status for s in record.steps}["third"] is StepStatus.CANCELLED
    if stage == "wait":  # a submitted step is stopped, never left running
        assert executor.executions[0].stopped == "internal error"


def _run_past_a_full_disk(
    tmp_path: Path, orch: Orchestrator, store: Store, method: str
) -> tuple[RunRecord, list[str]]:
    """The faults pipeline run while the store's ``method`` refuses its first call (disk
    full); the run as stored, and its log lines."""
    path = faults_pipeline(tmp_path)
    faulty = FakeFaultyStore(store, method, 1, OSError(28, "No space left on device"))
    run = _run(orch, path, faulty, FakeExecutor())
    return store.get_run(run.id), [line.message for line in store.get_logs(run.id)]


def test_a_run_log_blip_loses_no_line_and_fails_nothing(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    record, messages = _run_past_a_full_disk(tmp_path, orch, store, "add_logs")
    assert record.status is RunStatus.SUCCEEDED
    assert messages[0] == "Pipeline started"
    assert "Pipeline completed successfully" in messages


def test_the_runs_end_is_recorded_once_the_store_accepts_writes_again(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    record, messages = _run_past_a_full_disk(tmp_path, orch, store, "settle_run")
    assert record.status is RunStatus.SUCCEEDED
    assert any("The store refused to record the end" in m for m in messages)


@pytest.mark.parametrize("delay", ["99999999999d", ".inf", ".nan", "400d"])
def test_a_duration_past_a_year_is_refused_before_it_can_overflow(
    tmp_path: Path, delay: str
) -> None:
    write_notebook(tmp_path / "boom.ipynb", None, "raise ValueError('boom')")
    path = write_steps(
        tmp_path,
        "overflow",
        f"- {{name: boom, notebook: boom.ipynb, retries: 1, retry_delay: {delay}, retry_max_delay: {delay}}}",
    )
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    fields = {p.path for p in caught.value.problems}
    assert fields == {"steps[0].retry_delay", "steps[0].retry_max_delay"}


FOR_EACH_FAULTS = [
    ("add_items", 1, OSError(28, "No space left on device")),
    ("save_attempt", 3, MemoryError()),
    ("update_step", 2, RuntimeError("store went away")),
]


@pytest.mark.parametrize(("method", "nth", "error"), FOR_EACH_FAULTS)
def test_a_store_fault_among_a_for_each_steps_items_fails_the_run_truthfully(
    tmp_path: Path, orch: Orchestrator, store: Store, method: str, nth: int, error: BaseException
) -> None:
    """Items run concurrently: a fault in one stops the others, and none is left running
    or pending."""
    write_notebook(tmp_path / "a.ipynb", "n = 0", "x = 1")
    path = write_steps(
        tmp_path,
        "fanout",
        """
        - {name: each, for_each: [1, 2, 3, 4], max_parallel: 2, notebook: a.ipynb,
           parameters: {n: "{{ item }}"}}
        - {name: after, needs: [each], notebook: a.ipynb}
        """,
    )
    run = _run(orch, path, FakeFaultyStore(store, method, nth, error), FakeExecutor())
    assert_truthful_failure(store, run.id, type(error).__name__)
    statuses = {s.name: s.status for s in store.get_run(run.id).steps}
    assert statuses["each"] is StepStatus.FAILED
    assert statuses["after"] is StepStatus.CANCELLED
