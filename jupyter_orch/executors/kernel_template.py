"""A kernel template: imports ipykernel once, then forks a fresh kernel per request.

Run by a worker as ``python -m jupyter_orch.executors.kernel_template`` with the kernelspec's
own Python. Each child is a new process that no step has used: it has the template's imported
modules and nothing else, so it skips the interpreter start and the imports (most of a kernel's
start-up) while keeping papermill's isolation. Requests and replies are JSON lines on stdin
and stdout: ``{"argv": [kernel arguments], "env": {...}, "cwd": "..."}`` -> ``{"pid": N}``.

Nothing a step starts may outlive it, wherever it went: its own session, a daemon's double
fork. On Linux each kernel is a child subreaper, so its orphans (a daemon whose parent
exited) stay its descendants, found and killed with it; the template is one too, so what a
dead kernel leaves behind comes to the template, which kills it at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from typing import Any

#: The kernels we forked; any other child of ours was left behind by a dead kernel.
_children: set[int] = set()
#: prctl(2) option: orphans among our descendants are re-parented to us, not to init.
PR_SET_CHILD_SUBREAPER = 36
#: On exit, how long we keep killing what is left below us (a fork bomb keeps forking).
EXIT_SWEEP_S = 5.0


def set_child_subreaper() -> bool:
    """Make this process a child subreaper (Linux); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid``, from /proc (no psutil in a kernelspec's Python)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def descendants_of(pid: int) -> list[int]:
    """Children first, then theirs: read before killing, which re-parents them."""
    found: list[int] = []
    level = children_of(pid)
    while level:
        found.extend(level)
        level = [child for parent in level for child in children_of(parent)]
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _reap(_signum: int, _frame: Any) -> None:
    """Collect children as they exit so none lingers as a zombie; then kill whatever a dead
    kernel left behind (it came to us: we are its subreaper)."""
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            _children.discard(pid)
    left = [pid for pid in children_of(os.getpid()) if pid not in _children]
    if left:
        _kill([*left, *(d for pid in left for d in descendants_of(pid))])


def _kill_children() -> None:
    """Our worker went away (or closed us): nothing below us may outlive us."""
    for pid in list(_children):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + EXIT_SWEEP_S
    while time.monotonic() < deadline:
        below = descendants_of(os.getpid())
        _children.clear()  # from now on every child of ours is to be killed
        if not below:
            return
        _kill(below)
        time.sleep(0.02)  # _reap collects them, and kills what they left to us


def _become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: a new session, the request's environment, then the kernel."""
    try:
        os.setsid()
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        set_child_subreaper()  # the step's orphans stay below its kernel
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # exit when the template goes
        if request.get("cwd"):
            os.chdir(request["cwd"])
        # Watch the template, not whoever the template's environment named: ipykernel read
        # JPY_PARENT_PID when the template imported it.
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
    finally:
        os._exit(0)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import ipykernel.ipkernel
    import ipykernel.kernelapp
    import ipykernel.zmqshell  # noqa: F401

    set_child_subreaper()
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(json.dumps({"ready": os.getpid()}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            # No _reap between the fork and the kernel's entry: it would take it for a leftover.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            pid = os.fork()
            if pid == 0:
                _become_kernel(request)
            _children.add(pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            print(json.dumps({"pid": pid}), flush=True)
    finally:
        _kill_children()


if __name__ == "__main__":
    main()
