"""The coordinator's faults users met, reproduced with real worker processes and kernels: the
run still ends `failed` with the error recorded and no attempt left running (the fast matrix of
faults is test_coordinator_faults.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import StepStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import execute
from .fakes import FakeFaultyStore
from .helpers import assert_truthful_failure, faults_pipeline

pytestmark = pytest.mark.slow


def test_runs_dir_under_a_file_fails_the_run(tmp_path: Path, store: Store) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    orch = Orchestrator(store, blocker / "runs")
    path = faults_pipeline(tmp_path)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    final = execute(orch, loaded, run)
    assert_truthful_failure(store, final.id, "NotADirectoryError")


def test_a_fault_while_a_real_kernel_runs_fails_the_run_and_leaves_no_attempt_running(
    tmp_path: Path, orch: Orchestrator, store: Store
) -> None:
    """The record of a finished attempt cannot be written: the run still ends failed, with
    every attempt finished, and the next steps never start."""
    path = faults_pipeline(tmp_path)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    faulty = Orchestrator(FakeFaultyStore(store, "save_attempt", 2, MemoryError()), orch.runs_dir)  # type: ignore[arg-type]
    final = execute(faulty, loaded, run)
    assert_truthful_failure(store, final.id, "MemoryError")
    statuses = {s.name: s.status for s in store.get_run(final.id).steps}
    assert statuses == {
        "first": StepStatus.FAILED,
        "second": StepStatus.CANCELLED,
        "third": StepStatus.CANCELLED,
    }
