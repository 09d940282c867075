"""Scenario 8: the runs page and ``jupyter orch runs`` on a long history. A SQLite store holds
one real run (a one-step pipeline of the function kind, made by ``jupyter orch run``), grown by
``seed_store.py`` to 1,000 runs and then to ``--store-runs``; at each size a real Jupyter Server
with jupyter-orch answers ``GET /orch/runs?limit=50`` unfiltered, by pipeline and by status,
and ``jupyter orch runs`` lists the newest runs. A page must cost the same whatever the history.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench_context import (
    Context,
    HarnessError,
    Outcome,
    Row,
    bounded,
    compare,
    maybe,
    median,
    millis,
    p95,
    seconds,
)
from bench_servers import Server, make_server
from seed_store import seed

PIPELINE = "bench-store"
#: The store's size the other is compared with.
BASE_RUNS = 1000
PAGE = 50
#: Requests per filter and size (rounds alternate the filters), after a few unmeasured ones.
REQUESTS = 200
WARM_UP = 5
CLI_CALLS = 5
#: The page's p95 at the large size; a median at most this many times its own at BASE_RUNS.
MAX_P95_S = 0.050
MAX_GROWTH = 1.5
MAX_CLI_S = 1.0
#: 100,000 runs "well under a minute" (the rows of 99,000 copies, here).
MAX_SEED_S = 60.0
FILTERS = {
    "unfiltered": "",
    "by pipeline": f"&pipeline={PIPELINE}",
    "by status": "&status=failed",
}
FUNCTION = "def step(x=0):\n    return {'y': x + 1}\n"
PIPELINE_YAML = f"""name: {PIPELINE}
parameters: {{x: 0}}
steps:
  - name: step
    python: step.py:step
"""


def make_store(ctx: Context, server: Server, url: str) -> None:
    """The one real run, made in the server's root as a person would (``jupyter orch run``)."""
    (server.root / "step.py").write_text(FUNCTION)
    path = ctx.pipeline(server.root / "store.yaml", PIPELINE_YAML)
    argv = [
        ctx.jupyter,
        "orch",
        "run",
        str(path),
        "--db",
        url,
        "--runs-dir",
        str(server.root / "runs"),
    ]
    done = ctx.run(argv, cwd=server.root)
    if done.returncode != 0:
        raise HarnessError(f"the store's first run failed, nothing to copy\n{done.describe()}")


def page_timings(server: Server) -> dict[str, list[float]]:
    """Seconds each ``GET /orch/runs?limit=50`` took, client side, by filter."""
    timings: dict[str, list[float]] = {name: [] for name in FILTERS}
    for index in range(WARM_UP + REQUESTS):
        for name, query in FILTERS.items():
            began = time.perf_counter()
            page = server.request("GET", f"/orch/runs?limit={PAGE}{query}")
            if index >= WARM_UP:
                timings[name].append(time.perf_counter() - began)
            if len(page["runs"]) != PAGE:
                raise HarnessError(f"{name}: {len(page['runs'])} runs on a page of {PAGE}")
    return timings


def cli_walls(ctx: Context, url: str, folder: Path) -> list[float]:
    """Whole-process wall time of ``jupyter orch runs``, ``CLI_CALLS`` times."""
    argv = [ctx.jupyter, "orch", "runs", "--db", url, "--runs-dir", str(folder / "runs")]
    return [ctx.run(argv, cwd=folder).wall_s for _ in range(CLI_CALLS)]


def measure(ctx: Context, server: Server, url: str, size: int) -> dict[str, Any]:
    ctx.log(f"  {size} runs: {REQUESTS} pages per filter, {CLI_CALLS} x jupyter orch runs")
    pages = page_timings(server)
    walls = cli_walls(ctx, url, server.root)
    return {
        "page_s": pages,
        "median_s": {name: median(values) for name, values in pages.items()},
        "p95_s": {name: p95(values) for name, values in pages.items()},
        "cli_s": walls,
        "cli_median_s": median(walls),
    }


def store_scaling(ctx: Context) -> Outcome:
    """8. The runs page and the CLI listing at 1,000 runs, then at ``--store-runs``."""
    folder = ctx.root / "s8"
    folder.mkdir()
    url = f"sqlite:///{folder / 'store.sqlite'}"
    server = make_server(
        ctx, "jupyter-orch-store", ctx.jupyter, ctx.env, [f"--OrchApp.db_url={url}"]
    )
    make_store(ctx, server, url)
    sizes: dict[int, dict[str, Any]] = {}
    seeding: dict[int, float] = {}
    try:
        server.start(ctx)
        made = 1
        for size in (BASE_RUNS, ctx.store_runs):
            began = time.perf_counter()
            seed(url, size - made)
            seeding[size] = time.perf_counter() - began
            ctx.log(f"  seeded {size - made} runs in {seeding[size]:.1f} s")
            made = size
            sizes[size] = measure(ctx, server, url, size)
    finally:
        server.stop(ctx)
    data = {"sizes": sizes, "seed_s": seeding, "base": BASE_RUNS, "large": ctx.store_runs}
    return Outcome(
        f"Runs page on a long history ({ctx.store_runs} runs)", rows(data), details(data), data
    )


def rows(data: dict[str, Any]) -> list[Row]:
    base, large = data["base"], data["large"]
    small, big = data["sizes"].get(base), data["sizes"].get(large)
    if small is None or big is None:
        return []
    found = []
    for name in FILTERS:
        scenario = f"8. GET /orch/runs?limit={PAGE} {name}"
        found += [
            bounded(
                f"{scenario}, p95 at {large} runs",
                big["p95_s"][name],
                millis,
                at_most=MAX_P95_S,
                context=f"at {base} runs {maybe(small['p95_s'][name], millis)}",
            ),
            compare(
                f"{scenario}, median at {large} runs",
                big["median_s"][name],
                f"at {base} runs",
                small["median_s"][name],
                millis,
                max_ratio=MAX_GROWTH,
            ),
        ]
    found += [
        bounded(
            f"8. jupyter orch runs at {large} runs (process wall, median)",
            big["cli_median_s"],
            seconds,
            at_most=MAX_CLI_S,
            context=f"at {base} runs {maybe(small['cli_median_s'], seconds)}",
        ),
        bounded(
            f"8. seed_store.py: {large - base} runs (to {large})",
            data["seed_s"][large],
            seconds,
            at_most=MAX_SEED_S,
        ),
    ]
    return found


def details(data: dict[str, Any]) -> list[str]:
    lines = [
        f"one real run of a one-step function pipeline (jupyter orch run), copied by "
        f"seed_store.py (five minutes apart, one in nine failed); a real jupyter server on the "
        f"SQLite store; per size {REQUESTS} requests per filter after {WARM_UP} unmeasured, "
        "rounds alternating the filters, timed client side",
    ]
    for size, found in data["sizes"].items():
        pages = ", ".join(
            f"{name} median {maybe(found['median_s'][name], millis)} p95 "
            f"{maybe(found['p95_s'][name], millis)} max {millis(max(found['page_s'][name]))}"
            for name in FILTERS
        )
        walls = ", ".join(seconds(value) for value in found["cli_s"])
        lines += [
            f"{size} runs (seeded in {seconds(data['seed_s'][size])}): {pages}",
            f"  jupyter orch runs: {walls}",
        ]
    return lines
