"""The routes behind "Schedule this notebook", through a real Jupyter Server: the cron preview, a
parameters cell, and the one-step pipeline written beside the notebook (run with a real kernel)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.scheduling.schedules import CronSchedule

from .conftest import write_notebook
from .orch_server import PIPELINE, call, poll_run

pytestmark = pytest.mark.slow


TYPED = """\
count = 3  # how many rows
ratio = 0.5
region = 'emea'
tags = ['a', 'b']
options = {'deep': True}
verbose = False
limit = None
today = date.today()
"""

REPORT = "Daily Report (v2).ipynb"
REPORT_YAML = """\
# Created by "Schedule this notebook" in JupyterLab. Edit it freely: scheduling the
# notebook again changes only its schedule, parameters, retries and timeout.
name: daily-report-v2
description: Runs Daily Report (v2).ipynb on a schedule
parameters:
  region: apac
  tags:
    - x
schedule:
  cron: 0 9 * * *
  timezone: Europe/Berlin
steps:
  - name: daily_report_v2
    notebook: Daily Report (v2).ipynb
    retries: 2
    timeout: 30m
"""


@pytest.fixture
def reports(project: Path) -> Path:
    folder = project / "reports"
    write_notebook(
        folder / REPORT,
        "region = 'emea'\ntags = []\n",
        "import jupyter_orch\njupyter_orch.record('summary', f'{region}:{len(tags)}')",
    )
    return folder


def schedule_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "path": f"project/reports/{REPORT}",
        "schedule": {"cron": "0 9 * * *", "timezone": "Europe/Berlin"},
        "parameters": {"region": "apac", "tags": ["x"]},
        "retries": 2,
        "timeout": "30m",
    }
    body.update(changes)
    return body


def fields(answer: dict[str, Any]) -> set[str]:
    return {detail["field"] for detail in answer["details"]}


# --- GET /orch/schedules/preview ------------------------------------------------------------


async def test_preview_is_the_schedulers_own_arithmetic(jp_fetch: Any, started: Any) -> None:
    query = {"cron": "0 2 * * *", "timezone": "America/New_York", "count": "7"}
    before = datetime.now(timezone.utc)
    code, preview = await call(jp_fetch, "GET", "schedules", "preview", params=query)
    after = datetime.now(timezone.utc)
    assert code == 200, preview
    schedule = CronSchedule("0 2 * * *", "America/New_York")
    # a slot could pass while the request is in flight: either reading of "now" is right
    expected = [
        [slot.isoformat() for slot in schedule.upcoming(moment, 7)] for moment in (before, after)
    ]
    assert preview["next"] in expected
    assert preview["description"] == "every day at 02:00 (America/New_York)"
    assert preview["cron"] == "0 2 * * *" and preview["timezone"] == "America/New_York"
    for utc, local in zip(preview["next"], preview["next_local"], strict=True):
        assert datetime.fromisoformat(local) == datetime.fromisoformat(utc)
        assert datetime.fromisoformat(local).utcoffset() in (
            timedelta(hours=-5),
            timedelta(hours=-4),
        )

    code, preview = await call(jp_fetch, "GET", "schedules", "preview", params={"cron": "@daily"})
    assert code == 200 and preview["timezone"] == "UTC" and len(preview["next"]) == 5


async def test_preview_across_the_spring_forward_gap(jp_fetch: Any, started: Any) -> None:
    """02:00 does not exist in New York on 2026-03-08: that day fires at the change (03:00)."""
    query = {
        "cron": "0 2 * * *",
        "timezone": "America/New_York",
        "count": "3",
        "after": "2026-03-06T12:00:00Z",
    }
    code, preview = await call(jp_fetch, "GET", "schedules", "preview", params=query)
    assert code == 200, preview
    assert preview["next"] == [
        "2026-03-07T07:00:00+00:00",
        "2026-03-08T07:00:00+00:00",
        "2026-03-09T06:00:00+00:00",
    ]
    assert preview["next_local"] == [
        "2026-03-07T02:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:00:00-04:00",
    ]
    start = datetime(2026, 3, 6, 12, tzinfo=timezone.utc)
    expected = CronSchedule("0 2 * * *", "America/New_York").upcoming(start, 3)
    assert preview["next"] == [slot.isoformat() for slot in expected]


BAD_PREVIEWS = [
    ({"cron": "61 * * * *"}, {"cron"}),
    ({"cron": "0 9 * *"}, {"cron"}),
    ({"cron": ""}, {"cron"}),
    ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, {"timezone"}),
    ({"cron": "nope", "timezone": "localtime"}, {"cron", "timezone"}),
    ({"cron": "0 9 * * *", "count": "0"}, {"count"}),
    ({"cron": "0 9 * * *", "count": "51"}, {"count"}),
    ({"cron": "0 9 * * *", "count": "many"}, {"count"}),
    ({"cron": "0 9 * * *", "after": "yesterday"}, {"after"}),
    ({"cron": "0 9 * * *", "after": "2026-03-08T00:00:00"}, {"after"}),  # no offset
    ({"cron": "0 9 * * *", "after": "9999-12-31T23:00:00Z"}, {"after"}),
]


async def test_preview_of_a_bad_cron_or_zone_is_400_naming_the_field(
    jp_fetch: Any, started: Any
) -> None:
    for query, bad in BAD_PREVIEWS:
        code, answer = await call(jp_fetch, "GET", "schedules", "preview", params=query)
        assert code == 400, (query, answer)
        assert fields(answer) == bad, query
        assert all(detail["message"] for detail in answer["details"])


# --- GET /orch/notebooks/parameters ---------------------------------------------------------


async def test_parameters_with_typed_defaults(jp_fetch: Any, project: Path) -> None:
    write_notebook(project / "typed.ipynb", TYPED, "print(count)")
    code, answer = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "project/typed.ipynb"}
    )
    assert code == 200, answer
    assert answer["path"] == "project/typed.ipynb" and answer["kernel"] == "python3"
    assert answer["has_parameters_cell"] is True
    found = {p["name"]: p for p in answer["parameters"]}
    assert list(found) == [
        "count",
        "ratio",
        "region",
        "tags",
        "options",
        "verbose",
        "limit",
        "today",
    ]
    assert {name: (p["default"], p["inferred_type"]) for name, p in found.items()} == {
        "count": (3, "int"),
        "ratio": (0.5, "float"),
        "region": ("emea", "str"),
        "tags": (["a", "b"], "list"),
        "options": ({"deep": True}, "dict"),
        "verbose": (False, "bool"),
        "limit": (None, "None"),
        "today": (None, None),  # not a literal: only its text is known
    }
    assert found["count"]["help"] == "how many rows"
    assert found["region"]["default_source"] == "'emea'"
    assert found["today"]["default_source"] == "date.today()"


async def test_a_notebook_without_a_parameters_cell(jp_fetch: Any, project: Path) -> None:
    write_notebook(project / "plain.ipynb", None, "x = 1")
    code, answer = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "project/plain.ipynb"}
    )
    assert code == 200, answer
    assert answer["parameters"] == [] and answer["has_parameters_cell"] is False


async def test_parameters_of_missing_wrong_or_corrupt_files(jp_fetch: Any, project: Path) -> None:
    (project / "broken.ipynb").write_text('{"cells": [')
    cases = {
        "project/nothing.ipynb": 404,
        "project/pipeline.yaml": 400,
        "project/broken.ipynb": 400,
        "": 400,
    }
    for path, status in cases.items():
        code, answer = await call(jp_fetch, "GET", "notebooks", "parameters", params={"path": path})
        assert code == status, (path, answer)
    code, answer = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "project/broken.ipynb"}
    )
    assert answer["details"] == [
        {"field": "path", "message": answer["error"].removeprefix("path: ")}
    ]
    assert "project/broken.ipynb is not valid JSON" in answer["error"]
    assert str(project) not in answer["error"]  # no server paths in answers


@pytest.mark.parametrize("path", ["../x.ipynb", "/etc/passwd", "%2e%2e/x.ipynb"])
async def test_paths_leaving_the_root_are_refused(
    jp_fetch: Any, project: Path, jp_root_dir: Path, path: str
) -> None:
    write_notebook(jp_root_dir.parent / "x.ipynb", "a = 1")
    code, answer = await call(jp_fetch, "GET", "notebooks", "parameters", params={"path": path})
    assert code == 400, answer
    assert fields(answer) == {"path"}
    code, answer = await call(
        jp_fetch, "POST", "notebooks", "schedule", body={"path": path, "schedule": "@daily"}
    )
    assert code == 400, answer
    assert fields(answer) == {"path"}
    assert not (jp_root_dir.parent / "x.pipeline.yaml").exists()


# --- POST /orch/notebooks/schedule ----------------------------------------------------------


async def test_schedule_a_notebook_then_run_it_now(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    code, pipeline = await call(
        jp_fetch, "POST", "notebooks", "schedule", body=schedule_body(run_now=True)
    )
    assert code == 201, pipeline
    written = reports / "Daily Report (v2).pipeline.yaml"
    assert written.read_text() == REPORT_YAML
    assert pipeline["name"] == "daily-report-v2" and pipeline["version"] == 1
    assert pipeline["path"] == "project/reports/Daily Report (v2).pipeline.yaml"
    assert pipeline["notebook"] == f"project/reports/{REPORT}" and pipeline["created"] is True
    assert pipeline["parameters"] == {"region": "apac", "tags": ["x"]}
    step = pipeline["steps"][0]
    assert (step["name"], step["notebook"], step["retries"]) == ("daily_report_v2", REPORT, 2)
    assert step["timeout"] == 1800

    code, listing = await call(jp_fetch, "GET", "pipelines")
    (listed,) = listing["pipelines"]
    assert listed["name"] == "daily-report-v2" and listed["active"] is True
    assert listed["schedule"]["description"] == "every day at 09:00 (Europe/Berlin)"
    assert listed["next_run_at"] is not None

    run = pipeline["run"]
    assert run["pipeline"] == "daily-report-v2" and run["trigger"] == "manual"
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "succeeded", done
    assert done["steps"][0]["attempts"][0]["outputs"] == {"summary": "apac:1"}


async def test_scheduling_again_updates_the_file_and_keeps_edits(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    code, _ = await call(jp_fetch, "POST", "notebooks", "schedule", body=schedule_body())
    written = reports / "Daily Report (v2).pipeline.yaml"
    edited = written.read_text().replace("steps:", "limits:\n  max_duration: 2h  # mine\nsteps:")
    written.write_text(edited)
    body = schedule_body(schedule="30 6 * * 1-5", parameters={"region": "us"}, retries=None)
    code, pipeline = await call(jp_fetch, "POST", "notebooks", "schedule", body=body)
    assert code == 201, pipeline
    assert pipeline["version"] == 2 and pipeline["created"] is False
    assert pipeline["parameters"] == {"region": "us"}
    assert "retries" not in pipeline["steps"][0]
    assert pipeline["schedule"]["timezone"] == "UTC"  # the server's default, written out
    text = written.read_text()
    assert "max_duration: 2h  # mine" in text and text.startswith("# Created by")
    assert "cron: 30 6 * * 1-5\n  timezone: UTC\n" in text and "tags" not in text
    code, versions = await call(jp_fetch, "GET", "pipelines", "daily-report-v2", "versions")
    assert [v["version"] for v in versions["versions"]] == [2, 1]


async def test_once_saves_no_schedule_and_runs_now_and_unschedules_a_scheduled_one(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    """``schedule: null`` ("Once (run now)" in the dialog): the file has no schedule, the run
    starts, and a notebook scheduled before loses its schedule, in one request."""
    code, _ = await call(jp_fetch, "POST", "notebooks", "schedule", body=schedule_body())
    assert code == 201
    body = schedule_body(schedule=None, run_now=True)
    code, pipeline = await call(jp_fetch, "POST", "notebooks", "schedule", body=body)
    assert code == 201, pipeline
    assert pipeline["schedule"] is None and pipeline["next_run_at"] is None
    assert pipeline["version"] == 2 and pipeline["run"]["trigger"] == "manual"
    text = (reports / "Daily Report (v2).pipeline.yaml").read_text()
    assert "\nschedule:" not in text and "retries: 2" in text
    done = await poll_run(jp_fetch, pipeline["run"]["id"])
    assert done["status"] == "succeeded", done

    fresh = f"project/reports/{REPORT}".replace("Daily Report (v2)", "Weekly")
    (reports / "Weekly.ipynb").write_text((reports / REPORT).read_text())
    body = schedule_body(path=fresh, schedule=None, parameters={})
    code, pipeline = await call(jp_fetch, "POST", "notebooks", "schedule", body=body)
    assert code == 201 and pipeline["schedule"] is None and "run" not in pipeline
    assert pipeline["description"] == "Runs Weekly.ipynb when asked"


async def test_another_file_at_that_path_is_never_overwritten(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    written = reports / "Daily Report (v2).pipeline.yaml"
    others = {
        "another pipeline": PIPELINE.replace("greet.ipynb", "../greet.ipynb"),
        "same name, another notebook": "name: daily-report-v2\nsteps:\n"
        "  - {name: greet, notebook: ../greet.ipynb}\n",
        "not YAML": "name: [daily",
    }
    for case, text in others.items():
        written.write_text(text)
        code, answer = await call(jp_fetch, "POST", "notebooks", "schedule", body=schedule_body())
        assert code == 409, (case, answer)
        assert "Daily Report (v2).pipeline.yaml exists" in answer["error"]
        assert written.read_text() == text, case
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert listing["pipelines"] == []


async def test_a_name_taken_by_another_file_is_409_before_writing(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    taken = PIPELINE.replace("name: hello", "name: daily-report-v2")
    code, _ = await call(
        jp_fetch, "POST", "pipelines", body={"yaml": taken, "path": "project/taken.yaml"}
    )
    assert code == 201
    code, answer = await call(jp_fetch, "POST", "notebooks", "schedule", body=schedule_body())
    assert code == 409, answer
    assert answer["error"].startswith("name: ") and "project/taken.yaml" in answer["error"]
    assert not (reports / "Daily Report (v2).pipeline.yaml").exists()
    code, pipeline = await call(
        jp_fetch, "POST", "notebooks", "schedule", body=schedule_body(name="daily-apac")
    )
    assert code == 201 and pipeline["name"] == "daily-apac", pipeline


BAD_REQUESTS = [
    ({"parameters": {"region": "x", "regoin": 1, "zz": 2}}, {"parameters"}, "'regoin', 'zz'"),
    ({"schedule": "61 9 * * *"}, {"schedule.cron"}, "minute 61 is out of range"),
    ({"schedule": {"cron": "0 9 * * *", "timezone": "Nowhere/City"}}, {"schedule.timezone"}, "Nowhere/City"),
    ({"schedule": {"cron": "0 9 * * *", "every": 2}}, {"schedule.every"}, "every"),
    ({"schedule": 9}, {"schedule"}, "give a cron"),  # null is "once": no schedule
    ({"timeout": "soon"}, {"timeout"}, "soon"),
    # json.dumps writes these as the literals Infinity and NaN, which are not JSON
    ({"timeout": 1e999}, {"timeout"}, "NaN and Infinity are not JSON values; give a finite number"),
    ({"parameters": {"region": float("nan")}}, {"parameters.region"}, "NaN and Infinity are not JSON values; give a finite number"),
    ({"parameters": {"region": "x" * 70_000}}, {"parameters"}, "the largest is 'region'"),
    ({"name": "validate"}, {"name"}, "a word the REST routes use"),
    ({"name": "n" * 101}, {"name"}, "is 101 characters long"),
    ({"retries": -1}, {"retries"}, "0"),
    ({"name": "Not A Name"}, {"name"}, "Not A Name"),
    ({"colour": "blue"}, {"colour"}, "colour"),
    ({"schedule": "nope", "timeout": "0s"}, {"schedule.cron", "timeout"}, "nope"),
]  # fmt: skip


async def test_a_bad_request_is_400_and_writes_nothing(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    for changes, bad, words in BAD_REQUESTS:
        code, answer = await call(
            jp_fetch, "POST", "notebooks", "schedule", body=schedule_body(**changes)
        )
        assert code == 400, (changes, answer)
        assert fields(answer) == bad, changes
        assert words in json.dumps(answer), changes
    assert sorted(p.name for p in reports.iterdir()) == [REPORT]
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert listing["pipelines"] == []


async def test_notebook_routes_need_credentials(jp_fetch: Any, project: Path) -> None:
    """Case 19 for these routes: no token, 403."""
    routes = [
        ("GET", ("schedules", "preview"), {"params": {"cron": "@daily"}}),
        ("GET", ("notebooks", "parameters"), {"params": {"path": "project/greet.ipynb"}}),
        ("POST", ("notebooks", "schedule"), {}),
    ]
    for method, path, kw in routes:
        code, _ = await call(jp_fetch, method, *path, headers={"Authorization": ""}, **kw)
        assert code == 403, (method, path)


async def test_parameters_tell_how_the_notebook_is_scheduled(
    jp_fetch: Any, project: Path, reports: Path
) -> None:
    query = {"path": f"project/reports/{REPORT}"}
    code, answer = await call(jp_fetch, "GET", "notebooks", "parameters", params=query)
    assert code == 200 and answer["scheduled"] is None
    await call(jp_fetch, "POST", "notebooks", "schedule", body=schedule_body())
    code, answer = await call(jp_fetch, "GET", "notebooks", "parameters", params=query)
    assert answer["scheduled"] == {
        "name": "daily-report-v2",
        "path": "project/reports/Daily Report (v2).pipeline.yaml",
        "schedule": {
            "cron": "0 9 * * *",
            "timezone": "Europe/Berlin",
            "misfire": "coalesce",
            "description": "every day at 09:00 (Europe/Berlin)",
        },
        "paused": False,
        "parameters": {"region": "apac", "tags": ["x"]},
        "retries": 2,
        "timeout": 1800.0,  # seconds, as every duration in the API
    }
    # A notebook of the same name elsewhere is not the one scheduled
    other = project / "elsewhere"
    shutil.copytree(reports, other, ignore=shutil.ignore_patterns("*.yaml"))
    query = {"path": f"project/elsewhere/{REPORT}"}
    code, answer = await call(jp_fetch, "GET", "notebooks", "parameters", params=query)
    assert code == 200 and answer["scheduled"] is None
