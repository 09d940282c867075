"""An execution names its processes; they can be killed from elsewhere, and die with their
coordinator (a scheduler killed with kill -9 leaves nothing running)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.executors.processes import WORKER_MODULE, kill_recorded_processes

from .helpers import COORDINATOR, gone, read_pids, task, wait_for, wait_until

pytestmark = pytest.mark.slow

#: Processes that inherited this variable's value belong to one test (see ``marked``).
MARK = "ORCH_TEST_MARK"  # not JUPYTER_ORCH_*: steps never see those

#: A cell that starts a child, reports its pids, then runs until it is killed.
LONG = """
import json, os, subprocess, time
child = subprocess.Popen(['sleep', '300'])
pids = {{'kernel': os.getpid(), 'group': os.getpgid(0), 'child': child.pid}}
with open({pid_file!r} + '.tmp', 'w') as f:
    json.dump(pids, f)
os.rename({pid_file!r} + '.tmp', {pid_file!r})
time.sleep(300)
"""


def long_task(tmp_path: Path) -> tuple[NotebookTask, Path]:
    pid_file = tmp_path / "pids.json"
    return task(tmp_path, "long", LONG.format(pid_file=str(pid_file))), pid_file


def marked(mark: str) -> list[int]:
    """Live processes started (directly or not) with ``MARK`` set to ``mark``."""
    found = []
    for proc in psutil.process_iter(["environ", "status"]):
        environ = proc.info["environ"] or {}
        if environ.get(MARK) == mark and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


def kill_marked(mark: str) -> None:
    """Clean-up after a failed test: no process of it may outlive it."""
    for pid in marked(mark):
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)


def ignore(stream: str, text: str) -> None:
    pass


def test_processes_name_the_worker_and_the_kernels_group(tmp_path: Path) -> None:
    step, pid_file = long_task(tmp_path)

    async def scenario() -> None:
        executor = LocalExecutor(max_workers=1)
        try:
            execution = await executor.submit(step, ignore)
            worker = execution.processes()["worker"]  # known at once
            recorded = await asyncio.wait_for(execution.started(), 60)
            assert await wait_until(pid_file.exists, 30)
            pids = read_pids(pid_file)
            assert recorded == execution.processes()
            assert recorded == {"worker": worker, "kernel_group": pids["kernel"]}
            assert pids["group"] == pids["kernel"]  # the kernel leads its own group
            assert os.getpgid(pids["child"]) == recorded["kernel_group"]
            process = psutil.Process(worker)
            assert process.ppid() == os.getpid()
            assert WORKER_MODULE in " ".join(process.cmdline())
            assert (await execution.stop("test over")).status == "failed"
        finally:
            await executor.close()

    asyncio.run(scenario())


def test_kill_recorded_processes_kills_kernel_group_and_worker_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_worker = subprocess.Popen(["sleep", "60"])
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)  # inherited by the worker and all below it
    step, pid_file = long_task(tmp_path)
    here = socket.gethostname()

    async def scenario() -> None:
        executor = LocalExecutor(max_workers=1)
        try:
            execution = await executor.submit(step, ignore)
            recorded = await asyncio.wait_for(execution.started(), 60)
            assert await wait_until(pid_file.exists, 30)
            pids = read_pids(pid_file)

            assert kill_recorded_processes(recorded, "another-host") == []
            assert kill_recorded_processes({"worker": not_a_worker.pid}, here) == []
            signalled = kill_recorded_processes(recorded, here)
            # the worker's tree first (read while the kernel still holds what it adopted),
            # the kernel's group with it
            assert signalled[0] == recorded["worker"] and recorded["kernel_group"] in signalled
            for pid in (pids["kernel"], pids["child"], recorded["worker"]):
                assert await wait_until(lambda pid=pid: gone(pid), 5), f"{pid} survived"
            assert (await asyncio.wait_for(execution.wait(), 15)).status == "failed"
            assert await wait_until(lambda: not marked(mark), 5), "a process was left"
            kill_recorded_processes(recorded, here)  # all gone: no error
        finally:
            await executor.close()

    try:
        asyncio.run(scenario())
        time.sleep(0.2)
        assert not_a_worker.poll() is None, "a process that is no worker was killed"
    finally:
        kill_marked(mark)
        not_a_worker.kill()
        not_a_worker.wait()


def test_worker_kernels_and_their_children_die_with_the_coordinator(tmp_path: Path) -> None:
    step, pid_file = long_task(tmp_path)
    script = tmp_path / "coordinator.py"
    script.write_text(COORDINATOR)
    mark = uuid.uuid4().hex
    coordinator = subprocess.Popen(
        [sys.executable, str(script), step.notebook, step.output_notebook, step.cwd],
        env={**os.environ, MARK: mark},
    )
    try:
        pids = read_pids(pid_file, timeout=60)
        tree = [p.pid for p in psutil.Process(coordinator.pid).children(recursive=True)]
        assert {pids["kernel"], pids["child"]} <= set(tree)
        assert any(WORKER_MODULE in " ".join(psutil.Process(pid).cmdline()) for pid in tree)

        coordinator.kill()
        coordinator.wait()
        for pid in tree:  # worker, kernel template, warm and running kernels, the child
            assert wait_for(lambda pid=pid: gone(pid), 5), f"{pid} outlived its coordinator"
        assert wait_for(lambda: not marked(mark), 2), "a process was left"
    finally:
        coordinator.kill()
        coordinator.wait()
        kill_marked(mark)


def test_a_worker_whose_coordinator_is_gone_when_it_starts_exits_at_once() -> None:
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid names no parent of the worker
    ours, theirs = socket.socketpair()  # kept open: the worker sees no end of input
    mark = uuid.uuid4().hex
    command = [sys.executable, "-m", WORKER_MODULE, str(theirs.fileno()), "600"]
    worker = subprocess.Popen(
        [*command, str(ended.pid), "python3"],
        pass_fds=(theirs.fileno(),),
        env={**os.environ, MARK: mark},
    )
    try:
        assert worker.wait(timeout=15) == 1  # the watchdog's exit, not a normal one (0)
        assert wait_for(lambda: not marked(mark), 2), "a process was left"
    finally:
        worker.kill()
        worker.wait()
        kill_marked(mark)
        ours.close()
        theirs.close()


def test_a_group_id_reused_by_a_newer_process_is_left_alone() -> None:
    """After a crash the recorded kernel group may be gone and its number reused by a
    process started later: that process is not ours."""
    newcomer = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        long_ago = int(time.time()) - 600
        recorded = {"kernel_group": newcomer.pid, "recorded_at": long_ago}
        assert kill_recorded_processes(recorded, socket.gethostname()) == []
        assert newcomer.poll() is None
        recorded["recorded_at"] = int(time.time()) + 5  # recorded after it started: ours
        assert kill_recorded_processes(recorded, socket.gethostname()) == [newcomer.pid]
        assert newcomer.wait(5) == -signal.SIGKILL
    finally:
        newcomer.kill()
