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
import time
from collections.abc import Awaitable, Callable

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop

from .base import NotebookTask
from .forking import ForkProvisioner
from .processes import kill_process_group
from .warm_kernel import WarmKernel, launch


class KernelStartTimeout(TimeoutError):
    """A step's kernel did not start within its ``start_timeout``."""


#: After a step, the pool's refill starts this much later (see ``give_back``).
REFILL_DELAY_S = 0.05


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
                kill_process_group(pid)
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
