"""The lineage graph: datasets and the steps that read and write them, across pipelines, from
what the recent runs' attempts recorded (``AttemptRecord.lineage``). For
``jupyter orch lineage`` and ``GET /orch/lineage``; names as the attempts recorded them (already
masked), each dataset with the last run that wrote it.

Each step counts with its latest attempt that recorded lineage among the pipeline's last
``RECENT_RUNS`` runs (a step that no longer reads a table stops showing it once it has run
again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import NotFoundError
from .records import RunRecord, iso
from .store.base import RunQueries, ScheduleState

#: How many of each pipeline's runs, newest first, the graph reads.
RECENT_RUNS = 20


@dataclass
class _Step:
    pipeline: str
    step: str
    run: RunRecord
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"step:{self.pipeline}/{self.step}"


class LineageStore(RunQueries, ScheduleState):
    """What the graph reads."""


def _latest_steps(store: LineageStore, pipeline: str) -> list[_Step]:
    found: dict[str, _Step] = {}
    for run in store.list_runs(pipeline=pipeline, limit=RECENT_RUNS):  # newest first
        for record in run.steps:
            name = record.parent or record.name  # a for-each step's items are that step
            seen = found.get(name)
            if seen is not None and (seen.run is not run or record.parent is None):
                continue
            for attempt in reversed(record.attempts):
                if attempt.lineage:
                    inputs = list(attempt.lineage.get("inputs") or [])
                    outputs = list(attempt.lineage.get("outputs") or [])
                    if seen is not None:  # another item of the same run: its datasets too
                        inputs, outputs = _more(seen.reads, inputs), _more(seen.writes, outputs)
                    found[name] = _Step(pipeline, name, run, inputs, outputs)
                    break
    return list(found.values())


def _more(known: list[Any], more: list[Any]) -> list[Any]:
    return known + [entry for entry in more if entry not in known]


def _written_at(step: _Step) -> dict[str, Any]:
    last = step.run.step(step.step).last_attempt
    return {
        "pipeline": step.pipeline,
        "step": step.step,
        "run_id": step.run.id,
        "run_number": step.run.number,
        "at": iso((last.ended_at if last else None) or step.run.ended_at),
    }


def lineage_graph(
    store: LineageStore, *, pipeline: str | None = None, dataset: str | None = None
) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...]}``: every step that recorded lineage and its datasets;
    with ``pipeline``, that pipeline's steps and the other pipelines' steps that write what it
    reads or read what it writes; with ``dataset``, the steps that read or write it and their
    datasets. NotFoundError for an unknown pipeline, or a dataset no step recorded."""
    names = [state.name for state in store.pipeline_states(history=False)]
    if pipeline is not None and pipeline not in names:
        raise NotFoundError(f"no pipeline named {pipeline!r}")
    steps = [step for name in names for step in _latest_steps(store, name)]
    chosen = steps
    if pipeline is not None:
        own = [s for s in steps if s.pipeline == pipeline]
        reads = {d for s in own for d in s.reads}
        writes = {d for s in own for d in s.writes}
        chosen = own + [
            s
            for s in steps
            if s.pipeline != pipeline and (writes & set(s.reads) or reads & set(s.writes))
        ]
    if dataset is not None:
        chosen = [s for s in chosen if dataset in s.reads or dataset in s.writes]
        if not chosen:
            raise NotFoundError(f"no step recorded dataset {dataset!r}")
    writers: dict[str, _Step] = {}
    for step in steps:  # the last run that wrote each dataset, whatever is shown
        for name in step.writes:
            known = writers.get(name)
            if known is None or _ended(step) > _ended(known):
                writers[name] = step
    datasets: dict[str, None] = {}
    edges = []
    for step in chosen:
        for name in step.reads:
            datasets[name] = None
            edges.append({"from": f"dataset:{name}", "to": step.id, "kind": "reads"})
        for name in step.writes:
            datasets[name] = None
            edges.append({"from": step.id, "to": f"dataset:{name}", "kind": "writes"})
    nodes: list[dict[str, Any]] = [
        {"id": s.id, "kind": "step", "pipeline": s.pipeline, "step": s.step} for s in chosen
    ]
    nodes += [
        {
            "id": f"dataset:{name}",
            "kind": "dataset",
            "name": name,
            "last_written": _written_at(writers[name]) if name in writers else None,
        }
        for name in datasets
    ]
    return {"nodes": nodes, "edges": edges}


def _ended(step: _Step) -> str:
    return iso(step.run.ended_at or step.run.created_at) or ""


def lineage_text(graph: dict[str, Any]) -> str:
    """``jupyter orch lineage``: each step with what it reads and writes, then each dataset
    with who writes and reads it and the last run that wrote it."""
    by_id = {node["id"]: node for node in graph["nodes"]}
    lines = []
    for node in graph["nodes"]:
        if node["kind"] != "step":
            continue
        reads = [by_id[e["from"]]["name"] for e in graph["edges"] if e["to"] == node["id"]]
        writes = [by_id[e["to"]]["name"] for e in graph["edges"] if e["from"] == node["id"]]
        lines.append(f"{node['pipeline']} / {node['step']}")
        lines += [f"  reads  {name}" for name in reads]
        lines += [f"  writes {name}" for name in writes]
    for node in graph["nodes"]:
        if node["kind"] != "dataset":
            continue
        last = node["last_written"]
        if last is not None:
            number = f"#{last['run_number']}" if last["run_number"] else last["run_id"]
            lines.append(
                f"{node['name']}: last written by {last['pipeline']} / {last['step']} "
                f"(run {number}, {last['at']})"
            )
    return "\n".join(lines) + "\n" if lines else "no step has recorded lineage yet\n"
