"""Backfills through the REST API of a real server whose scheduler runs them: what a backfill
would make before it starts, its runs processing their own slots, its progress, the listing,
cancel, and the requests refused with the field they name."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .conftest import write_notebook
from .orch_server import call

pytestmark = pytest.mark.slow

DAILY = """\
name: daily
schedule: {cron: "0 6 * * *", timezone: America/New_York}
steps:
  - name: load
    notebook: load.ipynb
    parameters: {day: "{{ run.scheduled_for }}"}
"""


@pytest.fixture
def daily(jp_fetch: Any, jp_root_dir: Path, started: Any, jp_asyncio_loop: Any) -> str:
    write_notebook(
        jp_root_dir / "load.ipynb",
        "day = None",
        "import jupyter_orch\njupyter_orch.record('day', day)",
    )
    (jp_root_dir / "daily.yaml").write_text(DAILY)
    code, answer = jp_asyncio_loop.run_until_complete(
        call(jp_fetch, "POST", "pipelines", body={"path": "daily.yaml"})
    )
    assert code == 201, answer
    return "daily"


async def poll_backfill(jp_fetch: Any, backfill_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        code, backfill = await call(jp_fetch, "GET", "backfills", backfill_id)
        assert code == 200
        if backfill["status"] != "running":
            return dict(backfill)
        assert asyncio.get_running_loop().time() < deadline, backfill
        await asyncio.sleep(0.2)


async def test_a_backfill_says_what_it_will_make_then_makes_it(jp_fetch: Any, daily: str) -> None:
    body = {"from": "2024-11-02", "to": "2024-11-04", "max_parallel": 2}
    code, preview = await call(
        jp_fetch, "POST", "pipelines", daily, "backfills", body={**body, "dry_run": True}
    )
    assert code == 200, preview
    assert (preview["runs"], preview["skipped"], preview["timezone"]) == (3, 0, "America/New_York")
    # 06:00 in New York: EDT until 3 November, EST after
    assert (preview["first_slot"], preview["last_slot"]) == (
        "2024-11-02T10:00:00+00:00",
        "2024-11-04T11:00:00+00:00",
    )
    code, listing = await call(jp_fetch, "GET", "backfills")
    assert listing == {"backfills": []}  # a dry run writes nothing

    code, backfill = await call(jp_fetch, "POST", "pipelines", daily, "backfills", body=body)
    assert code == 201, backfill
    assert backfill["id"].startswith("bf-") and backfill["runs"]["total"] == 3
    done = await poll_backfill(jp_fetch, backfill["id"])
    assert done["status"] == "succeeded", done
    assert done["runs"] | {"total": 3} == {
        "total": 3,
        "succeeded": 3,
        "failed": 0,
        "cancelled": 0,
        "running": 0,
        "queued": 0,
        "left": 0,
    }
    code, page = await call(jp_fetch, "GET", "runs", params={"pipeline": daily})
    runs = sorted(page["runs"], key=lambda r: r["number"])
    assert [r["trigger"] for r in runs] == ["backfill"] * 3
    assert {r["backfill_id"] for r in runs} == {backfill["id"]}
    for run in runs:
        code, detail = await call(jp_fetch, "GET", "runs", run["id"])
        recorded = detail["steps"][0]["attempts"][-1]["outputs"]["day"]
        assert recorded == run["scheduled_for"]  # each run processed its own slot

    code, again = await call(
        jp_fetch, "POST", "pipelines", daily, "backfills", body={**body, "dry_run": True}
    )
    assert (again["runs"], again["skipped"]) == (0, 3)
    code, listing = await call(jp_fetch, "GET", "backfills", params={"pipeline": daily})
    assert [b["id"] for b in listing["backfills"]] == [backfill["id"]]


async def test_cancel_and_refusals(jp_fetch: Any, daily: str) -> None:
    body = {"from": "2024-01-01", "to": "2024-01-31"}
    code, backfill = await call(jp_fetch, "POST", "pipelines", daily, "backfills", body=body)
    assert code == 201
    code, overlapping = await call(jp_fetch, "POST", "pipelines", daily, "backfills", body=body)
    assert code == 409 and backfill["id"] in overlapping["error"]
    code, cancelled = await call(jp_fetch, "POST", "backfills", backfill["id"], "cancel")
    assert code == 200 and cancelled["status"] == "cancelled"
    assert cancelled["runs"]["left"] > 20  # most slots were never queued
    code, running = await call(jp_fetch, "GET", "backfills", params={"status": "running"})
    assert running == {"backfills": []}

    cases = [
        ({"from": "2024-02-05", "to": "2024-02-01"}, "--to"),
        ({"from": "soon", "to": "2024-02-01"}, "--from"),
        ({"from": "2024-02-01"}, "to"),
        ({"from": "2024-02-01", "to": "2024-02-02", "max_parallel": 0}, "max_parallel"),
        ({"from": "2024-02-01", "to": "2024-02-02", "when": 1}, "when"),
    ]
    for bad, field in cases:
        code, answer = await call(jp_fetch, "POST", "pipelines", daily, "backfills", body=bad)
        assert code == 400 and answer["error"].startswith(f"{field}: "), (bad, answer)
    code, answer = await call(jp_fetch, "POST", "pipelines", "nope", "backfills", body=body)
    assert code == 404
    for path in (("backfills", "bf-01NOPE"), ("backfills", "bf-01NOPE", "cancel")):
        method = "POST" if path[-1] == "cancel" else "GET"
        code, answer = await call(jp_fetch, method, *path)
        assert code == 404 and "bf-01NOPE" in answer["error"]
    code, answer = await call(jp_fetch, "GET", "backfills", params={"status": "done"})
    assert code == 400 and answer["error"].startswith("status: ")


async def test_archiving_the_pipeline_cancels_its_running_backfill(
    jp_fetch: Any, daily: str
) -> None:
    body = {"from": "2024-03-01", "to": "2024-03-31"}
    code, backfill = await call(jp_fetch, "POST", "pipelines", daily, "backfills", body=body)
    assert code == 201
    code, _ = await call(jp_fetch, "PATCH", "pipelines", daily, body={"archived": True})
    assert code == 200
    code, now = await call(jp_fetch, "GET", "backfills", backfill["id"])
    assert now["status"] == "cancelled" and now["runs"]["left"] > 20
    code, _ = await call(jp_fetch, "PATCH", "pipelines", daily, body={"archived": False})
    code, again = await call(jp_fetch, "GET", "backfills", backfill["id"])
    assert code == 200 and again["status"] == "cancelled"
