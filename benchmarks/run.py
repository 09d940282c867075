"""Benchmark jupyter-orch against papermill on the same work: ``python benchmarks/run.py``.

Generates its notebooks and pipelines into a temporary folder (with its own store and runs
folder), runs every scenario ``--repeat`` times round by round (ours, then each peer), and
prints a table with medians, ratios and targets, then the same as markdown. Progress goes to
stderr. Exit code 0 when the harness completed, even if targets failed; 1 when it broke.
Scenarios 6 to 12 (the memory watchdog, retention's prune, the runs page on a long history,
1,000 steps, 10,000 schedules, the Dask executor, the idle footprint and a cold server's first
run) take minutes of their own and run only when ``--scenarios`` names them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_context import Context, HarnessError, papermill_in_process
from bench_footprint import COLD_SERVERS
from bench_procs import memory_metric, running_keys, started_since, venv_env
from bench_prune import KEEP_LAST
from bench_report import orphan_row, print_report, write_json
from bench_scenarios import DEFAULT_SCENARIOS, SCENARIOS, Outcome
from bench_store import BASE_RUNS
from bench_workloads import TRIVIAL, write_notebook

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="whole runs per measurement (median)")
    parser.add_argument(
        "--scenarios",
        default=",".join(str(number) for number in DEFAULT_SCENARIOS),
        help="comma-separated, of 1-12 (default %(default)s: 6-12 take minutes of their own)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--peer-venv",
        type=Path,
        default=Path(__file__).resolve().parent / ".peer-venv",
        help="virtual environment for jupyter-scheduler (scenarios 5, 12), created if missing",
    )
    parser.add_argument(
        "--watch-seconds",
        type=float,
        default=60.0,
        help="scenario 6: how long the watchdog watches a process tree (default %(default)g)",
    )
    parser.add_argument(
        "--alternations",
        type=int,
        default=5,
        help="scenario 6: runs with max_memory, and as many without (default %(default)s)",
    )
    parser.add_argument(
        "--prune-runs",
        type=int,
        default=100_000,
        help="scenario 7: finished runs in the store before the prune (default %(default)s)",
    )
    parser.add_argument(
        "--store-runs",
        type=int,
        default=100_000,
        help="scenario 8: runs in the store at its second size (default %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        args.scenarios = [int(part) for part in args.scenarios.split(",") if part.strip()]
    except ValueError:
        parser.error("--scenarios takes numbers such as 1,2,3,4")
    if not args.scenarios or any(number not in SCENARIOS for number in args.scenarios):
        parser.error(f"--scenarios takes numbers among {sorted(SCENARIOS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.watch_seconds <= 0 or args.alternations < 1:
        parser.error("--watch-seconds must be positive and --alternations at least 1")
    if args.prune_runs <= KEEP_LAST:
        parser.error(f"--prune-runs must be more than keep_last ({KEEP_LAST})")
    if args.store_runs <= BASE_RUNS:
        parser.error(f"--store-runs must be more than scenario 8's first size ({BASE_RUNS})")
    return args


def tool(name: str) -> str:
    """A console script of the running interpreter's environment (else from PATH)."""
    local = Path(os.path.abspath(sys.executable)).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise HarnessError(f"cannot find the {name!r} command")
    return found


def git_revision() -> str:
    def git(*args: str) -> str:
        # --no-optional-locks: read only, never refresh the index while the lead works.
        argv = ["git", "--no-optional-locks", "-C", str(REPO), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return revision + (" + uncommitted changes" if git("status", "--porcelain", "-uno") else "")


def import_seconds(module: str) -> float:
    """Wall time of ``python -c "import MODULE"``: the start-up every papermill process pays."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], env=venv_env(), check=True)
    return round(time.perf_counter() - began, 2)


def machine() -> dict[str, Any]:
    import papermill

    import jupyter_orch

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "papermill": papermill.__version__,
        "jupyter_orch": jupyter_orch.__version__,
        "git": git_revision(),
        "import_papermill_s": import_seconds("papermill"),
    }


def print_header(info: dict[str, Any], args: argparse.Namespace) -> None:
    load = " ".join(str(value) for value in info["load_average"])
    print(f"jupyter-orch benchmarks, {info['date']}")
    print(
        f"machine: {info['cpus']} CPUs ({info['physical_cpus']} physical), "
        f"{info['memory_gib']} GiB, {info['platform']}, load average {load}"
    )
    print(
        f"python {info['python']}, papermill {info['papermill']}, "
        f"jupyter-orch {info['jupyter_orch']} (git {info['git']})"
    )
    print(f"start-up: python -c 'import papermill' takes {info['import_papermill_s']} s here")
    print(f"median of {args.repeat} whole run(s) per measurement; scenarios {args.scenarios}")
    if 6 in args.scenarios:
        print(
            f"scenario 6: watch {args.watch_seconds:g} s, {args.alternations} alternations "
            "(--repeat does not apply)"
        )
    if 7 in args.scenarios:
        print(f"scenario 7: {args.prune_runs} runs (--repeat does not apply)")
    if 8 in args.scenarios:
        print(f"scenario 8: {BASE_RUNS} then {args.store_runs} runs (--repeat does not apply)")
    if 12 in args.scenarios:
        print(
            f"scenario 12: 4 idle servers per round ({args.repeat} round(s)), "
            f"then {COLD_SERVERS} cold servers"
        )
    print(flush=True)


def make_context(root: Path, args: argparse.Namespace) -> Context:
    ctx = Context(
        root=root,
        repeat=args.repeat,
        env=venv_env(),
        jupyter=tool("jupyter"),
        papermill=tool("papermill"),
        python=os.path.abspath(sys.executable),
        marker_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        memory_metric=memory_metric(),
        peer_venv=args.peer_venv.resolve(),
        watch_seconds=args.watch_seconds,
        alternations=args.alternations,
        prune_runs=args.prune_runs,
        store_runs=args.store_runs,
    )
    # Create the store's schema now, so that no measured run pays for the migrations.
    primed = subprocess.run(ctx.orch("runs"), env=ctx.env, capture_output=True, text=True)
    if primed.returncode != 0:
        raise HarnessError(f"$ {' '.join(ctx.orch('runs'))} failed:\n{primed.stderr}")
    return ctx


def warm_up(ctx: Context) -> None:
    """One unmeasured papermill execution, so the first measurement does not pay cold caches."""
    ctx.log("warm-up: one papermill execution (not measured)")
    papermill_in_process(ctx, write_notebook(ctx.root / "warm-up.ipynb", TRIVIAL), 1)
    ctx.orphans.clear()


def run_scenario(ctx: Context, number: int) -> dict[str, Any]:
    """One scenario, then the orphan check over every process it started."""
    ctx.log(f"== scenario {number}")
    before = running_keys()
    ctx.orphans, ctx.failures = [], []
    outcome: Outcome = SCENARIOS[number](ctx)
    late, others = started_since(before, ctx.marker_prefix)
    ctx.add_late_orphans(late)
    rows = list(outcome.rows)
    if rows:
        rows.append(orphan_row(f"{number}. no orphaned kernel or process (check)", ctx.orphans))
    return {
        "number": number,
        "title": outcome.title,
        "rows": rows,
        "details": outcome.details,
        "data": outcome.data,
        "failures": list(ctx.failures),
        "orphans": list(ctx.orphans),
        "foreign_kernels": others,
    }


def temporary_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="jupyter-orch-bench-")).resolve()
    if root.is_relative_to(REPO):
        raise HarnessError(f"the temporary folder {root} is inside the repository; set TMPDIR")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine()
    print_header(info, args)
    root = temporary_root()
    results: list[dict[str, Any]] = []
    try:
        ctx = make_context(root, args)
        warm_up(ctx)
        for number in args.scenarios:
            results.append(run_scenario(ctx, number))
    except HarnessError as exc:
        print(f"HARNESS ERROR: {exc}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print("HARNESS ERROR: the benchmark harness broke (traceback above)", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept the temporary folder {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    info["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    print_report(results, info)
    if args.json:
        write_json(args.json, info, args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
