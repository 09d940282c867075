"""11. The Dask executor's overhead: 40 independent 1-second steps on a Dask ``LocalCluster`` of 2
worker processes (one thread each) against the local executor with 2 workers, the same
pipeline, each run executed in this process by the run coordinator; then no process of either
is left. Target: Dask's wall time within 1.3x of the local executor's."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import psutil
from bench_context import Context, Outcome, compare, median, seconds
from bench_workloads import SLEEP, write_notebook

STEPS = 40
WORKERS = 2


def _pipeline(folder: Path, name: str) -> Path:
    write_notebook(folder / "sleep.ipynb", SLEEP)
    steps = "\n".join(f"  - {{name: s{i:02d}, notebook: sleep.ipynb}}" for i in range(STEPS))
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nsteps:\n{steps}\n")
    return path


def _run(root: Path, path: Path, executor: Any) -> tuple[float, str]:
    """Wall seconds of one run of ``path`` with ``executor`` (closed afterwards), its status."""
    from jupyter_orch.pipelines.loader import load_pipeline
    from jupyter_orch.service import Orchestrator
    from jupyter_orch.store.repository import Store

    store = Store.open(f"sqlite:///{root / 'dask-bench.sqlite'}")
    orch = Orchestrator(store, root / "runs")
    loaded = load_pipeline(path)
    version = orch.register(loaded, replace=True)
    run = orch.create_run(loaded, version.version)

    async def go() -> Any:
        try:
            return await orch.execute(loaded, run, executor)
        finally:
            await executor.close()

    started = time.perf_counter()
    done = asyncio.run(go())
    wall = time.perf_counter() - started
    store.close()
    return wall, done.status.value


def _descendants() -> list[str]:
    """This process's live descendants, but multiprocessing's resource tracker (started by the
    cluster's spawned workers, it lives as long as this process, whatever ran)."""
    return [
        f"{p.pid} {' '.join(p.cmdline())[:120]}"
        for p in psutil.Process().children(recursive=True)
        if p.is_running()
        and p.status() != psutil.STATUS_ZOMBIE
        and "resource_tracker" not in " ".join(p.cmdline())
    ]


def dask_overhead(ctx: Context) -> Outcome:
    """11. 40 one-second steps: Dask LocalCluster (2 processes) against the local executor (2)."""
    from distributed import LocalCluster

    from jupyter_orch.executors.dask_executor import DaskExecutor
    from jupyter_orch.executors.local import LocalExecutor

    folder = ctx.root / "s11"
    folder.mkdir(parents=True, exist_ok=True)
    local_path, dask_path = _pipeline(folder, "bench-local"), _pipeline(folder, "bench-dask")
    local_walls: list[float] = []
    dask_walls: list[float] = []
    statuses: list[str] = []
    left: list[str] = []
    for round_number in range(ctx.repeat):
        wall, status = _run(folder, local_path, LocalExecutor(max_workers=WORKERS))
        local_walls.append(wall)
        statuses.append(status)
        ctx.log(f"  round {round_number + 1}: local {wall:.2f} s ({status})")
        with LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster:
            wall, status = _run(folder, dask_path, DaskExecutor(address=cluster.scheduler_address))
        dask_walls.append(wall)
        statuses.append(status)
        ctx.log(f"  round {round_number + 1}: dask {wall:.2f} s ({status})")
        deadline = time.monotonic() + 15
        while _descendants() and time.monotonic() < deadline:
            time.sleep(0.2)
        left += _descendants()
    ours, peer = median(dask_walls), median(local_walls)
    failed = [s for s in statuses if s != "succeeded"]
    rows = [
        compare(
            f"11. {STEPS} independent 1 s steps, {WORKERS} workers: Dask LocalCluster",
            None if failed else ours,
            "local executor",
            None if failed else peer,
            seconds,
            max_ratio=1.3,
        )
    ]
    details = [
        f"11. wall per round: dask {[round(w, 2) for w in dask_walls]}, "
        f"local {[round(w, 2) for w in local_walls]}; run statuses {sorted(set(statuses))}",
        f"11. processes left after each round's cluster closed: {left or 'none'} (pid {os.getpid()})",
    ]
    data = {"dask_s": dask_walls, "local_s": local_walls, "statuses": statuses, "left": left}
    return Outcome("Dask executor overhead", rows, details, data)
