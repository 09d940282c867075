"""A kernel template: imports ipykernel once, then forks a fresh kernel per request.

Run by a worker as ``python -m jupyter_orch.executors.kernel_template`` with the kernelspec's
own Python. Each child is a new process that no step has used: it has the template's imported
modules and nothing else, so it skips the interpreter start and the imports (most of a kernel's
start-up) while keeping papermill's isolation. Requests and replies are JSON lines on stdin
and stdout: ``{"argv": [kernel arguments], "env": {...}, "cwd": "..."}`` -> ``{"pid": N}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from typing import Any

_children: set[int] = set()


def _reap(_signum: int, _frame: Any) -> None:
    # Kernels are our children: collect them as they exit so none lingers as a zombie.
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            _children.discard(pid)


def _kill_children() -> None:
    """Our worker went away (or closed us): no kernel we forked may outlive us."""
    for pid in list(_children):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: a new session, the request's environment, then the kernel."""
    try:
        os.setsid()
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
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

    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(json.dumps({"ready": os.getpid()}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _become_kernel(request)
            _children.add(pid)
            print(json.dumps({"pid": pid}), flush=True)
    finally:
        _kill_children()


if __name__ == "__main__":
    main()
