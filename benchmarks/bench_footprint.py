"""12. What an extension adds to an idle Jupyter Server, and our first run on a cold server.

(a) The same ``jupyter server`` (same environment, same command line) with the extension
enabled and with ``--ServerApp.jpserver_extensions={"<module>": False}``: ours (jupyter-orch,
the project's environment) and the peer (jupyter-scheduler, its own environment). Each server
runs alone; its process tree's summed USS is looked at 5 s after it answers, then, after 20 s
and once its tree is quiet, sampled over 10 s (median). Added = enabled - disabled. Target:
ours added <= peer added + 30 MiB. (b) On a fresh server, idle since it started, one run of a
one-step trivial pipeline over REST; trigger -> the step's recorded end. Target: <= 1.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench_context import Context, HarnessError, Outcome, Row, bounded, mebibytes, median, seconds
from bench_servers import Server, ensure_peer_venv, make_server, peer_env
from bench_workloads import TRIVIAL, one_step_yaml, seconds_between, write_notebook

PEER = "jupyter-scheduler"
#: The early look, this long after the server first answers (over one second).
EARLY_S = 5.0
#: The idle measurement starts this long after the server first answers (and once it is quiet).
SETTLE_S = 20.0
WINDOW_S = 10.0
INTERVAL_S = 0.5
MAX_EXTRA_BYTES = 30 * 2**20
COLD_SERVERS = 3
COLD_TARGET_S = 1.5
POLL_S = 0.02
RUN_TIMEOUT_S = 120.0
PIPELINE = "bench-cold"
#: Which server each variant is: (side, enabled). Rounds run them in this order, one at a time.
VARIANTS = {
    "ours_on": ("ours", True),
    "ours_off": ("ours", False),
    "peer_on": ("peer", True),
    "peer_off": ("peer", False),
}
MODULES = {"ours": "jupyter_orch", "peer": "jupyter_scheduler"}


@dataclass
class Look:
    """A server's process tree over a window: the median of its summed memory, its processes."""

    total_bytes: float
    processes: float  # median count per sample
    kernels: int  # kernels seen in the window
    samples: int


@dataclass
class Idle:
    early: Look
    settled: Look
    children: list[str]  # every descendant seen since the start (command lines, shortened)


def look(server: Server, window: float) -> Look:
    trace = server.memory_while(lambda: time.sleep(window), INTERVAL_S)
    if not trace.samples:
        raise HarnessError(f"{server.label}: no memory sample of its process tree")
    kernels = {key for sample in trace.samples for key in sample if trace.roles[key] == "kernel"}
    return Look(
        total_bytes=statistics.median(sum(sample.values()) for sample in trace.samples),
        processes=statistics.median(len(sample) for sample in trace.samples),
        kernels=len(kernels),
        samples=len(trace.samples),
    )


def _sleep_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))


def _orch_cli(ctx: Context, root: Path, db_url: str, *args: str) -> None:
    """``jupyter orch ARGS`` on a server's store before the server starts (it stays untouched)."""
    argv = [ctx.jupyter, "orch", *args, "--db", db_url, "--runs-dir", str(root / "orch-runs")]
    done = subprocess.run(argv, cwd=root, env=ctx.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"$ {' '.join(argv)} failed:\n{done.stderr[-2000:]}")


def idle_server(ctx: Context, folder: Path, key: str, index: int) -> Server:
    """One variant; ours opens a store whose schema exists, as at every start but the first."""
    side, enabled = VARIANTS[key]
    extra = [] if enabled else [f'--ServerApp.jpserver_extensions={{"{MODULES[side]}": False}}']
    label = f"s12-{key}-{index}"
    db_url = f"sqlite:///{folder / f'{label}.sqlite'}"
    if side == "ours":
        server = make_server(
            ctx, label, ctx.jupyter, ctx.env, [f"--OrchApp.db_url={db_url}", *extra]
        )
        if enabled:
            _orch_cli(ctx, server.root, db_url, "runs")
        return server
    jupyter = str(ensure_peer_venv(ctx, ctx.peer_venv))
    env = peer_env(ctx, ctx.peer_venv)
    return make_server(ctx, label, jupyter, env, [f"--SchedulerApp.db_url={db_url}", *extra])


def measure_idle(ctx: Context, server: Server) -> Idle:
    server.start(ctx)
    try:
        ready = time.monotonic()
        _sleep_until(ready + EARLY_S)
        early = look(server, 1.0)
        _sleep_until(ready + SETTLE_S)
        server.wait_quiet()
        settled = look(server, WINDOW_S)
        assert server.watcher is not None
        children = sorted({command[:120] for command in server.watcher.seen.values()})
    finally:
        server.stop(ctx)
    ctx.log(
        f"  {server.label}: {mebibytes(early.total_bytes)} at {EARLY_S:g} s, "
        f"{mebibytes(settled.total_bytes)} idle, {settled.processes:g} process(es)"
    )
    return Idle(early, settled, children)


def cold_first_step(ctx: Context, folder: Path, index: int) -> dict[str, float]:
    """A fresh server with the pipeline applied beforehand; idle 5 s (and quiet), then one run."""
    db_url = f"sqlite:///{folder / f'cold-{index}.sqlite'}"
    label = f"s12-cold-{index}"
    server = make_server(ctx, label, ctx.jupyter, ctx.env, [f"--OrchApp.db_url={db_url}"])
    write_notebook(server.root / "trivial.ipynb", TRIVIAL)
    ctx.pipeline(server.root / "one_step.yaml", one_step_yaml(PIPELINE, "trivial.ipynb"))
    _orch_cli(ctx, server.root, db_url, "apply", "one_step.yaml")
    server.start(ctx)
    try:
        _sleep_until(time.monotonic() + EARLY_S)
        server.wait_quiet()
        found = first_run(server)
    finally:
        server.stop(ctx)
    ctx.log(
        f"  {label}: step ended {found['step_ended_s']:.2f} s after the POST, "
        f"seen ended {found['observed_s']:.2f} s"
    )
    return found


def first_run(server: Server) -> dict[str, float]:
    """``POST /orch/pipelines/{name}/runs``, then ``GET /orch/runs/{id}`` every 20 ms until it
    ends; seconds from just before the POST to the recorded times and to the observed end."""
    before = datetime.now(timezone.utc).isoformat()
    began = time.perf_counter()
    run = server.request("POST", f"/orch/pipelines/{PIPELINE}/runs", {"parameters": {"x": 1}})
    posted = time.perf_counter() - began
    while run["status"] in ("queued", "running"):
        if time.perf_counter() - began > RUN_TIMEOUT_S:
            raise HarnessError(f"{server.label}: run {run['id']} not done in {RUN_TIMEOUT_S:g} s")
        time.sleep(POLL_S)
        run = server.request("GET", f"/orch/runs/{run['id']}")
    observed = time.perf_counter() - began
    if run["status"] != "succeeded":
        raise HarnessError(f"{server.label}: run {run['id']} ended {run['status']}: {run['error']}")
    attempt = run["steps"][0]["attempts"][-1]
    return {
        "posted_s": posted,
        "run_created_s": seconds_between(before, run["created_at"]),
        "step_started_s": seconds_between(before, attempt["started_at"]),
        "step_ended_s": seconds_between(before, attempt["ended_at"]),
        "observed_s": observed,
    }


def idle_and_cold(ctx: Context) -> Outcome:
    """12. (a) the four idle servers one at a time, rounds by ``--repeat``; (b) three cold ones."""
    folder = ctx.root / "s12"
    folder.mkdir()
    ensure_peer_venv(ctx, ctx.peer_venv)  # installing it is no part of any measurement
    idle: dict[str, list[Idle]] = {key: [] for key in VARIANTS}
    for index in ctx.rounds("scenario 12 (a), idle servers"):
        for key in VARIANTS:
            idle[key].append(measure_idle(ctx, idle_server(ctx, folder, key, index)))
    cold = []
    for index in range(COLD_SERVERS):
        ctx.log(f"scenario 12 (b): cold server {index + 1}/{COLD_SERVERS}")
        cold.append(cold_first_step(ctx, folder, index))
    data = {
        "idle": {key: [asdict(one) for one in found] for key, found in idle.items()},
        "cold": cold,
    }
    return Outcome(
        f"Idle footprint (jupyter-orch vs {PEER}) and the first run on a cold server",
        idle_rows(idle) + cold_rows(cold),
        details(idle, cold),
        data,
    )


def _added(idle: dict[str, list[Idle]], side: str, phase: str) -> float:
    """Median over rounds of enabled - disabled (each round's pair)."""
    pairs = zip(idle[f"{side}_on"], idle[f"{side}_off"], strict=True)
    added = [getattr(on, phase).total_bytes - getattr(off, phase).total_bytes for on, off in pairs]
    return float(statistics.median(added))


def _mid(idle: dict[str, list[Idle]], key: str, phase: str, stat: str) -> float:
    return float(statistics.median(getattr(getattr(one, phase), stat) for one in idle[key]))


def idle_rows(idle: dict[str, list[Idle]]) -> list[Row]:
    ours, peer = _added(idle, "ours", "settled"), _added(idle, "peer", "settled")
    ok = ours <= peer + MAX_EXTRA_BYTES
    rows = [
        Row(
            f"12. idle server, USS the extension adds (after {SETTLE_S:g} s)",
            f"{mebibytes(ours)} ({(ours - peer) / 2**20:+.1f} MiB vs peer)",
            f"{PEER} {mebibytes(peer)}",
            f"{ours / peer:.2f}" if peer > 0 else "-",
            f"ours <= peer + {mebibytes(MAX_EXTRA_BYTES)}",
            "PASS" if ok else "FAIL",
        ),
        Row(
            f"12. idle server, USS the extension adds (at {EARLY_S:g} s)",
            mebibytes(_added(idle, "ours", "early")),
            f"{PEER} {mebibytes(_added(idle, 'peer', 'early'))}",
            "-",
            "-",
            "-",
        ),
    ]
    for phase, when in (("settled", f"after {SETTLE_S:g} s"), ("early", f"at {EARLY_S:g} s")):
        cells = {
            side: f"{mebibytes(_mid(idle, f'{side}_on', phase, 'total_bytes'))} / "
            f"{mebibytes(_mid(idle, f'{side}_off', phase, 'total_bytes'))}, "
            f"{_mid(idle, f'{side}_on', phase, 'processes'):g} / "
            f"{_mid(idle, f'{side}_off', phase, 'processes'):g} processes"
            for side in ("ours", "peer")
        }
        rows.append(
            Row(
                f"12. server tree USS with / without it, processes ({when})",
                cells["ours"],
                f"{PEER} {cells['peer']}",
                "-",
                "-",
                "-",
            )
        )
    return rows


def cold_rows(cold: list[dict[str, float]]) -> list[Row]:
    ended = [one["step_ended_s"] for one in cold]
    observed = [one["observed_s"] for one in cold]
    middle = median(ended)
    scenario = f"12. cold server, POST run -> step ended_at, {len(cold)} servers"
    return [
        bounded(  # each first step must meet it: the worst one is checked
            f"{scenario}, max",
            max(ended) if ended else None,
            seconds,
            at_most=COLD_TARGET_S,
            context="-" if middle is None else f"median {seconds(middle)}",
        ),
        bounded(
            "12. cold server, POST run -> run seen ended (20 ms polls), median",
            median(observed),
            seconds,
            context=f"max {seconds(max(observed))}" if observed else "-",
        ),
    ]


def details(idle: dict[str, list[Idle]], cold: list[dict[str, float]]) -> list[str]:
    lines = [
        "(a) a real `jupyter server` (default settings, jupyterlab's server extension loaded in "
        f"both of ours; {PEER}'s environment has no jupyterlab) enabled vs "
        '--ServerApp.jpserver_extensions={"<module>": False}, each alone; USS of the process '
        f"tree summed per sample: at {EARLY_S:g} s after it answers (1 s), then after "
        f"{SETTLE_S:g} s and once quiet, every {INTERVAL_S:g} s over {WINDOW_S:g} s (median)",
    ]
    names = {"ours": "jupyter-orch", "peer": PEER}
    for key, (side, enabled) in VARIANTS.items():
        state = "enabled" if enabled else "disabled"
        for one in idle[key]:
            lines.append(
                f"{names[side]} {state}: at {EARLY_S:g} s {mebibytes(one.early.total_bytes)} in "
                f"{one.early.processes:g} process(es), {one.early.kernels} kernel(s); idle "
                f"{mebibytes(one.settled.total_bytes)} in {one.settled.processes:g} process(es), "
                f"{one.settled.kernels} kernel(s), {one.settled.samples} samples"
            )
            lines += [f"  child seen since start: {child}" for child in one.children]
    lines.append(
        "(b) a fresh server per run, its pipeline applied with `jupyter orch apply` before it "
        f"starts, idle {EARLY_S:g} s and quiet; seconds from just before the POST"
    )
    for run in cold:
        lines.append(
            f"POST answered {run['posted_s']:.3f} s, run created {run['run_created_s']:.3f} s, "
            f"step started {run['step_started_s']:.3f} s, step ended {run['step_ended_s']:.3f} s,"
            f" run seen ended {run['observed_s']:.3f} s"
        )
    return lines
