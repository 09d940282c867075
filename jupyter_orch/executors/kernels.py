"""Warm kernels inside a worker process: started ahead of need, connected, used once.

Each step gets a kernel nobody used before (papermill's isolation), but that kernel was
launched while an earlier step ran, so its start-up is off the critical path. With
``kernel_reuse`` the steps of one run share a kernel, reset between steps.

Everything here runs on the worker thread's event loop, the one papermill's nbclient
drives with ``run_sync``; launches scheduled on it progress while a step executes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from queue import Empty
from subprocess import DEVNULL
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop

from .base import ENV_PREFIX, NotebookTask
from .forking import ForkingKernelSpecManager, ForkProvisioner
from .processes import sigkill_tree

#: How long a kernel may take to start and answer.
STARTUP_TIMEOUT_S = 60.0


class KernelStartTimeout(TimeoutError):
    """A step's kernel did not start within its ``start_timeout``."""


#: After a step, the pool's refill starts this much later (see ``give_back``).
REFILL_DELAY_S = 0.05


class KernelDied(RuntimeError):
    """A kernel from the pool was dead when a step wanted it."""


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class KernelGroups:
    """The kernels this worker started (their process groups), for its parent watchdog.

    Kept apart from ``KernelCache``, whose state belongs to the worker's event loop: the
    watchdog kills from its own thread, at any moment, and must not miss a kernel.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[int, str] = {}  # kernel pid, which is its group's id -> connection file
        self._closed = False

    def add(self, pid: int, connection_file: str) -> None:
        with self._lock:
            self._files[pid] = connection_file
            if not self._closed:
                return
        self.kill_all()  # launched while the worker was being taken down

    def discard(self, pid: int) -> None:
        with self._lock:
            self._files.pop(pid, None)

    def kill_all(self) -> list[int]:
        """SIGKILL every kernel's group and remove its connection file; any kernel added
        later is killed as it is added. Returns the groups signalled."""
        with self._lock:
            self._closed = True
            files, self._files = self._files, {}
        for pid, connection_file in files.items():
            _kill_group(pid)
            with contextlib.suppress(OSError):
                os.remove(connection_file)
        return list(files)


#: This worker process's kernels.
OWNED = KernelGroups()


@dataclass
class WarmKernel:
    kernel_name: str
    km: AsyncKernelManager
    kc: Any  # AsyncKernelClient, connected and answering
    ready_at: float = field(default_factory=time.monotonic)
    steps: int = 0  # steps executed in it (more than one only with kernel_reuse)
    language_info: dict[str, Any] | None = None  # for the output notebook's metadata

    @property
    def pid(self) -> int | None:
        provisioner = self.km.provisioner
        return getattr(provisioner, "pid", None) if provisioner is not None else None

    def alive(self) -> bool:
        process = getattr(self.km.provisioner, "process", None)
        return process is not None and process.poll() is None

    def prepare(self, task: NotebookTask) -> None:
        """Point the kernel at the step's folder and environment (and reset it if reused).

        Sent without waiting: the kernel runs shell requests in order, so this completes
        before the notebook's first cell, while papermill reads and parameterises the
        notebook. nbclient skips the reply, which is not its own. The folder exists (the
        notebook was just read from it), so the code cannot fail on it.
        """
        lines = []
        if self.steps:
            # Like %reset -f for the user's names, without its history and gc work (~80 ms).
            lines.append(
                "_orch_ip = get_ipython(); _orch_ns = _orch_ip.user_ns\n"
                "for _orch_k in [k for k in _orch_ns if k not in _orch_ip.user_ns_hidden]:\n"
                "    del _orch_ns[_orch_k]"
            )
        # The environment first: nothing after it may keep it from being scrubbed.
        lines.append(f"import os as _orch_os; _orch_os.chdir({task.cwd!r})")
        lines.append(_scrub_code(task))
        lines.append(f"_orch_os.environ.update({task.env!r}); del _orch_os")
        lines.append(_SUBREAPER_CODE)
        # Room for the kernel's marker, so that the worker's exact cut never drops it.
        lines.append(_CAP_CODE.format(cap=max(task.output_cap_bytes - 256, 0)))
        self.kc.execute("\n".join(lines), silent=True, store_history=False)
        self.steps += 1

    async def info(self) -> dict[str, Any] | None:
        msg_id = self.kc.kernel_info()
        while True:
            reply = await self.kc.get_shell_msg(timeout=STARTUP_TIMEOUT_S)
            if reply["parent_header"].get("msg_id") == msg_id:
                info = reply["content"].get("language_info")
                return dict(info) if isinstance(info, dict) else None

    async def run(self, code: str, *, silent: bool) -> None:
        """Execute code of ours (never stored in history) and wait for its reply."""
        msg_id = self.kc.execute(code, silent=silent, store_history=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                reply = await self.kc.get_shell_msg(timeout=0.5)
            except Empty:
                if not self.alive():
                    raise KernelDied("the kernel died before the step started") from None
                if time.monotonic() > deadline:
                    raise
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(
                f"preparing the kernel failed: {content.get('ename')}: {content.get('evalue')}"
            )

    def signal_kill(self) -> None:
        """SIGKILL the kernel with everything below it and its process group, now: the
        output notebook is saved already. Below it is all its step started, in any session
        (the kernel is a subreaper: see ``prepare``)."""
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        pid = self.pid
        if pid:
            sigkill_tree(pid)
            _kill_group(pid)

    async def kill(self, managers: set[AsyncKernelManager] | None = None) -> None:
        """Kill, then let the manager reap the process and remove its connection file."""
        pid = self.pid
        self.signal_kill()
        with contextlib.suppress(Exception):
            await self.km.shutdown_kernel(now=True)
        if pid:
            OWNED.discard(pid)
        if managers is not None:
            managers.discard(self.km)


_SPECS: ForkingKernelSpecManager | None = None


def _spec_manager() -> ForkingKernelSpecManager:
    """One spec manager per worker process, not one per kernel launched."""
    global _SPECS
    if _SPECS is None:
        _SPECS = ForkingKernelSpecManager()
    return _SPECS


async def launch(
    kernel_name: str, managers: set[AsyncKernelManager], ready_within: float = STARTUP_TIMEOUT_S
) -> WarmKernel:
    km = AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=_spec_manager())
    managers.add(km)
    # ipykernel's own stderr is start-up chatter; cell output reaches the log via papermill.
    await km.start_kernel(stdout=DEVNULL, stderr=DEVNULL)
    kc = km.client()
    kc.start_channels()
    kernel = WarmKernel(kernel_name, km, kc)
    if kernel.pid:
        OWNED.add(kernel.pid, km.connection_file)
    try:
        await kc.wait_for_ready(timeout=ready_within)
        # A kernel's first execution pays one-off set-up (~15 ms): pay it here, ahead of need.
        await kernel.run("pass", silent=False)
        kernel.language_info = await kernel.info()
    except Exception:
        await kernel.kill(managers)
        raise
    kernel.ready_at = time.monotonic()
    return kernel


#: Kernel code making the kernel a child subreaper (Linux): what its step starts stays below
#: it even when double-forked, to be killed with it. Forked kernels are one from the start;
#: this covers kernels launched the usual way too.
_SUBREAPER_CODE = (
    "import ctypes as _orch_c, sys as _orch_s\n"
    "if _orch_s.platform.startswith('linux'):\n"
    "    try:\n"
    "        _orch_c.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
    "    except (OSError, AttributeError):\n"
    "        pass\n"
    "del _orch_c, _orch_s"
)


def _scrub_code(task: NotebookTask) -> str:
    """Kernel code removing what the step must not see from its environment (so from every
    process it starts): the hidden names, and our own variables but those the task sets."""
    return (
        "for _orch_k in [k for k in _orch_os.environ if k in "
        f"{sorted(task.hidden_env)!r} or (k.startswith({ENV_PREFIX!r}) "
        f"and k not in {sorted(task.env)!r})]:\n"
        "    del _orch_os.environ[_orch_k]"
    )


#: Kernel code capping what the step prints at the source: a flood never builds up in the
#: kernel (IPython keeps a cell's printed output in its history) nor crosses to the worker.
#: The cap is the notebook's (``NotebookTask.output_cap_bytes``, counted here in characters);
#: the worker cuts any kernel's output again at exactly that many bytes. IPython puts its
#: own ``write`` on the streams for each cell and takes it off after, so ours goes on top of
#: it at each cell's start (``pre_execute``); output of the kernel's subprocesses, which
#: ipykernel writes through the same streams, counts too.
_CAP_CODE = """
def _orch_cap(limit):
    import sys
    shell = get_ipython()
    if getattr(shell, '_orch_cap', None) is not None:  # a reused kernel: a new attempt
        shell.events.unregister('pre_execute', shell._orch_cap)
    state = [limit, False]  # characters left, whether the marker was written
    def wrap(write):
        while hasattr(write, '_orch_inner'):  # ours, left by an earlier cell: not twice
            write = write._orch_inner
        def capped_write(text, *args, **kwargs):
            if not isinstance(text, str) or len(text) <= state[0]:
                if isinstance(text, str):
                    state[0] -= len(text)
                return write(text, *args, **kwargs)
            write(text[: state[0]])
            state[0] = 0
            if not state[1]:
                state[1] = True
                write("\\n[output truncated: this step printed more than {cap} characters; "
                      "the rest is not kept]\\n")
            return len(text)
        capped_write._orch_inner = write
        return capped_write
    def install():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.write = wrap(stream.write)
            except (AttributeError, TypeError):
                pass
    shell.events.register('pre_execute', install)
    shell._orch_cap = install
_orch_cap({cap}); del _orch_cap
"""


def _launched(task: asyncio.Task[WarmKernel]) -> WarmKernel | None:
    """The kernel a finished launch produced; None while booting, failed or cancelled."""
    if not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()


class KernelCache:
    """Per kernelspec, one fresh kernel kept warm; plus kernels kept for ``kernel_reuse``."""

    def __init__(
        self, idle_ttl: float, on_change: Callable[[list[int]], None], depth: int = 1
    ) -> None:
        self.idle_ttl = idle_ttl
        self.on_change = on_change  # told the warm kernels' pids whenever they change
        self.depth = depth  # fresh kernels kept ready per kernelspec
        self.loop = ensure_event_loop()
        self._warming: dict[str, list[asyncio.Task[WarmKernel]]] = {}
        self._reused: dict[str, WarmKernel] = {}
        self._managers: set[AsyncKernelManager] = set()  # every kernel started, to kill at close
        self._disposals: set[asyncio.Task[None]] = set()
        self._closed = False

    def prepare(self, kernel_name: str) -> None:
        """Start fresh kernels of this spec in the background, up to ``depth`` on their way."""
        if self._closed:
            return
        tasks = self._warming.setdefault(kernel_name, [])
        while len(tasks) < self.depth:
            task = self.loop.create_task(launch(kernel_name, self._managers))
            task.add_done_callback(lambda _: self.on_change(self.warm_pids()))
            tasks.append(task)

    def _tasks(self) -> list[asyncio.Task[WarmKernel]]:
        return [task for tasks in self._warming.values() for task in tasks]

    def idle(self, fd: int, timeout: float) -> bool:
        """Let kernels boot until ``fd`` is readable (True) or ``timeout`` passes (False)."""
        ready: asyncio.Future[bool] = self.loop.create_future()
        self.loop.add_reader(fd, lambda: None if ready.done() else ready.set_result(True))
        try:
            return self.loop.run_until_complete(asyncio.wait_for(ready, timeout))
        except asyncio.TimeoutError:
            return False
        finally:
            self.loop.remove_reader(fd)
            for tasks in self._warming.values():  # a failed launch is retried when next needed
                tasks[:] = [t for t in tasks if not t.done() or _launched(t) is not None]

    def warm_pids(self) -> list[int]:
        kernels = [_launched(task) for task in self._tasks()]
        return [k.pid for k in kernels if k is not None and k.pid]

    def take(self, task: NotebookTask) -> WarmKernel:
        """A kernel ready for one step, in its folder and environment.

        The run's shared one, else the warm one, else a new one; a kernel that turns out to
        have died in the pool is replaced once.
        """
        kernel = self._take(task.kernel_name, task.reuse_key, task.start_timeout)
        if not kernel.alive():  # died in the pool (or with the last step, when shared)
            self._dispose(kernel)
            kernel = self._started(
                launch(task.kernel_name, self._managers, task.start_timeout),
                task.kernel_name,
                task.start_timeout,
            )
        kernel.prepare(task)
        return kernel

    def _started(
        self, starting: Awaitable[WarmKernel], kernel_name: str, start_timeout: float
    ) -> WarmKernel:
        """The kernel once ready; ``KernelStartTimeout`` past the step's ``start_timeout``.
        A launch still under way then joins the warm pool: a later step may use it, and
        closing the pool stops it, so no kernel is left behind."""
        launching = asyncio.ensure_future(starting, loop=self.loop)

        async def ready() -> WarmKernel:
            return await asyncio.wait_for(asyncio.shield(launching), start_timeout)

        try:
            return self.loop.run_until_complete(ready())
        except asyncio.TimeoutError:
            self._warming.setdefault(kernel_name, []).append(launching)
            raise KernelStartTimeout(
                f"kernel {kernel_name!r} did not start within {start_timeout:g} s (start_timeout)"
            ) from None

    def _take(self, kernel_name: str, reuse_key: str | None, start_timeout: float) -> WarmKernel:
        if reuse_key is not None:
            shared = self._reused.pop(reuse_key, None)
            if shared is not None and shared.kernel_name == kernel_name and shared.alive():
                return shared
            if shared is not None:
                self._dispose(shared)
        kernel: WarmKernel | None = None
        tasks = self._warming.get(kernel_name, [])
        # the first one ready, else the oldest launch (the closest to ready)
        task = next((t for t in tasks if t.done()), tasks[0] if tasks else None)
        if task is not None:
            tasks.remove(task)
            try:
                kernel = self._started(task, kernel_name, start_timeout)
            except KernelStartTimeout:
                raise
            except Exception:  # a warm launch that failed: launch anew below
                kernel = None
            if kernel is not None and not kernel.alive():  # died while waiting in the pool
                self._dispose(kernel)
                kernel = None
        if kernel is None:
            kernel = self._started(
                launch(kernel_name, self._managers, start_timeout), kernel_name, start_timeout
            )
        if self.depth == 1:
            self.prepare(kernel_name)  # the replacement boots while this step runs
        return kernel

    def _dispose(self, kernel: WarmKernel) -> None:
        """Kill at once; the manager's clean-up (reaping polls every 0.1 s) runs in the
        background, never between a step's result and the next step."""
        kernel.signal_kill()
        task = self.loop.create_task(kernel.kill(self._managers))
        self._disposals.add(task)
        task.add_done_callback(self._disposals.discard)

    def give_back(self, kernel: WarmKernel, reuse_key: str | None) -> None:
        if reuse_key is not None and kernel.alive():
            self._reused[reuse_key] = kernel
            kernel.ready_at = time.monotonic()
        else:
            self._dispose(kernel)
        # With a spare kernel already warm, the refill starts a moment after the next step
        # did, while that step waits on its kernel, not while it is being set up.
        self.loop.call_later(REFILL_DELAY_S, self.prepare, kernel.kernel_name)

    def release(self, reuse_key: str) -> None:
        kernel = self._reused.pop(reuse_key, None)
        if kernel is not None:
            self._dispose(kernel)

    def expire(self) -> None:
        """Shut down kernels idle for longer than ``idle_ttl``."""
        now = time.monotonic()
        expired = False
        for tasks in self._warming.values():
            for task in list(tasks):
                kernel = _launched(task)
                if kernel is not None and now - kernel.ready_at > self.idle_ttl:
                    tasks.remove(task)
                    self._dispose(kernel)
                    expired = True
        for key, kernel in list(self._reused.items()):
            if now - kernel.ready_at > self.idle_ttl:
                self.release(key)
        if expired:
            self.on_change(self.warm_pids())

    def close(self) -> None:
        """Kill every kernel now, including those still starting (never wait for them)."""
        self._closed = True
        for km in self._managers:
            pid = getattr(km.provisioner, "pid", None) if km.provisioner is not None else None
            if pid:
                _kill_group(pid)
        for task in [*self._tasks(), *self._disposals]:
            task.cancel()
        with contextlib.suppress(BaseException):
            self.loop.run_until_complete(asyncio.sleep(0))
        for km in self._managers:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(km.cleanup_resources())
        self._warming.clear()
        self._reused.clear()
        ForkProvisioner.close_templates()
