"""Run one command as a measured subprocess and account for the processes it started.

A subprocess runs with its output in files (a kernel that outlives its parent would hold a pipe
open and delay the measured exit). A background thread walks the process tree while it runs,
remembering every descendant (and, on request, sampling memory). Every subprocess gets its own
value of ``MARKER_VAR``, which its descendants inherit, so a process left behind is found even
after it has been re-parented away from the tree.

A kernel is a process whose command line names ``ipykernel_launcher`` or that listens on at
least five TCP ports (shell, iopub, stdin, control, heartbeat): a kernel forked from a
pre-started template keeps the template's command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

KERNEL_MARK = "ipykernel_launcher"
KERNEL_PORTS = 5
MARKER_VAR = "JUPYTER_ORCH_BENCHMARK"

#: A pid alone may be reused; with its creation time it names one process.
ProcKey = tuple[int, float]


@dataclass
class MemoryTrace:
    """Memory of a process tree over time: USS where the platform gives it, else RSS."""

    metric: str
    samples: list[dict[ProcKey, int]] = field(default_factory=list)
    roles: dict[ProcKey, str] = field(default_factory=dict)  # coordinator, kernel or other


@dataclass
class Completed:
    """A finished subprocess: exit code, wall time from spawn to exit, output, descendants."""

    argv: list[str]
    returncode: int
    wall_s: float
    stdout: str
    stderr: str
    marker: str
    seen: dict[ProcKey, str]  # every descendant seen while it ran -> its command line
    memory: MemoryTrace | None

    def describe(self) -> str:
        tail = "\n".join(self.stderr.strip().splitlines()[-25:])
        return f"$ {' '.join(self.argv)}\nexit code {self.returncode}\nstderr (tail):\n{tail}"


@dataclass(frozen=True)
class Leftover:
    """A process the benchmark started that is still running."""

    pid: int
    created: float
    cmdline: str
    kind: str  # "kernel" or "process"
    found_by: str  # "descendant" (seen in the tree) or "marker" (inherited MARKER_VAR)

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in ("pid", "cmdline", "kind", "found_by")}


def is_kernel(proc: psutil.Process, cmdline: str) -> bool:
    if KERNEL_MARK in cmdline:
        return True
    try:
        listening = [c for c in proc.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    except psutil.Error:
        return False
    return len(listening) >= KERNEL_PORTS


def memory_metric() -> str:
    """``uss`` (memory only this process holds) where psutil can read it, else ``rss``."""
    try:
        return "uss" if hasattr(psutil.Process().memory_full_info(), "uss") else "rss"
    except psutil.Error:
        return "rss"


def _memory_of(proc: psutil.Process, metric: str) -> int:
    if metric == "uss":
        return int(proc.memory_full_info().uss)
    return int(proc.memory_info().rss)


class TreeWatcher:
    """Walks a process tree every ``interval`` seconds in a background thread."""

    def __init__(self, root: psutil.Process, interval: float, memory: MemoryTrace | None) -> None:
        self.root = root
        self.interval = interval
        self.memory = memory
        self.seen: dict[ProcKey, str] = {}
        self.kernels: set[ProcKey] = set()
        self._checked: dict[ProcKey, float] = {}  # when each process was last asked for ports
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        if self.memory is not None:
            self._assign_roles(self.memory)

    def _loop(self) -> None:
        while not self._done.is_set():
            began = time.perf_counter()
            self.sample()
            self._done.wait(max(0.0, self.interval - (time.perf_counter() - began)))

    def sample(self) -> None:
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            return
        sizes: dict[ProcKey, int] = {}
        for proc in [self.root, *children]:
            try:
                key = (proc.pid, proc.create_time())
                if proc.pid != self.root.pid:
                    # Read again each time: just after fork it is still the parent's.
                    self.seen[key] = " ".join(proc.cmdline())
                if self.memory is not None:
                    sizes[key] = _memory_of(proc, self.memory.metric)
                    self._classify(proc, key)
            except psutil.Error:
                continue  # it ended between the listing and the read
        if self.memory is not None and sizes:
            self.memory.samples.append(sizes)

    def _classify(self, proc: psutil.Process, key: ProcKey) -> None:
        # Listing sockets costs milliseconds: ask each process at most twice a second. Its
        # samples are kept by key, so a kernel recognised late still counts from its start.
        if key in self.kernels:
            return
        if KERNEL_MARK in self.seen.get(key, ""):  # free to check, so at every sample
            self.kernels.add(key)
            return
        now = time.monotonic()
        if now - self._checked.get(key, 0.0) < 0.5:
            return
        self._checked[key] = now
        if is_kernel(proc, self.seen.get(key, "")):
            self.kernels.add(key)

    def _assign_roles(self, memory: MemoryTrace) -> None:
        for sample in memory.samples:
            for key in sample:
                if key[0] == self.root.pid:
                    memory.roles[key] = "coordinator"
                else:
                    memory.roles[key] = "kernel" if key in self.kernels else "other"


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    marker_prefix: str,
    logs: Path,
    interval: float = 0.5,
    memory: str | None = None,
    timeout: float = 300.0,
) -> Completed:
    """Run ``argv`` to its end; wall time is from just before spawn to the reaped exit."""
    marker = f"{marker_prefix}-{uuid.uuid4().hex[:12]}"
    out_path, err_path = logs / f"{marker}.out", logs / f"{marker}.err"
    trace = MemoryTrace(memory) if memory else None
    with out_path.open("w") as out, err_path.open("w") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env={**env, MARKER_VAR: marker}, stdout=out, stderr=err
        )
        watcher = TreeWatcher(psutil.Process(proc.pid), interval, trace)
        watcher.start()
        returncode: int | None
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        wall = time.perf_counter() - began
        watcher.stop()
    note = ""
    if returncode is None:  # hung: end it and everything it started
        proc.kill()
        _kill(watcher.seen)
        returncode = proc.wait()
        note = f"\n(killed by the benchmark after {timeout:g} s)"
    return Completed(
        argv=list(argv),
        returncode=returncode,
        wall_s=wall,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace") + note,
        marker=marker,
        seen=dict(watcher.seen),
        memory=trace,
    )


def _environ_marker(proc: psutil.Process) -> str | None:
    try:
        return proc.environ().get(MARKER_VAR)
    except psutil.Error:
        return None


def _running() -> dict[ProcKey, psutil.Process]:
    found: dict[ProcKey, psutil.Process] = {}
    for proc in psutil.process_iter(["pid", "create_time", "status"]):
        if proc.info["status"] != psutil.STATUS_ZOMBIE:
            found[(proc.info["pid"], proc.info["create_time"])] = proc
    return found


def running_keys() -> set[ProcKey]:
    return set(_running())


def _leftover(key: ProcKey, proc: psutil.Process, found_by: str) -> Leftover:
    cmdline = _cmdline(proc)
    kind = "kernel" if is_kernel(proc, cmdline) else "process"
    return Leftover(key[0], key[1], cmdline, kind, found_by)


def leftovers_of(done: Completed) -> list[Leftover]:
    """Processes ``done`` started that still run: seen in its tree, or carrying its marker."""
    left: list[Leftover] = []
    for key, proc in _running().items():
        if key in done.seen:
            left.append(_leftover(key, proc, "descendant"))
        elif _environ_marker(proc) == done.marker:
            left.append(_leftover(key, proc, "marker"))
    return left


def lingering(done: Completed, grace: float) -> list[Leftover]:
    """Processes of ``done`` still running ``grace`` seconds after it exited (early if none)."""
    deadline = time.monotonic() + grace
    while True:
        left = leftovers_of(done)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)


def started_since(before: set[ProcKey], marker_prefix: str) -> tuple[list[Leftover], list[str]]:
    """Processes started since ``before``: ours (by marker), and other programs' kernels."""
    ours: list[Leftover] = []
    other_kernels: list[str] = []
    for key, proc in _running().items():
        if key in before:
            continue
        if (_environ_marker(proc) or "").startswith(marker_prefix):
            ours.append(_leftover(key, proc, "marker"))
        elif KERNEL_MARK in _cmdline(proc):
            other_kernels.append(f"{key[0]} {_cmdline(proc)}")
    return ours, other_kernels


def kill_leftovers(left: Sequence[Leftover]) -> None:
    """End processes this benchmark started (checked by pid and creation time)."""
    _kill({(item.pid, item.created): item.cmdline for item in left})


def _kill(procs: dict[ProcKey, str]) -> None:
    for pid, created in procs:
        try:
            proc = psutil.Process(pid)
            if proc.create_time() == created:
                proc.kill()
        except psutil.Error:
            continue


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return "?"


def venv_env() -> dict[str, str]:
    """This environment with the running interpreter's bin folder first on PATH.

    Kernel specs start ``python`` from PATH, so this keeps the kernels in the project's venv
    even when the harness is started as ``.venv/bin/python benchmarks/run.py``.
    """
    env = dict(os.environ)
    bin_dir = str(Path(os.path.abspath(sys.executable)).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    return env


def tree_cpu(root: psutil.Process) -> float:
    """CPU seconds (user + system) the tree's live processes have used so far."""
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total
