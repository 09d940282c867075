"""Scenario 7: retention on a large store. A store of ``--prune-runs`` finished one-step runs of
one pipeline (``retention: {keep_last: 100}``), each with a folder holding a 2 kB notebook;
``jupyter_orch.retention.prune`` deletes all but the newest 100, rows and folders, while
another thread asks for the runs page as the REST API serves it.

Like the scheduler's prune (a thread of the server process), the prune runs in a thread of the
process that serves the page, on the same ``Store``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nbformat
from bench_context import (
    Context,
    Outcome,
    Row,
    bounded,
    check_row,
    compare,
    maybe,
    millis,
    p95,
    seconds,
)
from bench_workloads import TRIVIAL, one_step_yaml, write_notebook
from sqlalchemy import insert, select

from jupyter_orch.catalog import Catalog
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.retention import BATCH, prune
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.store.tables import PipelineRow, RunRow, StepAttemptRow, StepRunRow
from jupyter_orch.store.types import utcnow

PIPELINE = "bench-prune"
KEEP_LAST = 100
#: Runs per transaction while the fixture is made.
CHUNK = 5000
#: The panel's PAGE_SIZE (labextension/src/panel/model.ts), and a pause between two requests.
PAGE = 25
PAGE_PAUSE_S = 0.02
IDLE_PAGES = 100
#: The alphabet of run ids (ULIDs, ``new_run_id`` in jupyter_orch/store/types.py).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def run_id_at(created: datetime) -> str:
    """A run id as the store makes it for a run created at ``created``: 48 bits of
    milliseconds, then 80 random bits, so that ids sort by creation time."""
    value = (int(created.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def output_notebook() -> bytes:
    """A valid notebook of about 2 kB."""
    cell = nbformat.v4.new_markdown_cell("-" * 1850)
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()


def run_rows(
    pipeline_id: int, runs_dir: Path, created: datetime, index: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The run, step and attempt rows of the ``index``-th run (the step's row id is
    ``index + 1``); one run in ten failed."""
    run_id = run_id_at(created)
    folder = runs_dir / PIPELINE / run_id
    status = "failed" if index % 10 == 9 else "succeeded"
    ended = created + timedelta(seconds=5)
    run = {
        "id": run_id,
        "pipeline_id": pipeline_id,
        "version": 1,
        "status": status,
        "trigger": "schedule",
        "parameters": {"x": 0},
        "run_dir": str(folder),
        "created_at": created,
        "started_at": created,
        "ended_at": ended,
    }
    step = {
        "id": index + 1,
        "run_id": run_id,
        "name": "step",
        "position": 0,
        "needs": [],
        "status": status,
    }
    attempt = {
        "step_run_id": index + 1,
        "run_id": run_id,
        "number": 1,
        "status": status,
        "started_at": created,
        "ended_at": ended,
        "outputs": {},
        "error": None,
        "output_notebook": str(folder / "step.ipynb"),
        "resources": {"peak_memory_bytes": 80_000_000, "cpu_seconds": 1.2},
    }
    return run, step, attempt


def insert_runs(store: Store, runs_dir: Path, count: int, now: datetime) -> list[str]:
    """``count`` finished runs a minute apart up to ``now``, oldest first, rows in bulk (core
    executemany, ``CHUNK`` runs per transaction) and a folder with a notebook each."""
    notebook = output_notebook()
    with store.engine.connect() as connection:
        pipeline_id = connection.execute(
            select(PipelineRow.id).where(PipelineRow.name == PIPELINE)
        ).scalar_one()
    ids: list[str] = []
    for start in range(0, count, CHUNK):
        chunk = [
            run_rows(pipeline_id, runs_dir, now - timedelta(minutes=count - index), index)
            for index in range(start, min(start + CHUNK, count))
        ]
        with store.engine.begin() as connection:
            for table, position in ((RunRow, 0), (StepRunRow, 1), (StepAttemptRow, 2)):
                connection.execute(insert(table), [rows[position] for rows in chunk])
        for run, _, _ in chunk:
            folder = Path(run["run_dir"])
            folder.mkdir(parents=True)
            (folder / "step.ipynb").write_bytes(notebook)
            ids.append(run["id"])
    return ids


def make_fixture(ctx: Context, folder: Path) -> tuple[Store, Catalog, list[str], float]:
    """The store with the pipeline registered the usual way, then the runs in bulk; the
    seconds the store took (the pipeline file's validation left out)."""
    notebook = write_notebook(folder / "step.ipynb", TRIVIAL)
    path = ctx.pipeline(
        folder / "pruned.yaml", one_step_yaml(PIPELINE, notebook.name, keep_last=KEEP_LAST)
    )
    began = time.perf_counter()
    store = Store.open(f"sqlite:///{folder / 'prune.sqlite'}")
    runs_dir = folder / "runs"
    orch = Orchestrator(store, runs_dir)
    orch.apply(load_pipeline(path))
    ids = insert_runs(store, runs_dir, ctx.prune_runs, utcnow())
    return store, Catalog(orch, folder), ids, time.perf_counter() - began


def page_timings(catalog: Catalog, go_on: Callable[[int], bool]) -> list[float]:
    """Seconds each ``GET /orch/runs?limit=25`` answer took to build, while ``go_on(count)``."""
    timings: list[float] = []
    while go_on(len(timings)):
        began = time.perf_counter()
        catalog.runs(pipeline=None, status=None, limit=PAGE, cursor=None)
        timings.append(time.perf_counter() - began)
        time.sleep(PAGE_PAUSE_S)
    return timings


def timed_prune(store: Store, catalog: Catalog) -> tuple[float, int, list[float]]:
    """The prune's seconds and runs deleted, and the page timings taken meanwhile."""
    done = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        pages = pool.submit(page_timings, catalog, lambda _: not done.is_set())
        began = time.perf_counter()
        try:
            pruned = prune(store, utcnow())
        finally:
            elapsed = time.perf_counter() - began
            done.set()
        return elapsed, sum(len(one.runs) for one in pruned), pages.result()


def what_remains(store: Store, folder: Path, ids: list[str]) -> tuple[str, bool]:
    """The runs and folders left, and whether they are exactly the newest ``KEEP_LAST`` of
    ``ids`` (oldest first)."""
    runs = sorted(store.run_ids_page(pipeline=PIPELINE, limit=len(ids)))
    folders = sorted(path.name for path in (folder / "runs" / PIPELINE).iterdir())
    journal = store.pruned_folders(PIPELINE)
    ok = runs == folders == sorted(ids[-KEEP_LAST:]) and not journal
    found = f"{len(runs)} runs, {len(folders)} folders, {len(journal)} journalled"
    return found, ok


def prune_speed(ctx: Context) -> Outcome:
    """7. Prune ``--prune-runs`` runs down to ``keep_last``; the runs page meanwhile."""
    folder = ctx.root / "s7"
    folder.mkdir()
    ctx.log(f"scenario 7: a store of {ctx.prune_runs} runs with their folders")
    store, catalog, ids, fixture_s = make_fixture(ctx, folder)
    try:
        ctx.log(f"  fixture: {fixture_s:.1f} s; the runs page, idle, x{IDLE_PAGES}")
        idle = page_timings(catalog, lambda count: count < IDLE_PAGES)
        ctx.log("  prune, with the runs page asked for meanwhile")
        prune_s, deleted, during = timed_prune(store, catalog)
        ctx.log(f"  prune: {deleted} runs in {prune_s:.1f} s")
        found, ok = what_remains(store, folder, ids)
    finally:
        store.close()
    data = {
        "runs": ctx.prune_runs,
        "keep_last": KEEP_LAST,
        "fixture_s": fixture_s,
        "prune_s": prune_s,
        "deleted": deleted,
        "runs_per_s": deleted / prune_s if prune_s else None,
        "page_s": {"idle": idle, "during": during},
        "page_p95_s": {"idle": p95(idle), "during": p95(during)},
        "remaining": found,
        "remaining_ok": ok,
    }
    return Outcome(f"Prune of {ctx.prune_runs} runs", rows(data), details(data), data)


def rows(data: dict[str, Any]) -> list[Row]:
    latency = data["page_p95_s"]
    return [
        bounded(
            f"7. prune {data['runs']} runs to keep_last {KEEP_LAST}, runs deleted per second",
            data["runs_per_s"],
            lambda value: f"{value:.0f} runs/s",
            context=f"{data['deleted']} runs in {seconds(data['prune_s'])}",
        ),
        compare(
            f"7. runs page (limit {PAGE}) p95 during the prune",
            latency["during"],
            "idle",
            latency["idle"],
            millis,
            max_ratio=3,
        ),
        check_row(
            f"7. after the prune: the newest {KEEP_LAST} runs and their folders remain (check)",
            data["remaining"],
            f"exactly the newest {KEEP_LAST}, journal empty",
            data["remaining_ok"],
        ),
        bounded(f"7. fixture: {data['runs']} runs with folders", data["fixture_s"], seconds),
    ]


def details(data: dict[str, Any]) -> list[str]:
    def timings(key: str) -> str:
        values = data["page_s"][key]
        worst = maybe(max(values, default=None), millis)
        return f"{len(values)} calls, p95 {maybe(data['page_p95_s'][key], millis)}, max {worst}"

    return [
        f"fixture: one pipeline, {data['runs']} finished runs a minute apart (one in ten "
        f"failed), each with one step, one attempt and a folder holding a 2 kB notebook; rows "
        f"in bulk, {CHUNK} runs per transaction: {seconds(data['fixture_s'])}",
        f"prune: {data['deleted']} runs in {seconds(data['prune_s'])}, batches of {BATCH}, "
        "rows before folders",
        f"runs page: Catalog.runs(limit={PAGE}) as GET /orch/runs serves it, every "
        f"{millis(PAGE_PAUSE_S)} after the last answer, in a second thread: idle "
        f"{timings('idle')}; during the prune {timings('during')}",
    ]
