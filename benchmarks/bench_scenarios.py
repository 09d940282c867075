"""The scenarios: each measures ours and its peers on the same work, round by round."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench_context import (
    Context,
    Outcome,
    attempts,
    compare,
    maybe,
    mebibytes,
    median,
    memory_stats,
    millis,
    papermill_cli_loop,
    papermill_in_process,
    papermill_pool,
    run_ours,
    seconds,
)
from bench_dask import dask_overhead
from bench_footprint import idle_and_cold
from bench_prune import prune_speed
from bench_rest import rest_runs_at_once
from bench_scale import ten_thousand_schedules, thousand_steps
from bench_store import store_scaling
from bench_watchdog import watchdog_cost
from bench_workloads import (
    SLEEP,
    TRIVIAL,
    chain_yaml,
    fan_out_yaml,
    notebook_cell_seconds,
    seconds_between,
    write_notebook,
)

CHAIN_LENGTH = 10
FAN_OUT_WIDTH = 8
FAN_OUT_WORKERS = 2
#: Scenario 2 samples the peers' per-call overhead on this many calls per run (not the whole
#: chain): every papermill call pays the same start-up, and ten CLI calls per run would take
#: most of the time budget on a machine where ``import papermill`` alone takes seconds.
PEER_CALLS = 3


def _runs(values: list[float], unit: Callable[[float], str]) -> str:
    shown = ", ".join(unit(value) for value in values) or "none"
    middle = median(values)
    return f"{shown}" + ("" if middle is None else f" -> median {unit(middle)}")


def chain_of_trivial_steps(ctx: Context) -> Outcome:
    """1. Ten trivial steps in a chain: whole-process wall time, fresh kernels and kernel_reuse."""
    folder = ctx.root / "s1"
    notebook = write_notebook(folder / "trivial.ipynb", TRIVIAL)
    pipelines = {
        "fresh": ctx.pipeline(
            folder / "chain.yaml", chain_yaml("bench-chain", notebook.name, CHAIN_LENGTH)
        ),
        "reuse": ctx.pipeline(
            folder / "chain_reuse.yaml",
            chain_yaml("bench-chain-reuse", notebook.name, CHAIN_LENGTH, kernel_reuse=True),
        ),
    }
    walls: dict[str, list[float]] = {"fresh": [], "reuse": [], "cli": [], "in_process": []}
    run_durations: dict[str, list[float]] = {"fresh": [], "reuse": []}
    for _ in ctx.rounds("scenario 1"):
        for key, pipeline in pipelines.items():
            ours = run_ours(ctx, pipeline)
            if ours is not None:
                walls[key].append(ours[0].wall_s)
                run_durations[key].append(float(ours[1]["duration_s"]))
        calls = papermill_cli_loop(ctx, notebook, CHAIN_LENGTH)
        walls["cli"].append(sum(call.wall_s for call in calls))
        walls["in_process"].append(papermill_in_process(ctx, notebook, CHAIN_LENGTH)[0].wall_s)
    mid = {key: median(values) for key, values in walls.items()}
    rows = []
    for key, label, limit in (("fresh", "fresh kernels", 0.25), ("reuse", "kernel_reuse", 0.15)):
        scenario = f"1. chain of {CHAIN_LENGTH} trivial steps, {label}"
        rows += [
            compare(scenario, mid[key], "papermill CLI loop", mid["cli"], seconds, max_ratio=limit),
            compare(scenario, mid[key], "in-process papermill", mid["in_process"], seconds),
        ]
    details = [
        f"ours, fresh kernels (process wall): {_runs(walls['fresh'], seconds)}",
        f"  run record duration_s: {_runs(run_durations['fresh'], seconds)}",
        f"ours, kernel_reuse (process wall): {_runs(walls['reuse'], seconds)}",
        f"  run record duration_s: {_runs(run_durations['reuse'], seconds)}",
        f"papermill CLI loop (sum of {CHAIN_LENGTH} processes): {_runs(walls['cli'], seconds)}",
        f"in-process papermill (one process): {_runs(walls['in_process'], seconds)}",
    ]
    data = {"wall_s": walls, "run_duration_s": run_durations, "median_wall_s": mid}
    return Outcome(f"Chain of {CHAIN_LENGTH} trivial steps", rows, details, data)


def _ours_overheads(record: dict[str, Any]) -> list[float]:
    """Per attempt: its recorded wall time minus the time its cells took in the kernel."""
    return [
        seconds_between(attempt["started_at"], attempt["ended_at"])
        - notebook_cell_seconds(attempt["output_notebook"])
        for attempt in attempts(record)
    ]


def step_overhead(ctx: Context) -> Outcome:
    """2. Ten steps that sleep 1 s: per-step overhead beyond the cells' own time."""
    folder = ctx.root / "s2"
    notebook = write_notebook(folder / "sleep.ipynb", SLEEP)
    pipeline = ctx.pipeline(
        folder / "chain.yaml", chain_yaml("bench-sleep-chain", notebook.name, CHAIN_LENGTH)
    )
    overheads: dict[str, list[float]] = {"ours": [], "cli": [], "in_process": []}
    for _ in ctx.rounds("scenario 2"):
        ours = run_ours(ctx, pipeline)
        if ours is not None:
            overheads["ours"] += _ours_overheads(ours[1])
        for call in papermill_cli_loop(ctx, notebook, PEER_CALLS):
            overheads["cli"].append(call.wall_s - notebook_cell_seconds(call.output))
        for call in papermill_in_process(ctx, notebook, PEER_CALLS)[1]:
            overheads["in_process"].append(call.wall_s - notebook_cell_seconds(call.output))
    mid = {key: median(values) for key, values in overheads.items()}
    most = {key: max(values, default=0.0) for key, values in overheads.items()}

    def extra(key: str) -> str:
        return f" (max {millis(most[key])})"

    scenario = "2. overhead per step (median)"
    rows = [
        compare(
            scenario,
            mid["ours"],
            "papermill CLI",
            mid["cli"],
            millis,
            max_ours=0.060,
            ours_extra=extra("ours"),
            peer_extra=extra("cli"),
        ),
        compare(
            scenario,
            mid["ours"],
            "in-process papermill",
            mid["in_process"],
            millis,
            ours_extra=extra("ours"),
            peer_extra=extra("in_process"),
        ),
    ]
    details = [
        "overhead = attempt wall time - sum over code cells of (execute_reply - execute_input)",
        f"ours: {len(overheads['ours'])} attempts, median {maybe(mid['ours'], millis)}, "
        f"max {millis(most['ours'])}",
        f"papermill CLI (process wall): {len(overheads['cli'])} calls, median "
        f"{maybe(mid['cli'], millis)}, max {millis(most['cli'])}",
        f"in-process papermill (call wall): {len(overheads['in_process'])} calls, median "
        f"{maybe(mid['in_process'], millis)}, max {millis(most['in_process'])}",
    ]
    data = {"overhead_s": overheads, "median_s": mid, "max_s": most}
    return Outcome(f"Overhead per step (chain of {CHAIN_LENGTH} x sleep 1 s)", rows, details, data)


def fan_out(ctx: Context) -> Outcome:
    """3. Eight independent 1 s steps, then a join; two at a time, ours and a process pool."""
    folder = ctx.root / "s3"
    branch = write_notebook(folder / "sleep.ipynb", SLEEP)
    join = write_notebook(folder / "join.ipynb", TRIVIAL)
    pipeline = ctx.pipeline(
        folder / "fan_out.yaml",
        fan_out_yaml("bench-fan-out", branch.name, join.name, FAN_OUT_WIDTH, FAN_OUT_WORKERS),
    )
    walls: dict[str, list[float]] = {"ours": [], "pool": []}
    for _ in ctx.rounds("scenario 3"):
        ours = run_ours(ctx, pipeline)
        if ours is not None:
            walls["ours"].append(ours[0].wall_s)
        walls["pool"].append(papermill_pool(ctx, branch, join, FAN_OUT_WIDTH, FAN_OUT_WORKERS))
    mid = {key: median(values) for key, values in walls.items()}
    peer = f"papermill, {FAN_OUT_WORKERS}-process pool"
    scenario = f"3. fan-out {FAN_OUT_WIDTH} x 1 s + join, {FAN_OUT_WORKERS} at a time"
    rows = [compare(scenario, mid["ours"], peer, mid["pool"], seconds, max_ratio=0.8)]
    details = [
        f"ours (process wall, limits.max_parallel_steps: {FAN_OUT_WORKERS}): "
        f"{_runs(walls['ours'], seconds)}",
        f"{peer} (process wall): {_runs(walls['pool'], seconds)}",
    ]
    return Outcome(f"Fan-out of {FAN_OUT_WIDTH} then join", rows, details, {"wall_s": walls})


def peak_memory(ctx: Context) -> Outcome:
    """4. Memory of the whole process tree while a chain of ten trivial steps runs."""
    folder = ctx.root / "s4"
    notebook = write_notebook(folder / "trivial.ipynb", TRIVIAL)
    pipeline = ctx.pipeline(
        folder / "chain.yaml", chain_yaml("bench-memory-chain", notebook.name, CHAIN_LENGTH)
    )
    stats: dict[str, list[dict[str, float]]] = {"ours": [], "in_process": []}
    for index in ctx.rounds("scenario 4"):
        ours = run_ours(ctx, pipeline, memory=True)
        if ours is not None and ours[0].memory is not None:
            stats["ours"].append(memory_stats(ours[0].memory))
        if index == 0:  # the peer is context, not a target: one run is enough
            done, _ = papermill_in_process(ctx, notebook, CHAIN_LENGTH, memory=True)
            if done.memory is not None:
                stats["in_process"].append(memory_stats(done.memory))

    def mid(key: str, stat: str) -> float | None:
        return median([run[stat] for run in stats[key]])

    peer = "in-process papermill"
    metric = ctx.memory_metric.upper()
    rows = [
        compare(
            f"4. peak {metric}, {label}",
            mid("ours", stat),
            peer,
            mid("in_process", stat),
            mebibytes,
        )
        for label, stat in (
            ("whole process tree", "peak_total"),
            ("coordinator process", "peak_coordinator"),
            ("per kernel, mean", "kernel_peak_mean"),
            ("per kernel, max", "kernel_peak_max"),
        )
    ]
    details = [
        f"{metric} sampled every 50 ms over the process and all its descendants; a kernel is a "
        "process named ipykernel_launcher or listening on >= 5 TCP ports; peer: one run"
    ]
    for key, label in (("ours", "ours"), ("in_process", peer)):
        for run in stats[key]:
            details.append(
                f"{label}: total {mebibytes(run['peak_total'])}, coordinator "
                f"{mebibytes(run['peak_coordinator'])}, other processes "
                f"{mebibytes(run['peak_other_processes'])}, {run['kernels']:.0f} kernels "
                f"(mean {mebibytes(run['kernel_peak_mean'])}, max "
                f"{mebibytes(run['kernel_peak_max'])}), {run['samples']:.0f} samples"
            )
    return Outcome(f"Peak memory (chain of {CHAIN_LENGTH} trivial steps)", rows, details, stats)


SCENARIOS: dict[int, Callable[[Context], Outcome]] = {
    1: chain_of_trivial_steps,
    2: step_overhead,
    3: fan_out,
    4: peak_memory,
    5: rest_runs_at_once,
    6: watchdog_cost,
    7: prune_speed,
    8: store_scaling,
    9: thousand_steps,
    10: ten_thousand_schedules,
    11: dask_overhead,
    12: idle_and_cold,
}
#: Run when --scenarios is not given; 6 to 12 take minutes of their own (README.md).
DEFAULT_SCENARIOS = (1, 2, 3, 4, 5)
