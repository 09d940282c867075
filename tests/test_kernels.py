"""Warm kernels: fresh per step unless kernel_reuse, refilled, expired, replaced, never left."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.records import RunStatus

from .conftest import run_pipeline, write_notebook, write_pipeline
from .helpers import gone, task, wait_until

pytestmark = pytest.mark.slow

PROBE = (
    "import os, sys, jupyter_orch\n"
    "jupyter_orch.record('pid', os.getpid())\n"
    "jupyter_orch.record('connection_file', get_ipython().kernel.parent.connection_file)\n"
    "jupyter_orch.record('saw_variable', 'left_by_earlier_step' in globals())\n"
    "jupyter_orch.record('saw_module_state', hasattr(sys, '_orch_probe'))\n"
    "jupyter_orch.record('cwd', os.getcwd())\n"
    "left_by_earlier_step = 1\n"
    "sys._orch_probe = 1"
)


def chain(tmp_path: Path, reuse: bool) -> Path:
    write_notebook(tmp_path / "nb" / "probe.ipynb", "n = 0", PROBE)
    needs = [""] + [f", needs: [s{i - 1}]" for i in range(1, 4)]
    steps = "".join(f"  - {{name: s{i}, notebook: nb/probe.ipynb{needs[i]}}}\n" for i in range(4))
    return write_pipeline(
        tmp_path, f"name: probe\nkernel_reuse: {str(reuse).lower()}\nsteps:\n{steps}"
    )


def kernel_processes() -> set[int]:
    """Kernels and kernel templates alive now (forked kernels keep the template's name),
    started under this pytest process (with pytest-xdist, another worker's are not ours)."""
    found = set()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    for proc in psutil.process_iter(["cmdline", "status", "environ"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        ours = (proc.info["environ"] or {}).get("PYTEST_XDIST_WORKER") == worker
        if (
            ours
            and proc.info["status"] != psutil.STATUS_ZOMBIE
            and ("ipykernel_launcher" in cmdline or "kernel_template" in cmdline)
        ):
            found.add(proc.pid)
    return found


def test_no_kernel_is_left_after_a_run(orch, tmp_path: Path) -> None:
    before = kernel_processes()
    run_pipeline(orch, chain(tmp_path, reuse=False))
    deadline = time.monotonic() + 5
    while kernel_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernel_processes() - before == set()


def test_every_step_gets_a_kernel_no_earlier_step_used(orch, tmp_path: Path) -> None:
    run = run_pipeline(orch, chain(tmp_path, reuse=False))
    assert run.status is RunStatus.SUCCEEDED
    outputs = [s.outputs for s in run.steps]
    assert len({o["pid"] for o in outputs}) == 4
    assert len({o["connection_file"] for o in outputs}) == 4
    assert not any(o["saw_variable"] or o["saw_module_state"] for o in outputs)
    assert all(o["cwd"] == str(tmp_path / "nb") for o in outputs)  # the notebook's folder
    assert all(gone(o["pid"]) for o in outputs)


def test_kernel_reuse_shares_one_kernel_reset_between_steps(orch, tmp_path: Path) -> None:
    run = run_pipeline(orch, chain(tmp_path, reuse=True))
    assert run.status is RunStatus.SUCCEEDED
    outputs = [s.outputs for s in run.steps]
    assert len({o["pid"] for o in outputs}) == 1
    assert not any(o["saw_variable"] for o in outputs)  # the namespace is reset...
    assert [o["saw_module_state"] for o in outputs] == [
        False,
        True,
        True,
        True,
    ]  # ...modules are not
    assert all(o["cwd"] == str(tmp_path / "nb") for o in outputs)
    assert gone(outputs[0]["pid"])  # released when the run ended


def test_a_released_shared_kernel_is_not_killed_again_when_its_worker_exits(
    orch, tmp_path: Path
) -> None:
    """A worker that exits (now routine: idle workers retire) kills the shared kernels of runs
    still going; a run's kernel already released is forgotten, since its pid may by then
    belong to another process."""
    seen: dict[str, dict[str, set[int]]] = {}

    class Watched(LocalExecutor):
        async def close(self) -> None:
            seen.update(
                {str(w.process.pid): {k: set(p) for k, p in w.shared_kernels.items()}
                 for w in self._all}
            )  # fmt: skip
            await super().close()

    run = run_pipeline(orch, chain(tmp_path, reuse=True), executor=Watched(max_workers=1))
    assert run.status is RunStatus.SUCCEEDED
    assert len({s.outputs["pid"] for s in run.steps}) == 1  # the steps shared one kernel
    assert seen and all(kernels == {} for kernels in seen.values())


def test_pool_refills_replaces_dead_kernels_and_expires(tmp_path: Path) -> None:
    async def scenario() -> None:
        executor = LocalExecutor(max_workers=1, idle_ttl=6)
        try:
            await executor.prestart(1)
            assert await wait_until(lambda: len(executor.warm_kernel_pids()) == 1, 60)
            [warm] = executor.warm_kernel_pids()

            # the step runs on the warm kernel; a fresh one replaces it
            execution = await executor.submit(
                task(tmp_path, "a", "import os\nprint(os.getpid())"), lambda s, t: None
            )
            result = await execution.wait()
            assert result.status == "succeeded"
            assert await wait_until(lambda: executor.warm_kernel_pids() not in ([], [warm]), 30)
            assert await wait_until(lambda: gone(warm), 5), "the used kernel was not shut down"

            # a kernel that dies in the pool is replaced, and the next step still runs
            [dying] = executor.warm_kernel_pids()
            os.kill(dying, signal.SIGKILL)
            assert await wait_until(lambda: gone(dying), 5)
            execution = await executor.submit(task(tmp_path, "b", "x = 1"), lambda s, t: None)
            assert (await execution.wait()).status == "succeeded"
            assert await wait_until(lambda: executor.warm_kernel_pids() not in ([], [dying]), 30)

            # a failing step leaves no kernel behind
            execution = await executor.submit(
                task(tmp_path, "c", "raise ValueError('no')"), lambda s, t: None
            )
            assert (await execution.wait()).status == "failed"
            failed_kernel = execution.kernel_pid  # type: ignore[attr-defined]
            assert failed_kernel and await wait_until(lambda: gone(failed_kernel), 5)

            # idle kernels expire, and so does the idle worker with its kernel template: nothing
            # stays in memory while no run comes
            idle = executor.warm_kernel_pids()
            worker = psutil.Process(execution.worker.process.pid)  # type: ignore[attr-defined]
            below = worker.children(recursive=True)
            assert await wait_until(lambda: executor.warm_kernel_pids() == [], 30)
            assert all(gone(pid) for pid in idle)
            assert await wait_until(lambda: gone(worker.pid), 30), "the idle worker stayed"
            assert await wait_until(lambda: all(gone(p.pid) for p in below), 5)

            # the next step starts a worker again
            execution = await executor.submit(task(tmp_path, "d", "x = 2"), lambda s, t: None)
            assert (await execution.wait()).status == "succeeded"
            assert execution.worker.process.pid != worker.pid  # type: ignore[attr-defined]
        finally:
            await executor.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("how", ["close", "kill -9"])
def test_forked_kernels_never_outlive_their_template(tmp_path: Path, how: str) -> None:
    import sys

    from jupyter_client.connect import write_connection_file

    from jupyter_orch.executors.forking import KernelTemplate

    template = KernelTemplate(sys.executable)
    connection_file = str(tmp_path / "kernel.json")
    write_connection_file(connection_file, ip="127.0.0.1", key=b"secret")
    pid = template.fork(["-f", connection_file], dict(os.environ), str(tmp_path))
    time.sleep(1.5)  # let the kernel start its parent watch
    assert not gone(pid)
    if how == "close":
        template.close()
    else:
        template.process.kill()
        template.process.wait()
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pid), f"kernel {pid} outlived its template ({how})"
