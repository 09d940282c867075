"""Helpers shared by several test modules; no test module imports another for them."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psutil

from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.records import AttemptStatus, RunStatus, StepStatus
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline

# executors and processes


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


async def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return bool(predicate())


def read_pids(pid_file: Path, timeout: float = 60) -> dict[str, Any]:
    assert wait_for(lambda: pid_file.exists() and pid_file.stat().st_size > 0, timeout)
    return json.loads(pid_file.read_text())


def task(tmp_path: Path, name: str, code: str) -> NotebookTask:
    notebook = write_notebook(tmp_path / f"{name}.ipynb", None, code)
    return NotebookTask(
        key=name,
        notebook=str(notebook),
        output_notebook=str(tmp_path / "out" / f"{name}.ipynb"),
        cwd=str(tmp_path),
        kernel_name="python3",
    )


#: A coordinator script (argv: notebook, output, cwd) running one task on a LocalExecutor.
COORDINATOR = """
import asyncio, sys
from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.executors.local import LocalExecutor

async def main(notebook, output, cwd):
    executor = LocalExecutor(max_workers=1)
    task = NotebookTask(
        key="long", notebook=notebook, output_notebook=output, cwd=cwd, kernel_name="python3"
    )
    execution = await executor.submit(task, lambda stream, text: None)
    await execution.wait()

asyncio.run(main(*sys.argv[1:]))
"""


# the run coordinator's faults


def faults_pipeline(tmp_path: Path) -> Path:
    """Three steps in a line, each a one-cell notebook."""
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


def assert_truthful_failure(store: Store, run_id: str, words: str) -> None:
    """The run ended `failed` saying why, nothing left unfinished, no success line."""
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
