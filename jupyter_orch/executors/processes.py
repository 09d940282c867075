"""Killing process trees: a kernel with everything its step started, a worker with its kernels.

Used by the worker and its kernel pool (``sigkill_tree``), by the executor on a stop, and
from another process after a crash (``kill_recorded_processes``, from recorded pids).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Mapping

import psutil

#: The module a worker process runs; its command line names it.
WORKER_MODULE = "jupyter_orch.executors.worker"

#: After SIGTERM, how long before SIGKILL.
TERM_GRACE_S = 1.0


def sigkill_tree(pid: int, *, include_root: bool = True) -> list[int]:
    """SIGKILL a process, its descendants, and the process group each of them leads.

    The tree is read before anything is killed: a killed parent's children would be
    re-parented out of it. The groups catch what a kernel's cell started and detached.
    Returns the pids signalled; processes already gone are skipped.
    """
    try:
        root = psutil.Process(pid)
        tree = root.children(recursive=True)
    except psutil.Error:
        return []
    if include_root:
        tree.insert(0, root)
    own_group = os.getpgrp()
    signalled = []
    for proc in tree:
        with contextlib.suppress(psutil.Error, OSError):
            leads_group = os.getpgid(proc.pid) == proc.pid != own_group
            proc.kill()  # psutil checks the pid was not reused since the tree was read
            signalled.append(proc.pid)
            if leads_group:
                os.killpg(proc.pid, signal.SIGKILL)
    return signalled


def kill_process_group(pid: int | None, sig: int = signal.SIGKILL) -> None:
    """Signal the process group led by ``pid`` (a kernel runs in a session of its own)."""
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def kill_kernel_tree(pid: int) -> None:
    """SIGKILL a kernel, all below it (its step's processes, in any session: the kernel is a
    subreaper) and its process group."""
    sigkill_tree(pid)
    kill_process_group(pid)


def kill_tree(pid: int | None, *, grace: float = TERM_GRACE_S) -> None:
    """SIGTERM then SIGKILL a process, its descendants and its process group."""
    if not pid:
        return
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    kill_process_group(pid, signal.SIGTERM)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    kill_process_group(pid, signal.SIGKILL)


def kill_recorded_processes(processes: Mapping[str, int], host: str) -> list[int]:
    """SIGKILL what ``Execution.processes()`` recorded, from a process other than the one
    that ran the step (after it crashed).

    Only on the host that recorded them. The worker with everything below it goes first, but
    only if that pid still runs a jupyter_orch worker (after a crash a pid may have been
    reused), then the kernel's process group. Returns the pids signalled (a group
    by its id); processes already gone are skipped, never an error.
    """
    if host != socket.gethostname():
        return []
    signalled = []
    # The worker's tree is read before its kernel dies: a process the kernel adopted (a
    # double fork, a new session) would be re-parented out of the tree by the kernel's death.
    worker = processes.get("worker")
    if worker and _is_worker(worker):
        signalled += sigkill_tree(worker)
    group = processes.get("kernel_group")
    if group and group > 1 and group != os.getpgrp() and not _newer(group, processes):
        try:
            os.killpg(group, signal.SIGKILL)
            if group not in signalled:
                signalled.append(group)
        except (ProcessLookupError, PermissionError):
            pass
    return signalled


def _newer(pid: int, processes: Mapping[str, int]) -> bool:
    """Whether ``pid`` now belongs to a process started after the attempt was recorded
    (``recorded_at``, epoch seconds): its number was reused, so its group is not ours."""
    recorded = processes.get("recorded_at")
    if not recorded:
        return False
    try:
        return psutil.Process(pid).create_time() > recorded + 1
    except psutil.Error:
        return False


def _is_worker(pid: int) -> bool:
    try:
        return WORKER_MODULE in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def exit_description(code: int | None) -> str:
    """How a process ended, from its ``Popen.returncode``: a signal by name, else the code."""
    if code is None:
        return "it closed its connection and did not exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
