"""``GET /orch/health``: "Jobs not running on schedule" when pipelines are applied and no
scheduler has beaten for a minute (issue 16 item 7). The store with an injected clock on SQLite
and PostgreSQL, then the route on a real server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.health import health
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .orch_server import call
from .test_coordination import T0, applied, hourly


def test_applied_pipelines_without_a_live_scheduler_are_a_problem(
    tmp_path: Path, any_store: Store
) -> None:
    orch = Orchestrator(any_store, runs_dir=tmp_path / "runs")
    assert health(any_store, T0) == {
        "status": "ok", "schedulers": [], "applied_pipelines": 0, "problems": [],
    }  # fmt: skip
    name = applied(orch, tmp_path, hourly())
    (problem,) = health(any_store, T0)["problems"]
    assert problem["code"] == "no_scheduler" and problem["pipelines"] == [name]
    assert problem["message"].startswith("Jobs not running on schedule: 1 applied pipeline but")
    assert "jupyter orch scheduler" in problem["message"]

    any_store.register_instance("scheduler", T0)
    answer = health(any_store, T0 + timedelta(seconds=30))
    assert answer["status"] == "ok" and [s["kind"] for s in answer["schedulers"]] == ["scheduler"]
    assert health(any_store, T0 + timedelta(seconds=61))["status"] == "degraded"  # silent

    orch.pause(name)  # nothing should fire: nothing is late
    assert health(any_store, T0 + timedelta(seconds=61))["status"] == "ok"


@pytest.mark.slow
async def test_the_health_route_sees_the_servers_own_scheduler(
    jp_fetch: Any, project: Path
) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, answer = await call(jp_fetch, "GET", "health")
    assert code == 200 and answer["status"] == "ok", answer
    assert answer["applied_pipelines"] == 1
    assert [s["kind"] for s in answer["schedulers"]] == ["server"]
