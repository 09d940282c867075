"""Every process a step started, in any session or process group, double-forked daemons
included, is gone when the step ends, times out or is cancelled (RELIABILITY cases 10, 29)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_orch.executors.base import Execution, NotebookTask
from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.executors.processes import kill_recorded_processes
from jupyter_orch.records import StepStatus

from .conftest import run_pipeline, write_notebook, write_pipeline
from .helpers import COORDINATOR, task, wait_for, wait_until


def with_executor(scenario: Callable[[LocalExecutor], Awaitable[None]], **options: Any) -> None:
    """Run ``scenario`` with a one-worker executor, closed afterwards whatever happens."""

    async def go() -> None:
        executor = LocalExecutor(max_workers=1, **options)
        try:
            await scenario(executor)
        finally:
            await executor.close()

    asyncio.run(go())


def with_execution(
    step: NotebookTask, scenario: Callable[[Execution], Awaitable[None]], **options: Any
) -> None:
    """Run ``scenario`` on ``step`` submitted to a one-worker executor (as ``with_executor``)."""

    async def submitted(executor: LocalExecutor) -> None:
        await scenario(await executor.submit(step, lambda s, t: None))

    with_executor(submitted, **options)


pytestmark = pytest.mark.slow

#: Cells starting a ``sleep SECONDS`` that escapes the kernel's process group, each its way.
ESCAPES = {
    "new-session": (
        "import subprocess\nsubprocess.Popen(['sleep', '{seconds}'], start_new_session=True)"
    ),
    "setsid-disown": "import os\nos.system(\"bash -c 'setsid sleep {seconds} & disown'\")",
    "double-fork": (
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execvp('sleep', ['sleep', '{seconds}'])\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)"
    ),
}


def sleeping(seconds: int) -> list[psutil.Process]:
    """Live ``sleep SECONDS`` processes (a unique number per test finds only its own)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        command, status = proc.info["cmdline"], proc.info["status"]
        if command == ["sleep", str(seconds)] and status != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


@pytest.fixture
def seconds() -> Iterator[int]:
    value = random.randint(100_000, 999_999)
    yield value
    for proc in sleeping(value):  # a failed test leaves nothing behind
        with contextlib.suppress(psutil.Error):
            proc.kill()


@pytest.fixture(params=list(ESCAPES))
def escape(request: pytest.FixtureRequest, seconds: int) -> str:
    """Each way of escaping, as a cell: it starts ``sleep SECONDS`` and prints ``started``."""
    return ESCAPES[request.param].format(seconds=seconds) + "\nprint('started', flush=True)"


def hanging(tmp_path: Path, escape: str) -> NotebookTask:
    """A task whose cell escapes, then sleeps until it is stopped."""
    return task(tmp_path, "escape", escape + "\nimport time\ntime.sleep(300)")


@pytest.mark.parametrize("reuse", [False, True], ids=["fresh-kernel", "kernel-reuse"])
def test_what_a_step_started_is_gone_when_it_ends(
    tmp_path: Path, escape: str, reuse: bool, seconds: int
) -> None:
    step = task(tmp_path, "escape", escape)
    if reuse:
        step = replace(step, reuse_key="run-1")

    async def scenario(executor: LocalExecutor) -> None:
        execution = await executor.submit(step, lambda s, t: None)
        result = await asyncio.wait_for(execution.wait(), 120)
        assert result.status == "succeeded", result.error
        if reuse:  # the run's kernel lives on for its next step, and so do its processes
            # (a daemon started with `& disown` may exec its sleep just after the cell ends)
            assert await wait_until(lambda: bool(sleeping(seconds)), 10)
            await executor.release("run-1")
        assert await wait_until(lambda: not sleeping(seconds), 10), "a process survived"

    with_executor(scenario)


def test_what_a_step_started_is_gone_when_it_is_cancelled(
    tmp_path: Path, escape: str, seconds: int
) -> None:
    step = hanging(tmp_path, escape)

    async def scenario(execution: Execution) -> None:
        assert await wait_until(lambda: bool(sleeping(seconds)), 60)
        result = await asyncio.wait_for(execution.stop("cancelled"), 60)
        assert result.status == "failed"
        assert await wait_until(lambda: not sleeping(seconds), 10), "a process survived"

    with_execution(step, scenario)


def test_what_a_step_started_is_gone_when_it_times_out(
    orch, tmp_path: Path, escape: str, seconds: int
) -> None:
    write_notebook(tmp_path / "escape.ipynb", None, escape, "import time\ntime.sleep(300)")
    path = write_pipeline(
        tmp_path, "name: escape\nsteps: [{name: escape, notebook: escape.ipynb, timeout: 8s}]\n"
    )
    run = run_pipeline(orch, path)
    assert run.step("escape").status is StepStatus.TIMED_OUT
    assert "started" in Path(run.step("escape").attempts[0].output_notebook).read_text()
    assert wait_for(lambda: not sleeping(seconds), 10), "a process survived the timeout"


def test_what_a_step_started_is_gone_when_its_worker_is_killed(
    tmp_path: Path, escape: str, seconds: int
) -> None:
    """RELIABILITY case 3: kill -9 of the worker takes its kernels and all below them."""
    step = hanging(tmp_path, escape)

    async def scenario(execution: Execution) -> None:
        worker = (await asyncio.wait_for(execution.started(), 60))["worker"]
        assert await wait_until(lambda: bool(sleeping(seconds)), 60)
        psutil.Process(worker).kill()
        result = await asyncio.wait_for(execution.wait(), 30)
        assert result.error is not None and result.error["ename"] == "WorkerDied"
        assert await wait_until(lambda: not sleeping(seconds), 10), "a process survived"

    with_execution(step, scenario)


def test_what_a_step_started_is_gone_when_its_coordinator_is_killed(
    tmp_path: Path, escape: str, seconds: int
) -> None:
    """RELIABILITY case 1: kill -9 of the coordinator; its workers take all down."""
    step = hanging(tmp_path, escape)
    script = tmp_path / "coordinator.py"
    script.write_text(COORDINATOR)
    coordinator = subprocess.Popen(
        [sys.executable, str(script), step.notebook, step.output_notebook, step.cwd]
    )
    try:
        assert wait_for(lambda: bool(sleeping(seconds)), 60)
        coordinator.kill()
        coordinator.wait()
        assert wait_for(lambda: not sleeping(seconds), 10), "a process survived"
    finally:
        coordinator.kill()
        coordinator.wait()


@pytest.fixture
def unforked_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Python kernelspec that names jupyter_client's own provisioner: its kernels are
    started as new interpreters, not forked from our template."""
    spec = tmp_path / "jupyter" / "kernels" / "plain-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "plain python",
                "language": "python",
                "metadata": {"kernel_provisioner": {"provisioner_name": "local-provisioner"}},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "plain-python"


def test_what_a_step_started_on_an_unforked_kernel_is_gone_when_it_ends(
    tmp_path: Path, escape: str, seconds: int, unforked_kernel: str
) -> None:
    step = replace(
        task(tmp_path, "escape", escape + "\nimport os\nprint(os.getppid())"),
        kernel_name=unforked_kernel,
    )

    async def scenario(execution: Execution) -> None:
        worker = execution.processes()["worker"]
        result = await asyncio.wait_for(execution.wait(), 120)
        assert result.status == "succeeded", result.error
        printed = Path(step.output_notebook).read_text()
        assert f"{worker}" in printed  # the kernel's parent: the worker, no template
        assert await wait_until(lambda: not sleeping(seconds), 10), "a process survived"

    with_execution(step, scenario, warm_kernels=())


def test_what_a_step_started_is_gone_when_its_recorded_processes_are_killed(
    tmp_path: Path, escape: str, seconds: int
) -> None:
    """After a coordinator crash, another process kills what the attempt recorded."""
    step = hanging(tmp_path, escape)

    async def scenario(execution: Execution) -> None:
        recorded = await asyncio.wait_for(execution.started(), 60)
        assert await wait_until(lambda: bool(sleeping(seconds)), 60)
        assert kill_recorded_processes(recorded, socket.gethostname())
        assert await wait_until(lambda: not sleeping(seconds), 10), "a process survived"
        await asyncio.wait_for(execution.wait(), 30)

    with_execution(step, scenario)
