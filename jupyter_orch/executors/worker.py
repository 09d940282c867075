"""The worker process: executes tasks one at a time: notebooks with papermill on warm kernels,
query, function and export steps in a process of their own.

Runs in a long-lived child process of the executor; the messages it exchanges with its
parent are listed in ``protocol``. One notebook task's run is in ``task_run``, one call's in
``call_run``.

A watchdog thread takes the worker down, with every kernel it started, as soon as its
parent is gone: a coordinator killed with SIGKILL cannot stop its workers itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .base import CallTask, TaskResult, skip_slow_optional_imports
from .call_run import run_call
from .kernel_template import set_child_subreaper
from .papermill_engine import register_engine
from .processes import sigkill_tree
from .protocol import ParentConnection, ParentGone
from .task_run import error_from, run_task

#: How often a worker checks that its parent, the coordinator, is still there (seconds).
PARENT_POLL_S = 0.5
#: Once it is gone, for how long at most the worker kills what is still below it.
TEARDOWN_S = 5.0


def _reap_children() -> None:
    """Collect every child of ours that has exited (only while the worker is going down:
    in service, each child is its ``Popen``'s to wait for)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def watch_parent(parent: int, kill_kernels: Callable[[], object]) -> threading.Thread:
    """Start a thread that ends this process once ``parent`` is gone, kernels first.

    An orphan is re-parented (to init or a subreaper), so a parent pid other than the one
    at start means the coordinator died. The main thread may be blocked in a step for
    hours; this thread acts within ``PARENT_POLL_S``. (``PR_SET_PDEATHSIG`` would be no
    substitute: it fires when the parent *thread* that spawned us exits, and the executor
    spawns workers from a thread pool; and SIGKILL would leave the kernels behind.)
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        try:
            # Whatever is orphaned below us while we kill (a kernel's processes, once its
            # template is killed) comes to us, not to init: the next pass finds it.
            set_child_subreaper()
            with contextlib.suppress(Exception):
                kill_kernels()  # from now on, a kernel being launched dies as it registers
            deadline = time.monotonic() + TEARDOWN_S
            # again for anything the main thread started, or was orphaned, meanwhile
            while time.monotonic() < deadline:
                _reap_children()  # a zombie is no process to wait for
                if not sigkill_tree(os.getpid(), include_root=False):
                    break
                time.sleep(0.02)
        finally:
            os._exit(1)

    thread = threading.Thread(target=watch, daemon=True, name="orch-parent-watch")
    thread.start()
    return thread


def main(conn: Connection, warm_kernels: list[str], idle_ttl: float, parent: int) -> None:
    """Serve tasks until the parent closes the connection or sends None.

    ``parent`` is the coordinator's pid, from its side: one that died while this process
    started is noticed too.
    """
    # Ctrl-C in a terminal reaches the whole process group: the coordinator decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    skip_slow_optional_imports()
    from .kernels import KernelCache
    from .warm_kernel import OWNED

    watch_parent(parent, OWNED.kill_all)

    parent_conn = ParentConnection(conn)

    def announce(pids: list[int]) -> None:
        with contextlib.suppress(ParentGone):
            parent_conn.send(("warm", pids))

    cache = KernelCache(idle_ttl, announce)
    for name in warm_kernels:
        cache.prepare(name)
    # The launches run up to their first real wait (the kernel process or template spawned),
    # so that the kernels boot while papermill is imported, not after: a cold start's clock
    cache.loop.run_until_complete(asyncio.sleep(0))
    import papermill  # noqa: F401  (while the kernels boot, not on the first step's clock)

    register_engine()
    try:
        _serve(parent_conn, cache)
    finally:
        cache.close()


def _serve(conn: ParentConnection, cache: Any) -> None:
    while True:
        try:
            if not cache.idle(conn.fileno(), min(cache.idle_ttl, 60.0)):
                cache.expire()
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if isinstance(message, tuple) and message[0] == "release":
            cache.release(message[1])
            continue
        if isinstance(message, tuple) and message[0] == "depth":
            cache.depth = message[1]
            for name in message[2]:
                cache.prepare(name)
            continue
        try:
            if isinstance(message, CallTask):
                run_call(message, conn)
            else:
                run_task(message, conn, cache)
        except ParentGone:
            return
        except BaseException as exc:  # the task's own error (a full disk...): report it
            with contextlib.suppress(ParentGone):
                conn.send(
                    ("result", message.key, TaskResult(status="failed", error=error_from(exc)))
                )


if __name__ == "__main__":
    # python -m jupyter_orch.executors.worker FD IDLE_TTL PARENT_PID [KERNEL ...]
    main(Connection(int(sys.argv[1])), sys.argv[4:], float(sys.argv[2]), int(sys.argv[3]))
