"""Scenario 6: what the memory watchdog costs. Every step runs under a ``TreeWatch``
(``jupyter_orch/executors/resources.py``), with or without ``max_memory``: a thread of the
worker that sums the resident memory of the step's process tree ten times a second.

(a) Its own CPU: a ``TreeWatch`` in this process on a tree of four processes holding 200 MiB,
for ``--watch-seconds``; the CPU this process uses meanwhile (its main thread only sleeps).
(b) A 5 s CPU-bound step run with ``jupyter orch run``, with ``max_memory: 4GB`` and without,
alternated ``--alternations`` times; and the peak recorded for a step that allocates 1 GB.
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
from bench_context import (
    Context,
    HarnessError,
    Outcome,
    Row,
    attempts,
    bounded,
    compare,
    gigabytes,
    mebibytes,
    median,
    percent,
    run_ours,
    seconds,
)
from bench_procs import MARKER_VAR
from bench_workloads import (
    ALLOCATE_1GB,
    CPU_WORK,
    MEMORY_TREE,
    one_step_yaml,
    seconds_between,
    write_notebook,
)

from jupyter_orch.executors.resources import TreeWatch
from jupyter_orch.sizes import parse_size

MAX_MEMORY = "4GB"
TREE_CHILDREN = 3
#: Held by each process of the tree: 4 x 50 MiB.
TREE_SHARE = 50 * 2**20


class TimedWatch(TreeWatch):
    """A ``TreeWatch`` whose thread notes, as it ends, the CPU seconds it used."""

    thread_cpu_s = 0.0

    def _watch(self) -> None:
        try:
            super()._watch()
        finally:
            self.thread_cpu_s = time.thread_time()


def _process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_tree(ctx: Context, folder: Path) -> subprocess.Popen[str]:
    """The tree to watch, once all four processes hold their share; it carries a marker value,
    so the orphan check finds any process of it left behind."""
    script = folder / "tree.py"
    script.write_text(MEMORY_TREE)
    # It would end by itself a minute after the watch, should the benchmark fail to end it.
    argv = [ctx.python, str(script), str(TREE_SHARE), str(TREE_CHILDREN)]
    argv.append(str(ctx.watch_seconds + 60))
    env = {**ctx.env, MARKER_VAR: f"{ctx.marker_prefix}-watched-tree"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    if proc.stdout is None or proc.stdout.readline().strip() != "ready":
        end_tree(proc)
        raise HarnessError(f"$ {' '.join(argv)} did not start its process tree")
    return proc


def tree_rss(pid: int) -> int:
    """The summed RSS of the process and its descendants, as psutil reads it."""
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def end_tree(proc: subprocess.Popen[str]) -> None:
    """Kill the tree this scenario started: its descendants by pid, then it."""
    with contextlib.suppress(psutil.Error):
        children = psutil.Process(proc.pid).children(recursive=True)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        psutil.wait_procs(children, timeout=5)
    proc.kill()
    proc.wait()


def watch_cost(ctx: Context, folder: Path) -> dict[str, float]:
    """(a) The watchdog's CPU over ``ctx.watch_seconds`` on a 200 MiB tree of four processes."""
    proc = start_tree(ctx, folder)
    try:
        ctx.log(f"scenario 6: watching a tree of 4 processes for {ctx.watch_seconds:g} s")
        cpu_before, began = _process_cpu_s(), time.perf_counter()
        watch = TimedWatch(proc.pid, parse_size(MAX_MEMORY), lambda: None)
        watch.start()
        time.sleep(ctx.watch_seconds)
        usage = watch.stop()
        wall = time.perf_counter() - began
        cpu = _process_cpu_s() - cpu_before
        real = tree_rss(proc.pid)
    finally:
        end_tree(proc)
    return {
        "wall_s": wall,
        "process_cpu_s": cpu,
        "watch_thread_cpu_s": watch.thread_cpu_s,
        "cpu_share": cpu / wall,
        "peak_recorded_bytes": usage.peak_memory_bytes,
        "tree_rss_bytes": real,
        "tree_cpu_s": usage.cpu_seconds,
        # each sample lists every process of the machine to find the tree's descendants
        "machine_processes": len(psutil.pids()),
    }


def step_durations(ctx: Context, folder: Path) -> dict[str, list[float]]:
    """(b) Attempt durations of the 5 s CPU step, ``max_memory`` set and not, alternating
    which goes first."""
    notebook = write_notebook(folder / "cpu_work.ipynb", CPU_WORK)
    pipelines = {
        "limit": ctx.pipeline(
            folder / "limited.yaml",
            one_step_yaml("bench-watch-limited", notebook.name, max_memory=MAX_MEMORY),
        ),
        "none": ctx.pipeline(
            folder / "unlimited.yaml", one_step_yaml("bench-watch-unlimited", notebook.name)
        ),
    }
    durations: dict[str, list[float]] = {"limit": [], "none": []}
    for index in range(ctx.alternations):
        ctx.log(f"scenario 6: alternation {index + 1}/{ctx.alternations}")
        order = list(pipelines) if index % 2 == 0 else list(reversed(pipelines))
        for key in order:
            ours = run_ours(ctx, pipelines[key])
            if ours is not None:
                durations[key] += [
                    seconds_between(attempt["started_at"], attempt["ended_at"])
                    for attempt in attempts(ours[1])
                ]
    return durations


def allocation_peak(ctx: Context, folder: Path) -> float | None:
    """(b) The peak recorded for a step that allocates 1 GB, no limit set."""
    notebook = write_notebook(folder / "allocate.ipynb", ALLOCATE_1GB)
    pipeline = ctx.pipeline(
        folder / "allocate.yaml", one_step_yaml("bench-watch-1gb", notebook.name)
    )
    ours = run_ours(ctx, pipeline)
    if ours is None:
        return None
    peaks = [(attempt["resources"] or {}).get("peak_memory_bytes") for attempt in attempts(ours[1])]
    return max((peak for peak in peaks if peak is not None), default=None)


def watchdog_cost(ctx: Context) -> Outcome:
    """6. The watchdog's own CPU, a step's duration with and without a limit, its peaks."""
    folder = ctx.root / "s6"
    folder.mkdir()
    cost = watch_cost(ctx, folder)
    durations = step_durations(ctx, folder)
    peak_1gb = allocation_peak(ctx, folder)
    data: dict[str, Any] = {
        "watch": cost,
        "attempt_s": durations,
        "median_attempt_s": {key: median(values) for key, values in durations.items()},
        "peak_1gb_step_bytes": peak_1gb,
    }
    return Outcome("The memory watchdog's cost", rows(ctx, data), details(cost, durations), data)


def rows(ctx: Context, data: dict[str, Any]) -> list[Row]:
    cost, mid = data["watch"], data["median_attempt_s"]
    return [
        bounded(
            f"6. watchdog CPU over a {ctx.watch_seconds:g} s watch, share of wall",
            cost["cpu_share"],
            percent,
            at_most=0.02,
            context=f"{seconds(cost['process_cpu_s'])} CPU in {seconds(cost['wall_s'])}",
        ),
        compare(
            "6. watchdog peak, tree of 4 x 50 MiB",
            cost["peak_recorded_bytes"],
            "tree's summed RSS",
            cost["tree_rss_bytes"],
            mebibytes,
        ),
        compare(
            f"6. 5 s CPU step, median attempt, max_memory: {MAX_MEMORY}",
            mid["limit"],
            "no max_memory",
            mid["none"],
            seconds,
            max_ratio=1.02,
        ),
        bounded(
            "6. peak recorded, step allocating 1 GB, no limit",
            data["peak_1gb_step_bytes"],
            gigabytes,
            at_least=1.0e9,
            at_most=1.3e9,
        ),
    ]


def details(cost: dict[str, float], durations: dict[str, list[float]]) -> list[str]:
    def listed(values: list[float]) -> str:
        return ", ".join(seconds(value) for value in values) or "none"

    return [
        f"(a) TreeWatch in the benchmark process, limit {MAX_MEMORY}, on a tree of 4 python "
        f"processes holding {mebibytes(TREE_SHARE)} each; CPU of the whole benchmark process "
        f"(getrusage) {seconds(cost['process_cpu_s'])}, of the watch thread alone "
        f"{seconds(cost['watch_thread_cpu_s'])}, over {seconds(cost['wall_s'])}; "
        f"{cost['machine_processes']:.0f} processes on the machine (twice a second the watch "
        "walks them all to find the tree's descendants)",
        f"    peak recorded {mebibytes(cost['peak_recorded_bytes'])}, the tree's summed RSS "
        f"afterwards {mebibytes(cost['tree_rss_bytes'])}",
        "(b) attempt ended_at - started_at (kernel start included) of a step busy for 5 s of "
        "CPU; every step runs under the watchdog, so with and without max_memory differ by "
        "the limit's check only; (a) is the watchdog's own cost",
        f"    max_memory: {MAX_MEMORY}: {listed(durations['limit'])}",
        f"    no max_memory: {listed(durations['none'])}",
        "    the 1.02 ratio is a target within the noise of a shared machine: a FAIL whose "
        "two lists overlap is informational",
    ]
