"""Scenario 5: ten one-step runs requested at once over REST from a running Jupyter Server
with jupyter-orch, against ten jupyter-scheduler jobs of the same notebook; then each server's
memory with its pool warm."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_context import Context, Outcome, compare, mebibytes, median, memory_stats, seconds
from bench_servers import (
    Burst,
    OrchClient,
    SchedulerClient,
    Server,
    burst,
    ensure_peer_venv,
    make_server,
    peer_env,
)
from bench_workloads import TRIVIAL, one_step_yaml, write_notebook

#: Runs requested at once.
REST_RUNS = 10
PEER = "jupyter-scheduler"


def make_servers(ctx: Context, folder: Path) -> tuple[Server, Server]:
    """Ours with a one-step pipeline file beside its notebook; the peer with the same notebook."""
    ours = make_server(
        ctx,
        "jupyter-orch",
        ctx.jupyter,
        ctx.env,
        [f"--OrchApp.db_url=sqlite:///{folder / 'orch-server.sqlite'}"],
    )
    write_notebook(ours.root / "trivial.ipynb", TRIVIAL)
    ctx.pipeline(ours.root / "one_step.yaml", one_step_yaml("bench-rest", "trivial.ipynb"))
    peer = make_server(
        ctx,
        PEER,
        str(ensure_peer_venv(ctx, ctx.peer_venv)),
        peer_env(ctx, ctx.peer_venv),
        [f"--SchedulerApp.db_url=sqlite:///{folder / 'scheduler.sqlite'}"],
    )
    write_notebook(peer.root / "trivial.ipynb", TRIVIAL)
    return ours, peer


def rest_runs_at_once(ctx: Context) -> Outcome:
    """5. Both servers up at once, rounds alternating; one unmeasured run each first."""
    folder = ctx.root / "s5"
    folder.mkdir()
    ours, peer = make_servers(ctx, folder)
    bursts: dict[str, list[Burst]] = {"ours": [], "peer": []}
    memory: dict[str, dict[str, float]] = {}
    try:
        for server in (ours, peer):
            server.start(ctx)
        ours.request("POST", "/orch/pipelines", {"path": "one_step.yaml"})
        clients = {
            "ours": OrchClient(ours, "bench-rest"),
            "peer": SchedulerClient(peer, "trivial.ipynb"),
        }
        servers = {"ours": ours, "peer": peer}
        ctx.log("scenario 5: one run on each server first (warm-up, not measured)")
        for key, client in clients.items():
            burst(client, 1)
            servers[key].wait_quiet()
        for key, server in servers.items():
            memory[f"{key}_idle"] = memory_stats(server.memory_while(lambda: None))
        for _ in ctx.rounds("scenario 5"):
            for key, client in clients.items():
                bursts[key].append(burst(client, REST_RUNS))
                servers[key].wait_quiet()
                done = bursts[key][-1]
                ctx.log(f"  {key}: first done {done.first_s:.2f} s, all {done.last_s:.2f} s")
        for key, server in servers.items():
            busy = server.memory_while(_burst_of(clients[key]))
            memory[f"{key}_busy"] = memory_stats(busy)
            server.wait_quiet()
    finally:
        for server in (peer, ours):
            server.stop(ctx)
    return outcome(ctx, bursts, memory)


def _burst_of(client: OrchClient | SchedulerClient) -> Callable[[], Any]:
    return lambda: burst(client, REST_RUNS)


def outcome(
    ctx: Context, bursts: dict[str, list[Burst]], memory: dict[str, dict[str, float]]
) -> Outcome:
    def mid(key: str, attribute: str) -> float | None:
        return median([getattr(one, attribute) for one in bursts[key]])

    scenario = f"5. {REST_RUNS} one-step runs at once over REST"
    rows = [
        compare(
            f"{scenario}, first done",
            mid("ours", "first_s"),
            PEER,
            mid("peer", "first_s"),
            seconds,
            max_ours=1.5,
        ),
        compare(
            f"{scenario}, all done",
            mid("ours", "last_s"),
            PEER,
            mid("peer", "last_s"),
            seconds,
            max_ratio=0.25,
        ),
    ]
    metric = ctx.memory_metric.upper()
    for label, phase, stat in (
        ("whole tree, idle, pool warm", "idle", "peak_total"),
        (f"whole tree, during {REST_RUNS} runs", "busy", "peak_total"),
        (f"server process, during {REST_RUNS} runs", "busy", "peak_coordinator"),
    ):
        ours = memory.get(f"ours_{phase}", {}).get(stat)
        peer = memory.get(f"peer_{phase}", {}).get(stat)
        rows.append(compare(f"5. server peak {metric}, {label}", ours, PEER, peer, mebibytes))
    data = {key: [vars(one) for one in values] for key, values in bursts.items()}
    return Outcome(
        f"{REST_RUNS} one-step runs at once over REST (jupyter-orch vs {PEER})",
        rows,
        details(bursts, memory),
        {**data, "memory": memory},
    )


def details(bursts: dict[str, list[Burst]], memory: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "time from just before the first of the concurrent POSTs to each run seen finished "
        "(each pending run polled every 20 ms); ours: POST /orch/pipelines/{name}/runs, then "
        f"GET /orch/runs/{{id}} until succeeded; {PEER}: POST /scheduler/jobs, then "
        "GET /scheduler/jobs/{id} until COMPLETED",
        "both: a real `jupyter server` on loopback with default settings, both up, rounds "
        "alternating, one unmeasured run first; after each burst the harness waits until the "
        "server's process tree is idle (< 10% of a CPU); memory: the process tree sampled "
        "every 50 ms (a kernel shorter-lived than a sampling round may go unseen)",
    ]
    for key, label in (("ours", "ours"), ("peer", PEER)):
        for one in bursts[key]:
            done = ", ".join(f"{value:.2f}" for value in one.finished_s)
            lines.append(
                f"{label}: {REST_RUNS} POSTs in {seconds(one.submitted_s)}; done at {done} s"
            )
        for phase in ("idle", "busy"):
            found = memory.get(f"{key}_{phase}")
            if found:
                lines.append(
                    f"{label} memory, {phase}: total {mebibytes(found['peak_total'])}, server "
                    f"{mebibytes(found['peak_coordinator'])}, other processes "
                    f"{mebibytes(found['peak_other_processes'])}, {found['kernels']:.0f} "
                    f"kernel(s) (max {mebibytes(found['kernel_peak_max'])} each)"
                )
    return lines
