"""The lineage graph across pipelines: which pipeline writes the table this one reads, and the
last run that wrote each dataset (``jupyter orch lineage``, ``GET /orch/lineage``)."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import NotFoundError
from jupyter_orch.lineage_views import lineage_graph, lineage_text
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import AttemptRecord, AttemptStatus, Trigger
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook, write_steps
from .helpers import command
from .orch_server import call


def pipeline(folder: Path, name: str, steps: list[str]) -> Path:
    write_notebook(folder / name / "n.ipynb", None, "x = 1")
    lines = "\n".join(f"- {{name: {step}, notebook: n.ipynb}}" for step in steps)
    return write_steps(folder / name, name, lines)


def ran(store: Store, name: str, lineage: dict[str, dict[str, list[str]]], minutes: int) -> str:
    """A finished run of ``name`` whose steps recorded ``lineage``, ``minutes`` from now."""
    run = store.create_run(
        pipeline=name,
        version=store.get_version(name).version,
        trigger=Trigger.MANUAL,
        parameters={},
        steps=[(step, []) for step in lineage],
        runs_dir="/tmp/runs",
    )
    at = utcnow() + timedelta(minutes=minutes)
    for step, found in lineage.items():
        attempt = AttemptRecord(1, AttemptStatus.SUCCEEDED, at, at, lineage=found)
        store.save_attempt(run.id, step, attempt)
    return run.id


@pytest.fixture
def two_pipelines(store: Store, tmp_path: Path) -> dict[str, str]:
    orch = Orchestrator(store, tmp_path / "runs")
    orch.register(load_pipeline(pipeline(tmp_path, "load", ["extract"])))
    orch.register(load_pipeline(pipeline(tmp_path, "report", ["totals", "chart"])))
    orch.register(load_pipeline(pipeline(tmp_path, "other", ["x"])))
    ids = {
        "old_load": ran(store, "load", {"extract": {"inputs": [], "outputs": ["wh.raw.orders"]}}, 0),
        "load": ran(store, "load", {"extract": {"inputs": ["api.orders"], "outputs": ["wh.raw.orders"]}}, 5),
        "report": ran(store, "report", {
            "totals": {"inputs": ["wh.raw.orders"], "outputs": ["wh.mart.totals"]},
            "chart": {"inputs": ["wh.mart.totals"], "outputs": ["charts/daily.png"]},
        }, 10),
        "other": ran(store, "other", {"x": {"inputs": ["wh.unrelated"], "outputs": []}}, 1),
    }  # fmt: skip
    return ids


def edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["from"], e["kind"], e["to"]) for e in graph["edges"]}


def test_a_pipelines_graph_shows_who_writes_what_it_reads(
    store: Store, two_pipelines: dict[str, str]
) -> None:
    graph = lineage_graph(store, pipeline="report")
    assert edges(graph) == {
        ("dataset:wh.raw.orders", "reads", "step:report/totals"),
        ("step:report/totals", "writes", "dataset:wh.mart.totals"),
        ("dataset:wh.mart.totals", "reads", "step:report/chart"),
        ("step:report/chart", "writes", "dataset:charts/daily.png"),
        # the other pipeline's step that writes what this one reads, with what it reads
        ("dataset:api.orders", "reads", "step:load/extract"),
        ("step:load/extract", "writes", "dataset:wh.raw.orders"),
    }
    orders = next(n for n in graph["nodes"] if n["id"] == "dataset:wh.raw.orders")
    assert orders["last_written"]["run_id"] == two_pipelines["load"]  # the newer of two runs
    assert (orders["last_written"]["pipeline"], orders["last_written"]["step"]) == (
        "load", "extract",
    )  # fmt: skip
    text = lineage_text(graph)
    assert "report / totals\n  reads  wh.raw.orders\n  writes wh.mart.totals" in text
    assert "wh.raw.orders: last written by load / extract (run #2, " in text


def test_a_datasets_graph_and_the_whole_graph(store: Store, two_pipelines: dict[str, str]) -> None:
    graph = lineage_graph(store, dataset="wh.raw.orders")
    assert {n["id"] for n in graph["nodes"] if n["kind"] == "step"} == {
        "step:load/extract", "step:report/totals",
    }  # fmt: skip
    everything = lineage_graph(store)
    assert "step:other/x" in {n["id"] for n in everything["nodes"]}
    with pytest.raises(NotFoundError, match="no step recorded dataset 'nope'"):
        lineage_graph(store, dataset="nope")
    with pytest.raises(NotFoundError, match="no pipeline named 'nope'"):
        lineage_graph(store, pipeline="nope")


def test_jupyter_orch_lineage(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        orch = Orchestrator(store, tmp_path / "runs")
        orch.register(load_pipeline(pipeline(tmp_path, "load", ["extract"])))
        ran(store, "load", {"extract": {"inputs": ["api.orders"], "outputs": ["wh.raw"]}}, 0)
    finally:
        store.close()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command(tmp_path, "lineage", *args), capture_output=True, text=True)

    shown = cli("load")
    assert shown.returncode == 0 and "load / extract\n  reads  api.orders" in shown.stdout
    by_dataset = json.loads(cli("wh.raw", "--json").stdout)
    assert ("step:load/extract", "writes", "dataset:wh.raw") in edges(by_dataset)
    missing = cli("nothing.here")
    assert missing.returncode == 2 and "no step recorded dataset 'nothing.here'" in missing.stderr


async def test_the_lineage_route(jp_fetch: Any, project: Path) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, graph = await call(jp_fetch, "GET", "lineage", params={"pipeline": "hello"})
    assert code == 200 and graph == {"nodes": [], "edges": []}
    code, answer = await call(jp_fetch, "GET", "lineage", params={"pipeline": "nope"})
    assert code == 404 and "no pipeline named 'nope'" in answer["error"]
    code, answer = await call(jp_fetch, "GET", "lineage", params={"dataset": "x" * 1001})
    assert code == 400


def test_the_items_of_a_for_each_step_are_one_step_with_every_items_datasets(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    orch.register(load_pipeline(pipeline(tmp_path, "fan", ["each"])))
    run = store.create_run(
        pipeline="fan",
        version=store.get_version("fan").version,
        trigger=Trigger.MANUAL,
        parameters={},
        steps=[("each", [])],
        runs_dir="/tmp/runs",
    )
    store.add_items(run.id, "each", ["emea", "apac"])
    at = utcnow()
    for index, region in enumerate(["emea", "apac"]):
        found = {"inputs": ["wh.sales"], "outputs": [f"wh.report_{region}"]}
        attempt = AttemptRecord(1, AttemptStatus.SUCCEEDED, at, at, lineage=found)
        store.save_attempt(run.id, f"each[{index}]", attempt)

    graph = lineage_graph(store, pipeline="fan")
    steps = [n["id"] for n in graph["nodes"] if n["id"].startswith("step:")]
    assert steps == ["step:fan/each"]
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    assert edges == {
        ("dataset:wh.sales", "step:fan/each"),
        ("step:fan/each", "dataset:wh.report_emea"),
        ("step:fan/each", "dataset:wh.report_apac"),
    }
