"""What a step's processes cost, and its memory limit: watched from the worker, outside the
kernel (or the query, function or export step's process).

A thread sums the resident memory of the step's process tree (the kernel and everything below
it, detached sessions included: the kernel is a subreaper) ``SAMPLES_PER_S`` times a second,
and finds the tree's processes again twice a second (that walks every process of the machine,
the watch's main cost; a process started since is counted from the next walk). Past ``max_memory`` it kills the tree, and the attempt fails with ``memory limit exceeded: peak
4.3 GB > 4 GB``. The peak recorded is the larger of the summed samples and each process's own
high-water mark (``VmHWM``, reset for a warm kernel as the step starts), so a spike between two
samples still shows. CPU seconds are the tree's user and system time since the step began.

No cgroup: this machine's kind has no writable cgroup v2 subtree; and no ``RLIMIT_AS``, which
limits address space (numpy with OpenBLAS reserves far more than it uses).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from ..sizes import format_bytes

SAMPLES_PER_S = 10
#: Every this many samples (half a second), the tree's processes are found again and their
#: high-water marks read; in between, the memory and CPU times of those found last.
SAMPLES_PER_FULL = 5
_HWM = "VmHWM:"


@dataclass(frozen=True)
class Usage:
    peak_memory_bytes: int
    cpu_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"peak_memory_bytes": self.peak_memory_bytes, "cpu_seconds": self.cpu_seconds}


def memory_error(peak: int, limit: int) -> dict[str, Any]:
    """An attempt's error when its tree went past its limit."""
    return {
        "ename": "MemoryLimitExceeded",
        "evalue": f"memory limit exceeded: peak {format_bytes(peak)} > {format_bytes(limit)}",
        "traceback": [],
        "cell_index": None,
    }


def _high_water(pid: int) -> int:
    """A process's own peak resident memory (bytes), 0 when it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(_HWM):
                return int(line.split()[1]) * 1024
    return 0


def _reset_high_water(pid: int) -> None:
    """Start a process's ``VmHWM`` over from its current size (a warm kernel's earlier steps
    must not count as this one's)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


class TreeWatch:
    """Watches the process tree under ``pid`` until ``stop()``; calls ``kill`` once when its
    memory passes ``limit`` bytes (None: only measured)."""

    def __init__(self, pid: int, limit: int | None, kill: Callable[[], object]) -> None:
        self.pid = pid
        self.limit = limit
        self.kill = kill
        #: The peak when the limit was passed (the tree was then killed).
        self.exceeded: int | None = None
        self._peak = 0
        self._cpu_start: float | None = None
        self._cpu = 0.0
        self._procs: list[psutil.Process] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="orch-resources")

    def start(self) -> TreeWatch:
        _reset_high_water(self.pid)
        with contextlib.suppress(psutil.Error):  # a process that ended at once: nothing to watch
            self._cpu_start = self._sample()[1]
        self._thread.start()
        return self

    def stop(self) -> Usage:
        """End the watch (the step has ended); what the tree used."""
        self._stopped.set()
        self._thread.join(2)
        with contextlib.suppress(psutil.Error):
            self._sample()  # the last figures, if the tree is still there
        cpu = max(self._cpu - (self._cpu_start or 0.0), 0.0)
        return Usage(self._peak, round(cpu, 3))

    def _sample(self, full: bool = True) -> tuple[int, float]:
        """(resident bytes, CPU seconds) of the tree now; the peak is kept. ``full``: find
        the tree's processes again and read their high-water marks too (finding them reads
        every process of the machine: the costly part); otherwise the processes found last
        time."""
        if full or not self._procs:
            root = psutil.Process(self.pid)
            self._procs = [root, *root.children(recursive=True)]
        rss = self._procs[0].memory_info().rss  # the root gone: psutil.Error, the watch ends
        cpu, high = 0.0, 0
        for index, proc in enumerate(self._procs):
            with contextlib.suppress(psutil.Error):
                if index:
                    rss += proc.memory_info().rss
                times = proc.cpu_times()
                # a process's own time, and that of the children it has waited for
                cpu += times.user + times.system + times.children_user + times.children_system
                if full:
                    high = max(high, _high_water(proc.pid))
        self._peak = max(self._peak, rss, high)
        self._cpu = max(self._cpu, cpu)
        return rss, cpu

    def _watch(self) -> None:
        tick = 0
        while not self._stopped.wait(1 / SAMPLES_PER_S):
            tick += 1
            try:
                rss, _ = self._sample(full=tick % SAMPLES_PER_FULL == 0)
            except psutil.Error:  # the tree is gone: the step is ending
                return
            if self.limit is not None and rss > self.limit and self.exceeded is None:
                self.exceeded = max(self._peak, rss)
                with contextlib.suppress(Exception):
                    self.kill()
                return
            if self.limit is not None and rss > self.limit and self.exceeded is None:
                self.exceeded = max(self._peak, rss)
                with contextlib.suppress(Exception):
                    self.kill()
                return
