"""Local executor: long-lived worker processes, each running one notebook task at a time.

The coordinating process never blocks on a step: workers are separate processes and
their messages arrive through a reader thread onto the event loop. The executor, not the
worker, enforces stops: it kills the kernel with its descendants and process group. Nothing
a step started survives it in another session either, a double-forked daemon included: a
forked kernel is a child subreaper, so its orphans stay below it, and what a dead kernel
leaves behind goes to its template, which kills it (see ``kernel_template``); the template
also takes everything below it down when its worker dies. Should the coordinator
itself die, its workers take their kernels down (see ``worker.watch_parent``), and
``kill_recorded_processes`` lets another process finish the job from recorded pids.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import psutil

from ..records import error_record
from .base import Execution, Executor, LogSink, NotebookTask, Task, TaskResult, step_environment
from .processes import WORKER_MODULE, exit_description, kill_kernel_tree, kill_tree

#: After an interrupt, how long a kernel gets to stop by itself before it is killed.
INTERRUPT_GRACE_S = 1.0
#: How long a worker gets to report after its kernel was killed, before it is killed too.
REPORT_GRACE_S = 10.0


class _Worker:
    """One worker process and the thread that reads its messages.

    Started as ``python -m jupyter_orch.executors.worker`` on one end of a socket pair,
    not through multiprocessing's spawn, which would re-import the caller's ``__main__``.
    """

    def __init__(self, executor: LocalExecutor) -> None:
        self._executor = executor
        parent_sock, child_sock = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            WORKER_MODULE,
            str(child_sock.fileno()),
            str(executor.idle_ttl),
            str(os.getpid()),
            *executor.warm_kernels,
        ]
        # Kernels inherit the worker's environment, warm ones before any task is known:
        # it starts without our variables (see also ``NotebookTask.hidden_env``).
        self.process = subprocess.Popen(
            command, pass_fds=(child_sock.fileno(),), env=step_environment(executor.environ)
        )
        child_sock.close()
        self.conn = Connection(parent_sock.detach())
        self.current: _LocalExecution | None = None
        self.warm_pids: list[int] = []  # fresh kernels ready in this worker
        self.reuse_keys: set[str] = set()  # runs whose shared kernel lives here
        #: Per run's reuse key, its shared kernels here: killed with the worker if it dies,
        #: forgotten once released (a stale pid may be someone else's by then).
        self.shared_kernels: dict[str, set[int]] = {}
        self.exitcode: int | None = None
        self.idle_spell = 0  # bumped at each idle spell: an older spell's retirement lapses
        self._reader = threading.Thread(target=self._read, daemon=True, name="orch-worker-reader")
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            self._executor.dispatch(self, message)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.exitcode = self.process.wait(timeout=2)
        self._executor.dispatch(self, ("exit", None))

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(1)


class _LocalExecution(Execution):
    def __init__(self, task: Task, worker: _Worker, on_log: LogSink) -> None:
        self.task = task
        self.worker = worker
        self.on_log = on_log
        self.kernel_pid: int | None = None
        self.kernel_group: int | None = None  # the kernel's pid, once seen to lead its group
        self.result: asyncio.Future[TaskResult] = asyncio.get_running_loop().create_future()
        self._known = asyncio.Event()  # set once the kernel is known, or the task ended
        self._stopping = False

    def set_kernel(self, pid: int, group: int | None) -> None:
        self.kernel_pid = pid
        self.kernel_group = group
        self._known.set()

    def processes(self) -> dict[str, int]:
        found = {"worker": self.worker.process.pid}
        if self.kernel_group is not None:
            found["kernel_group"] = self.kernel_group
        return found

    async def started(self) -> dict[str, int]:
        await self._known.wait()
        return self.processes()

    def finish(self, result: TaskResult) -> None:
        # Whatever the step left running goes with its kernel, unless the kernel itself lives
        # on for the run's next step (kernel_reuse). The worker does the same (the kernel
        # is its to dispose of), but it may be dead or stuck. Off the event loop: reading
        # the tree scans every process.
        if self.kernel_pid and (self.task.reuse_key is None or result.status == "failed"):
            asyncio.get_running_loop().run_in_executor(None, kill_kernel_tree, self.kernel_pid)
            if self.task.reuse_key is not None:
                self.worker.shared_kernels.get(self.task.reuse_key, set()).discard(self.kernel_pid)
        if not self.result.done():
            self.result.set_result(result)
        self._known.set()

    async def wait(self) -> TaskResult:
        return await asyncio.shield(self.result)

    async def stop(self, reason: str) -> TaskResult:
        if not self.result.done() and not self._stopping:
            self._stopping = True
            await asyncio.to_thread(self._stop_kernel)
            try:
                await asyncio.wait_for(asyncio.shield(self.result), REPORT_GRACE_S)
            except asyncio.TimeoutError:
                # The worker did not report: it goes too, and a fresh one replaces it.
                self.worker.kill()
                self.finish(
                    TaskResult(
                        status="failed",
                        error=error_record("WorkerKilled", reason),
                        output_notebook=_existing(self.task.output_notebook),
                    )
                )
        return await self.wait()

    def _stop_kernel(self) -> None:
        pid = self.kernel_pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # interrupt first: the notebook shows where it stopped
        deadline = time.monotonic() + INTERRUPT_GRACE_S
        while time.monotonic() < deadline and not self.result.done() and psutil.pid_exists(pid):
            time.sleep(0.05)
        kill_tree(pid)


def _existing(path: str) -> str | None:
    return path if os.path.exists(path) else None


#: Idle warm kernels are shut down after this long (seconds).
DEFAULT_IDLE_TTL_S = 600.0


class LocalExecutor(Executor):
    """Up to ``max_workers`` long-lived worker processes, started on demand.

    Each worker keeps one fresh kernel warm for each kernelspec in ``warm_kernels`` (and
    for each spec it has run since), so the pool holds ``max_workers`` warm kernels per
    spec; a kernel idle for ``idle_ttl`` seconds is shut down, and so is a worker (with its
    kernel template): nothing stays in memory while no run comes, and the next run starts a
    worker again (a cold start, about a second).
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        warm_kernels: tuple[str, ...] = ("python3",),
        idle_ttl: float = DEFAULT_IDLE_TTL_S,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(max_workers, idle_ttl=idle_ttl)
        self.warm_kernels = warm_kernels
        #: What the workers' kernels and processes inherit (without our variables).
        self.environ = os.environ if environ is None else environ
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._starts: set[asyncio.Future[_Worker]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._closed = False

    def _bind(self) -> asyncio.Event:
        if self._changed is None:
            self._loop = asyncio.get_running_loop()
            self._changed = asyncio.Event()
        return self._changed

    async def _start_worker(self) -> None:
        """Start a worker, which joins the idle ones. Shielded: a caller cancelled meanwhile
        (a stopping scheduler's round) leaves it registered, never unknown to ``close``."""
        self._bind()
        started = asyncio.ensure_future(asyncio.to_thread(_Worker, self))
        self._starts.add(started)
        started.add_done_callback(self._register)
        await asyncio.shield(started)

    @property
    def _starting(self) -> int:
        return len(self._starts)

    def _register(self, started: asyncio.Future[_Worker]) -> None:
        self._starts.discard(started)
        if started.cancelled() or started.exception() is not None:
            return
        self._all.add(started.result())  # close() waits for the starts, then stops them all
        if not self._closed:
            self._now_idle(started.result())
            self._bind().set()

    async def prestart(self, count: int) -> None:
        """Start up to ``count`` workers ahead of need; they warm their kernels meanwhile."""
        self._bind()
        missing = min(count, self.max_workers) - len(self._all) - self._starting
        await asyncio.gather(*(self._start_worker() for _ in range(max(missing, 0))))

    async def warm(self, workers: int, depth: int) -> None:
        """Have ``workers`` workers, each keeping ``depth`` fresh kernels per spec ready.

        One worker with two kernels suits a chain (each kernel boots while two steps run);
        wider pipelines want more workers.
        """
        await self.prestart(workers)
        for worker in self._all:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(("depth", depth, list(self.warm_kernels)))

    def warm_kernel_pids(self) -> list[int]:
        return [pid for worker in self._all for pid in worker.warm_pids]

    def _pick(self, task: Task) -> _Worker | None:
        """The idle worker that serves ``task`` fastest: its run's kernel, else a warm one."""
        self._idle = [w for w in self._idle if w.alive]
        if not self._idle:
            return None
        ranked = sorted(
            self._idle,
            key=lambda w: (task.reuse_key not in w.reuse_keys, not w.warm_pids),
        )
        worker = ranked[0]
        self._idle.remove(worker)
        return worker

    async def submit(self, task: Task, on_log: LogSink) -> Execution:
        task = self.capped(task)
        changed = self._bind()
        while True:
            if self._closed:
                raise RuntimeError("executor is closed")
            picked = self._pick(task)
            if picked is not None:
                worker = picked
                break
            if len(self._all) + self._starting < self.max_workers:
                await self._start_worker()  # it joins the idle ones: picked next time round
                continue
            changed.clear()
            await changed.wait()
        if task.reuse_key is not None:
            worker.reuse_keys.add(task.reuse_key)
        if isinstance(task, NotebookTask) and task.kernel_name in self.warm_kernels:
            worker.warm_pids = []  # it takes its warm kernel now; it says when another is up
        execution = _LocalExecution(task, worker, on_log)
        worker.current = execution
        try:
            worker.conn.send(task)
        except (BrokenPipeError, OSError) as exc:
            self._release(worker, alive=False)
            execution.finish(
                TaskResult(status="failed", error=error_record("WorkerDied", str(exc)))
            )
        return execution

    def dispatch(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        """Called from a reader thread: hand the message to the event loop."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._handle, worker, message)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        execution = worker.current
        kind = message[0]
        if kind == "warm":
            worker.warm_pids = list(message[1])
            if self._changed is not None:
                self._changed.set()
            return
        if kind == "exit":
            if execution is not None:
                execution.finish(
                    TaskResult(
                        status="failed",
                        error=error_record(
                            "WorkerDied",
                            "the worker process running the step died "
                            f"({exit_description(worker.exitcode)})",
                        ),
                        output_notebook=_existing(execution.task.output_notebook),
                    )
                )
            for pids in worker.shared_kernels.values():
                for pid in pids:
                    kill_kernel_tree(pid)
            self._release(worker, alive=False)
            return
        if execution is None or message[1] != execution.task.key:
            return
        if kind == "kernel":
            execution.set_kernel(message[2], message[3])
            if execution.task.reuse_key is not None:
                worker.shared_kernels.setdefault(execution.task.reuse_key, set()).add(message[2])
        elif kind == "log":
            execution.on_log(message[2], message[3])
        elif kind == "result":
            execution.finish(message[2])
            self._release(worker, alive=True)

    def _now_idle(self, worker: _Worker) -> None:
        """``worker`` waits for a task; unless one comes, it retires after ``idle_ttl``."""
        worker.idle_spell += 1
        self._idle.append(worker)
        if self._loop is not None:
            self._loop.call_later(self.idle_ttl, self._retire, worker, worker.idle_spell)

    def _retire(self, worker: _Worker, spell: int) -> None:
        """Stop ``worker`` if it has stayed idle since ``spell`` and keeps no run's kernel."""
        loop = self._loop
        if self._closed or worker.idle_spell != spell or worker not in self._idle or not loop:
            return
        if worker.reuse_keys:  # a run between steps still needs its kernel there
            loop.call_later(self.idle_ttl, self._retire, worker, spell)
            return
        self._idle.remove(worker)
        self._all.discard(worker)
        loop.run_in_executor(None, worker.stop)

    def _release(self, worker: _Worker, *, alive: bool) -> None:
        worker.current = None
        if alive and not self._closed:
            self._now_idle(worker)
        else:
            self._all.discard(worker)
            if worker in self._idle:
                self._idle.remove(worker)
        if self._changed is not None:
            self._changed.set()

    async def release(self, reuse_key: str) -> None:
        for worker in self._all:
            if reuse_key in worker.reuse_keys:
                worker.reuse_keys.discard(reuse_key)
                worker.shared_kernels.pop(reuse_key, None)  # the worker shuts it down
                with contextlib.suppress(BrokenPipeError, OSError):
                    worker.conn.send(("release", reuse_key))

    async def close(self) -> None:
        self._closed = True
        if self._starts:
            await asyncio.wait(set(self._starts))
        workers = list(self._all)
        for worker in workers:
            if worker.current is not None:
                await worker.current.stop("executor closed")
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
        self._all.clear()
        self._idle.clear()
