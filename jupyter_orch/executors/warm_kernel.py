"""One warm kernel in a worker process: launched ahead of need, connected and answering,
pointed at its step's folder and environment, killed with everything below it.

The kernels a worker started are also kept in ``OWNED``, for the watchdog that takes them
down when the worker's parent is gone.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from queue import Empty
from subprocess import DEVNULL
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from ..sizes import format_bytes
from .base import NotebookTask
from .forking import ForkingKernelSpecManager
from .kernel_code import CAP_CODE, SUBREAPER_CODE, scrub_code
from .processes import kill_process_group, sigkill_tree

#: How long a kernel may take to start and answer.
STARTUP_TIMEOUT_S = 60.0


class KernelDied(RuntimeError):
    """A kernel from the pool was dead when a step wanted it."""


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
            kill_process_group(pid)
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
        lines.append(scrub_code(task))
        lines.append(f"_orch_os.environ.update({task.env!r}); del _orch_os")
        lines.append(SUBREAPER_CODE)
        # Room for the kernel's marker, so that the worker's exact cut never drops it.
        rule = f"an output keeps at most {format_bytes(task.output_cap_bytes)}"
        lines.append(CAP_CODE.format(cap=max(task.output_cap_bytes - 256, 0), rule=rule))
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
            kill_process_group(pid)

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
