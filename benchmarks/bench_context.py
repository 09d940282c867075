"""What every scenario shares: the temporary folder, the commands, the orphan accounting, rows."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_procs import (
    Completed,
    Leftover,
    MemoryTrace,
    kill_leftovers,
    lingering,
    run_measured,
)
from bench_workloads import IN_PROCESS_LOOP, POOL_FAN_OUT, write_jobs

#: How long a kernel may outlive the process that started it before it counts as orphaned.
ORPHAN_GRACE_S = 5.0


class HarnessError(RuntimeError):
    """The harness itself cannot go on (a peer failed, a generated file is invalid, ...)."""


@dataclass
class Row:
    """One line of the result table; ``result`` is PASS, FAIL or - (no target)."""

    scenario: str
    ours: str
    peer: str
    ratio: str
    target: str
    result: str


@dataclass
class Outcome:
    """What a scenario found: table rows, lines of detail and the raw numbers for --json."""

    title: str
    rows: list[Row]
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    root: Path  # the temporary folder: notebooks, pipelines, the store, output notebooks
    repeat: int
    env: dict[str, str]
    jupyter: str
    papermill: str
    python: str
    marker_prefix: str
    memory_metric: str
    #: jupyter-scheduler's own virtual environment (scenarios 5 and 12), created on first use.
    peer_venv: Path = Path(__file__).resolve().parent / ".peer-venv"
    #: Scenario 6: how long the watchdog watches a tree; runs with and without a memory limit.
    watch_seconds: float = 60.0
    alternations: int = 5
    #: Scenario 7: finished runs in the store before the prune.
    prune_runs: int = 100_000
    #: Scenario 8: runs in the store at its second size (the first is 1,000).
    store_runs: int = 100_000
    orphans: list[dict[str, Any]] = field(default_factory=list)  # of the current scenario
    failures: list[str] = field(default_factory=list)  # jupyter orch misbehaving, verbatim
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'orch.sqlite'}"

    @property
    def runs_dir(self) -> Path:
        return self.root / "orch-runs"

    def log(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def rounds(self, label: str) -> Iterator[int]:
        for index in range(self.repeat):
            self.log(f"{label}: run {index + 1}/{self.repeat}")
            yield index

    def out_dir(self, label: str) -> Path:
        path = self.root / "out" / f"{label}-{next(self._counter)}"
        path.mkdir(parents=True)
        return path

    def orch(self, *args: str) -> list[str]:
        return [self.jupyter, "orch", *args, "--db", self.db_url, "--runs-dir", str(self.runs_dir)]

    def run(self, argv: Sequence[str], *, cwd: Path, memory: bool = False) -> Completed:
        """Run a measured process, then check that all it started ended (ending what did not)."""
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        done = run_measured(
            argv,
            cwd=cwd,
            env=self.env,
            marker_prefix=self.marker_prefix,
            logs=logs,
            interval=0.05 if memory else 0.5,
            memory=self.memory_metric if memory else None,
        )
        left = lingering(done, ORPHAN_GRACE_S)
        if left:
            self.log(f"  ORPHANED: {len(left)} process(es) alive {ORPHAN_GRACE_S:g} s after exit")
            self.orphans += [{**item.to_dict(), "left_by": " ".join(argv)} for item in left]
            kill_leftovers(left)
        return done

    def add_late_orphans(self, left: Sequence[Leftover]) -> None:
        self.orphans += [
            {**item.to_dict(), "left_by": "(found at the scenario's end)"} for item in left
        ]
        kill_leftovers(left)

    def pipeline(self, path: Path, text: str) -> Path:
        """Write a pipeline file and check it with ``jupyter orch validate``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        argv = [self.jupyter, "orch", "validate", str(path)]
        checked = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise HarnessError(
                f"generated pipeline does not validate: $ {' '.join(argv)} -> exit "
                f"{checked.returncode}\n{checked.stdout}{checked.stderr}"
            )
        return path


# --- the measured commands --------------------------------------------------------------------


@dataclass
class PeerCall:
    wall_s: float
    output: Path


def run_ours(
    ctx: Context, pipeline: Path, *, memory: bool = False
) -> tuple[Completed, dict[str, Any]] | None:
    """``jupyter orch run PIPELINE --json``; None (and the failure kept verbatim) unless it succeeded."""
    done = ctx.run(ctx.orch("run", str(pipeline), "--json"), cwd=pipeline.parent, memory=memory)
    try:
        record = json.loads(done.stdout)
    except ValueError:
        record = {}
    if done.returncode == 0 and record.get("status") == "succeeded":
        ctx.log(f"  jupyter orch run {pipeline.name}: {done.wall_s:.2f} s")
        return done, record
    ctx.log(f"  jupyter orch run {pipeline.name} FAILED (exit {done.returncode})")
    status = record.get("status", "no JSON record on stdout")
    ctx.failures.append(
        f"jupyter orch run did not succeed (run status: {status})\n{done.describe()}"
    )
    return None


def attempts(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attempt of every step of a run record (``jupyter orch run --json``)."""
    return [attempt for step in record["steps"] for attempt in step["attempts"]]


def _check_peer(done: Completed) -> Completed:
    if done.returncode != 0:
        raise HarnessError(f"a peer command failed\n{done.describe()}")
    return done


def papermill_cli_loop(ctx: Context, notebook: Path, count: int) -> list[PeerCall]:
    """``papermill in.ipynb out_k.ipynb -p x k`` as ``count`` sequential processes."""
    out = ctx.out_dir("papermill-cli")
    calls = []
    for index in range(count):
        target = out / f"out_{index}.ipynb"
        argv = [ctx.papermill, str(notebook), str(target), "-p", "x", str(index)]
        calls.append(PeerCall(_check_peer(ctx.run(argv, cwd=notebook.parent)).wall_s, target))
    ctx.log(f"  papermill CLI x{count}: {sum(call.wall_s for call in calls):.2f} s")
    return calls


def papermill_in_process(
    ctx: Context, notebook: Path, count: int, *, memory: bool = False
) -> tuple[Completed, list[PeerCall]]:
    """One ``python -c`` process calling ``papermill.execute_notebook`` ``count`` times."""
    out = ctx.out_dir("papermill-in-process")
    targets = [out / f"out_{index}.ipynb" for index in range(count)]
    jobs = [[str(notebook), str(target), {"x": index}] for index, target in enumerate(targets)]
    argv = [ctx.python, "-c", IN_PROCESS_LOOP, str(write_jobs(out / "jobs.json", jobs))]
    done = _check_peer(ctx.run(argv, cwd=notebook.parent, memory=memory))
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    ctx.log(f"  papermill in-process x{count}: {done.wall_s:.2f} s")
    return done, [PeerCall(wall, target) for wall, target in zip(timings, targets, strict=True)]


def papermill_pool(ctx: Context, branch: Path, join: Path, width: int, workers: int) -> float:
    """One ``python -c`` process: ``width`` branches on a pool of ``workers``, then the join."""
    out = ctx.out_dir("papermill-pool")
    spec = {
        "workers": workers,
        "fan": [[str(branch), str(out / f"branch_{i}.ipynb"), {"x": i}] for i in range(width)],
        "join": [str(join), str(out / "join.ipynb"), {"x": width}],
    }
    argv = [ctx.python, "-c", POOL_FAN_OUT, str(write_jobs(out / "jobs.json", spec))]
    done = _check_peer(ctx.run(argv, cwd=branch.parent))
    ctx.log(f"  papermill {workers}-process pool: {done.wall_s:.2f} s")
    return done.wall_s


# --- numbers and rows -------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: Sequence[float]) -> float | None:
    """The 95th percentile (the largest value when there are fewer than 20)."""
    if len(values) < 2:
        return max(values, default=None)
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def maybe(value: float | None, unit: Callable[[float], str]) -> str:
    return "error" if value is None else unit(value)


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def millis(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def mebibytes(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def gigabytes(value: float) -> str:
    """Decimal, as ``max_memory: 4GB`` reads."""
    return f"{value / 1e9:.2f} GB"


def percent(value: float) -> str:
    return f"{value * 100:.2f} %"


def compare(
    scenario: str,
    ours: float | None,
    peer_name: str,
    peer: float | None,
    unit: Callable[[float], str],
    *,
    max_ratio: float | None = None,
    max_ours: float | None = None,
    ours_extra: str = "",
    peer_extra: str = "",
) -> Row:
    """A row comparing ours with one peer; the target is a ratio, an absolute bound, or none."""
    ratio = ours / peer if ours is not None and peer else None
    if max_ratio is not None:
        target, ok = f"ours <= {max_ratio:g} x peer", ratio is not None and ratio <= max_ratio
    elif max_ours is not None:
        target, ok = f"ours <= {unit(max_ours)}", ours is not None and ours <= max_ours
    else:
        target, ok = "-", None
    return Row(
        scenario=scenario,
        ours="error" if ours is None else unit(ours) + ours_extra,
        peer=f"{peer_name} " + ("error" if peer is None else unit(peer) + peer_extra),
        ratio="-" if ratio is None else f"{ratio:.2f}",
        target=target,
        result="-" if ok is None else ("PASS" if ok else "FAIL"),
    )


def bounded(
    scenario: str,
    value: float | None,
    unit: Callable[[float], str],
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    context: str = "-",
) -> Row:
    """A row with an absolute target (or none) and no peer; ``context`` fills the peer column."""
    shown = maybe(value, unit)
    bounds = []
    if at_least is not None:
        bounds.append(f">= {unit(at_least)}")
    if at_most is not None:
        bounds.append(f"<= {unit(at_most)}")
    if not bounds:
        return Row(scenario, shown, context, "-", "-", "-")
    ok = (
        value is not None
        and (at_least is None or value >= at_least)
        and (at_most is None or value <= at_most)
    )
    return check_row(scenario, shown, " and ".join(bounds), ok, context)


def check_row(scenario: str, found: str, target: str, ok: bool, context: str = "-") -> Row:
    return Row(scenario, found, context, "-", target, "PASS" if ok else "FAIL")


def memory_stats(trace: MemoryTrace) -> dict[str, float]:
    """Peak of the whole tree, of the coordinator, of the other processes; kernels' own peaks."""
    totals, coordinator, others = [0], [0], [0]
    kernel_peaks: dict[Any, int] = {}
    for sample in trace.samples:
        totals.append(sum(sample.values()))
        coordinator += [size for key, size in sample.items() if trace.roles[key] == "coordinator"]
        others.append(sum(size for key, size in sample.items() if trace.roles[key] == "other"))
        for key, size in sample.items():
            if trace.roles[key] == "kernel":
                kernel_peaks[key] = max(size, kernel_peaks.get(key, 0))
    peaks = list(kernel_peaks.values()) or [0]
    return {
        "peak_total": max(totals),
        "peak_coordinator": max(coordinator),
        "peak_other_processes": max(others),
        "kernels": len(kernel_peaks),
        "kernel_peak_mean": statistics.fmean(peaks),
        "kernel_peak_max": max(peaks),
        "samples": len(trace.samples),
    }
