"""A pipeline's stats against figures computed by hand: durations (median, nearest-rank p95),
peak memory (median, max), failure rates, the slowest step and the runs before; then the same
through `jupyter orch stats --json` on runs the coordinator recorded."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jupyter_orch.records import (
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    Trigger,
)
from jupyter_orch.stats import figures, percentile, pipeline_stats
from jupyter_orch.store.repository import Store

from .fakes import FAILS, FakeClock, FakeExecutor, Script
from .helpers import orch
from .orch_server import call
from .test_coordinator import execute, new_run

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
MB = 10**6


def attempt(start: float, seconds: float, peak_mb: int | None, ok: bool = True) -> AttemptRecord:
    return AttemptRecord(
        number=1,
        status=AttemptStatus.SUCCEEDED if ok else AttemptStatus.FAILED,
        started_at=T0 + timedelta(seconds=start),
        ended_at=T0 + timedelta(seconds=start + seconds),
        resources=None
        if peak_mb is None
        else {"peak_memory_bytes": peak_mb * MB, "cpu_seconds": 1},
    )


def run(
    index: int, status: RunStatus, load: tuple[float, int], report: tuple[float, int] | None
) -> RunRecord:
    """A run of two steps: ``load`` (seconds, peak MB), then ``report`` (or skipped)."""
    start = index * 1000.0
    steps = [
        StepRecord(
            "load",
            (),
            StepStatus.SUCCEEDED if report or status is RunStatus.SUCCEEDED else StepStatus.FAILED,
            (attempt(start, load[0], load[1], ok=report is not None),),
        )
    ]
    end = start + load[0]
    if report is not None:
        steps.append(
            StepRecord(
                "report", ("load",), StepStatus.SUCCEEDED, (attempt(end, report[0], report[1]),)
            )
        )
        end += report[0]
    else:
        steps.append(StepRecord("report", ("load",), StepStatus.UPSTREAM_FAILED))
    return RunRecord(
        id=f"run{index:02d}",
        pipeline="p",
        version=1,
        status=status,
        trigger=Trigger.SCHEDULE,
        parameters={},
        run_dir="/tmp",
        created_at=T0 + timedelta(seconds=start),
        started_at=T0 + timedelta(seconds=start),
        ended_at=T0 + timedelta(seconds=end),
        steps=tuple(steps),
    )


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.95) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([float(v) for v in range(1, 21)], 0.95) == 19.0  # ceil(0.95*20) = 19th
    assert percentile([float(v) for v in range(1, 101)], 0.5) == 50.0


def test_stats_match_figures_computed_by_hand() -> None:
    ok, failed = RunStatus.SUCCEEDED, RunStatus.FAILED
    newest_first = [
        # the last 4: durations 12, 14, 20 (a failed load), 30; peaks (max of steps) 300, 120, 90, 500
        run(9, ok, (10, 100), (20, 500)),
        run(8, failed, (20, 90), None),
        run(7, ok, (4, 120), (10, 80)),
        run(6, ok, (2, 300), (10, 50)),
        # the 4 before: all fast, none failed
        run(5, ok, (1, 100), (1, 100)),
        run(4, ok, (1, 100), (1, 100)),
        run(3, ok, (1, 100), (1, 100)),
        run(2, ok, (1, 100), (1, 100)),
        # older still: not counted
        run(1, failed, (99, 999), None),
    ]
    stats = pipeline_stats("p", newest_first, 4)

    assert stats["runs"] == 4
    assert stats["duration_s"] == {"median": 17.0, "p95": 30.0}  # of 12, 14, 20, 30
    assert stats["peak_memory_bytes"] == {"median": 210 * MB, "max": 500 * MB}
    assert stats["failure_rate"] == 0.25
    assert stats["slowest_step"] == "report"  # medians: load 7.0 (2, 4, 10, 20); report 10.0
    load, report = stats["steps"]
    assert load["duration_s"] == {"median": 7.0, "p95": 20.0}
    assert load["failure_rate"] == 0.25 and load["count"] == 4
    assert report["count"] == 3 and report["failure_rate"] == 0.0
    assert report["peak_memory_bytes"] == {"median": 80 * MB, "max": 500 * MB}
    before = stats["previous"]
    assert before["runs"] == 4 and before["duration_s"] == {"median": 2.0, "p95": 2.0}
    assert before["failure_rate"] == 0.0
    assert stats["from"] == (T0 + timedelta(seconds=6000)).isoformat()


def test_the_cli_prints_stats_of_recorded_runs(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")  # where `orch(...)` looks
    steps = "- {name: a, notebook: nb.ipynb}\n- {name: b, notebook: nb.ipynb, needs: [a]}"
    for scripts in (
        {"a": [Script(seconds=2)], "b": [Script(seconds=6)]},
        {"a": [Script(seconds=4)], "b": [Script(seconds=8)]},
        {"a": [FAILS]},
    ):
        loaded, created = new_run(tmp_path, store, steps)
        clock = FakeClock()
        execute(store, loaded, created, FakeExecutor(scripts, clock=clock), clock)
    store.close()

    done = orch(tmp_path, "stats", "coordinated", "--last", "3", "--json")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["runs"] == 3 and round(stats["failure_rate"], 2) == 0.33
    b = next(s for s in stats["steps"] if s["name"] == "b")
    assert b["duration_s"] == {"median": 7.0, "p95": 8.0} and stats["slowest_step"] == "b"
    table = orch(tmp_path, "stats", "coordinated")
    assert "b (slowest)" in table.stdout
    unknown = orch(tmp_path, "stats", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr


async def test_the_rest_api_answers_stats(jp_fetch: Any, project: Path) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, stats = await call(jp_fetch, "GET", "pipelines", "hello", "stats", params={"last": 5})
    assert code == 200, stats
    assert (stats["pipeline"], stats["last"], stats["runs"], stats["previous"]["runs"]) == (
        "hello", 5, 0, 0
    )  # fmt: skip
    code, _ = await call(jp_fetch, "GET", "pipelines", "nope", "stats")
    assert code == 404
    code, problem = await call(jp_fetch, "GET", "pipelines", "hello", "stats", params={"last": 0})
    assert code == 400 and "last" in problem["error"]


def test_a_for_each_steps_figures_span_its_items_which_are_not_steps_of_their_own() -> None:
    items = [
        StepRecord(
            f"each[{i}]",
            (),
            StepStatus.SUCCEEDED,
            (attempt(10.0 + i, 5.0, 40 + i),),
            parent="each",
            item_index=i,
            item=i,
        )
        for i in range(3)
    ]
    record = RunRecord(
        "r1",
        "p",
        1,
        RunStatus.SUCCEEDED,
        Trigger.MANUAL,
        {},
        "/r",
        T0,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=20),
        steps=(StepRecord("each", (), StepStatus.SUCCEEDED), *items),
    )
    found = figures([record])
    assert [s["name"] for s in found["steps"]] == ["each"]
    each = found["steps"][0]
    assert each["duration_s"]["median"] == 7.0  # from 10 s to 17 s
    assert each["peak_memory_bytes"]["max"] == 42 * MB
