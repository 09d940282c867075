"""The scheduler's `jupyter orch` commands as real processes, with no scheduler running: apply,
pipelines, ticks, pause, resume, trigger, cancel (RELIABILITY case 9: a bad cron or zone is
refused with exit 2, naming the field and line, and nothing is saved).

Live scheduler processes are in test_scheduler.py. Calls that do not depend on each other run
side by side to keep the file fast.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import write_notebook, write_pipeline

pytestmark = pytest.mark.slow

NO_SCHEDULER = "no scheduler is running"
Result = subprocess.CompletedProcess[str]


def command(tmp_path: Path, *args: str) -> list[str]:
    """``jupyter orch ARGS`` on this test's own store and runs folder."""
    return [
        sys.executable,
        "-m",
        "jupyter_orch.cli",
        *args,
        "--db",
        f"sqlite:///{tmp_path / 'orch.sqlite'}",
        "--runs-dir",
        str(tmp_path / "runs"),
    ]


def orch(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """One call, in an environment free of the user's jupyter-orch settings; tables are wide
    enough not to wrap."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    clean.update(COLUMNS="200", JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), **(env or {}))
    return subprocess.run(
        command(tmp_path, *args),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=clean,
    )


def side_by_side(*calls: Callable[[], Result]) -> list[Result]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: call(), calls))


def listing(result: Result) -> dict[str, dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def row_of(table: str, name: str) -> str:
    lines = [line for line in table.splitlines() if line.split()[:1] == [name]]
    assert len(lines) == 1, table
    return lines[0]


def local_next_run(value: str, zone: str, after: datetime) -> datetime:
    """``next_run_at`` read in ``zone``, checked to be in UTC, in the future and within a day."""
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), value
    assert after < moment <= after + timedelta(hours=25), value
    return moment.astimezone(ZoneInfo(zone))


def notebook_folder(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "nb.ipynb", "days = 1", "x = 1")
    return tmp_path


# --- case 9 and other invalid files ------------------------------------------------------------

BAD_SCHEDULES = [
    # (cron, timezone, field, what the message says)
    ("61 * * * *", "UTC", "schedule.cron", "cron '61 * * * *': minute 61 is out of range 0-59"),
    ("* * *", "UTC", "schedule.cron", "cron '* * *' has 3 fields; write 5"),
    ("@fortnightly", "UTC", "schedule.cron", "unknown preset '@fortnightly'; use one of @yearly"),
    ("0 0 30 2 *", "UTC", "schedule.cron", "cron '0 0 30 2 *' never fires"),
    ("0 9 * * *", "Mars/Olympus", "schedule.timezone", "unknown time zone 'Mars/Olympus'"),
]

OTHER_PROBLEMS = """\
name: other
schedule:
  cron: "0 9 * * *"
  misfire: coalese
  timzone: Europe/Berlin
on:
  file: "../x/*.csv"
  sql: {connection: "not a url", query: "select 1"}
limits: {overlap: sometimes}
steps: [{name: a, notebook: nb.ipynb}]
"""


def test_bad_schedules_and_triggers_exit_2_naming_field_and_line_and_save_nothing(
    tmp_path: Path,
) -> None:
    folder = notebook_folder(tmp_path)
    bad_files = []
    for index, (cron, zone, _, _) in enumerate(BAD_SCHEDULES):
        text = (
            f"name: bad{index}\nschedule:\n  cron: {json.dumps(cron)}\n  timezone: {zone}\n"
            "steps: [{name: a, notebook: nb.ipynb}]\n"
        )
        bad_files.append(write_pipeline(folder, text, f"bad{index}.yaml"))
    other = write_pipeline(folder, OTHER_PROBLEMS, "other.yaml")
    good = write_pipeline(
        folder, 'name: good\nschedule: "@daily"\nsteps: [{name: a, notebook: nb.ipynb}]\n', "g.yaml"
    )

    calls: list[Callable[[], Result]] = []
    for path in [*bad_files, other]:
        calls.append(lambda path=path: orch(tmp_path, "validate", str(path), "--json"))
        calls.append(lambda path=path: orch(tmp_path, "apply", str(path)))
    # all files valid, or none applied: the valid first file is not registered either
    calls.append(lambda: orch(tmp_path, "apply", str(good), str(bad_files[0])))
    *results, validate_other, apply_other, both = side_by_side(*calls)

    for (cron, zone, field, message), path, validate, apply in zip(
        BAD_SCHEDULES, bad_files, results[0::2], results[1::2], strict=True
    ):
        line = 3 if field == "schedule.cron" else 4
        expected = f"{path}:{line}: {field}: {message}"
        for result in (validate, apply):
            assert result.returncode == 2, (cron, zone, result.stderr)
            assert expected in result.stderr, (expected, result.stderr)
            assert "1 problem" in result.stderr and "Traceback" not in result.stderr
        report = json.loads(validate.stdout)
        assert report["valid"] is False
        assert [(p["path"], p["line"]) for p in report["problems"]] == [(field, line)]
        assert "applied" not in apply.stdout

    expected_problems = [
        (4, "schedule.misfire", "'coalese' is not one of 'skip', 'coalesce' or 'all'"),
        (4, "schedule.misfire", "(did you mean 'coalesce'?)"),
        (5, "schedule.timzone", "unknown key 'timzone' (did you mean 'timezone'?)"),
        (7, "on.file", "file pattern '../x/*.csv' contains '..'; it must stay inside"),
        (8, "on.sql[0].connection", "connection is neither a connection name"),
        (9, "limits.overlap", "'sometimes' is not one of 'queue' or 'skip'"),
    ]
    for result in (validate_other, apply_other):
        assert result.returncode == 2, result.stderr
        assert "5 problems" in result.stderr, result.stderr
        for line, field, message in expected_problems:
            assert re.search(
                rf"{re.escape(str(other))}:{line}: {re.escape(field)}: .*"
                rf"{re.escape(message)}",
                result.stderr,
            ), (field, result.stderr)
    assert "not a url" not in validate_other.stderr  # a connection may hold a password
    paths = {p["path"] for p in json.loads(validate_other.stdout)["problems"]}
    assert paths == {field for _, field, _ in expected_problems}

    assert both.returncode == 2 and f"{bad_files[0]}:3: schedule.cron" in both.stderr
    assert "applied" not in both.stdout
    assert listing(orch(tmp_path, "pipelines", "--json")) == {}


# --- apply, pipelines, pause, resume, ticks -----------------------------------------------------


def test_apply_lists_schedules_in_words_and_next_runs_then_pause_and_resume(
    tmp_path: Path,
) -> None:
    folder = notebook_folder(tmp_path)
    berlin = write_pipeline(
        folder,
        """\
        name: berlin
        schedule: {cron: "0 9 * * *", timezone: Europe/Berlin}
        steps: [{name: a, notebook: nb.ipynb}]
        """,
        "berlin.yaml",
    )
    daily = write_pipeline(
        folder,
        'name: daily\nschedule: "@daily"\nsteps: [{name: a, notebook: nb.ipynb}]\n',
        "d.yaml",
    )
    events = write_pipeline(
        folder,
        'name: events\non: {file: "data/*.csv"}\nsteps: [{name: a, notebook: nb.ipynb}]\n',
        "e.yaml",
    )
    new_york = {"JUPYTER_ORCH_TIMEZONE": "America/New_York"}

    started = datetime.now(timezone.utc)
    applied = orch(tmp_path, "apply", str(berlin), str(daily), str(events))
    assert applied.returncode == 0, applied.stderr
    assert "applied berlin version 1: every day at 09:00 (Europe/Berlin)" in applied.stdout
    assert "applied daily version 1: every day at 00:00 (UTC)" in applied.stdout
    assert "applied events version 1: on file" in applied.stdout
    assert NO_SCHEDULER in applied.stderr and "jupyter orch scheduler" in applied.stderr

    as_json, table, in_new_york, reapplied, unknown, ticks, ticks_json, unknown_ticks = (
        side_by_side(
            lambda: orch(tmp_path, "pipelines", "--json"),
            lambda: orch(tmp_path, "pipelines"),
            lambda: orch(tmp_path, "pipelines", "--json", env=new_york),
            lambda: orch(tmp_path, "apply", str(daily), env=new_york),
            lambda: orch(tmp_path, "pause", "nope"),
            lambda: orch(tmp_path, "ticks", "berlin"),
            lambda: orch(tmp_path, "ticks", "berlin", "--json"),
            lambda: orch(tmp_path, "ticks", "nope"),
        )
    )
    rows = listing(as_json)
    assert list(rows) == ["berlin", "daily", "events"]
    row = rows["berlin"]
    assert set(row) >= {
        "name",
        "path",
        "version",
        "active",
        "paused",
        "schedule",
        "next_run_at",
        "last_status",
        "missed_ticks",
    }
    assert (row["path"], row["version"], row["active"], row["paused"]) == (
        str(berlin),
        1,
        True,
        False,
    )
    assert row["schedule"] == {
        "cron": "0 9 * * *",
        "timezone": "Europe/Berlin",
        "misfire": "coalesce",
        "description": "every day at 09:00 (Europe/Berlin)",
    }
    assert (row["last_status"], row["missed_ticks"]) == (None, 0)
    nine = local_next_run(row["next_run_at"], "Europe/Berlin", started)
    assert (nine.hour, nine.minute, nine.second) == (9, 0, 0)
    utc_hour = datetime.fromisoformat(row["next_run_at"]).hour
    assert utc_hour == (8 if nine.utcoffset() == timedelta(hours=1) else 7)  # CET / CEST

    assert rows["daily"]["schedule"]["cron"] == "@daily"  # the shorthand, kept as written
    assert rows["daily"]["schedule"]["timezone"] == "UTC"
    midnight = local_next_run(rows["daily"]["next_run_at"], "UTC", started)
    assert (midnight.hour, midnight.minute) == (0, 0)

    assert table.returncode == 0, table.stderr
    for words in ("every day at 09:00 (Europe/Berlin)", "active"):
        assert words in row_of(table.stdout, "berlin")
    assert "every day at 00:00 (UTC)" in row_of(table.stdout, "daily")
    # event triggers only: no schedule, so no next run
    assert rows["events"]["on"] == {"file": ["data/*.csv"]}
    assert (rows["events"]["schedule"], rows["events"]["next_run_at"]) == (None, None)
    assert row_of(table.stdout, "events").split()[1:4] == ["│", "on", "file"]

    # the default zone comes from the environment; schedules naming a zone keep theirs
    zoned = listing(in_new_york)
    assert zoned["berlin"]["schedule"]["timezone"] == "Europe/Berlin"
    assert zoned["daily"]["schedule"]["timezone"] == "America/New_York"
    assert zoned["daily"]["schedule"]["description"] == "every day at 00:00 (America/New_York)"
    ny_midnight = local_next_run(zoned["daily"]["next_run_at"], "America/New_York", started)
    assert (ny_midnight.hour, ny_midnight.minute) == (0, 0)
    assert reapplied.returncode == 0, reapplied.stderr
    assert "applied daily version 1: every day at 00:00 (America/New_York)" in reapplied.stdout

    assert unknown.returncode == 2 and "no pipeline named 'nope'" in unknown.stderr
    assert ticks.returncode == 0 and "no schedule ticks for berlin yet" in ticks.stdout
    assert ticks_json.returncode == 0 and json.loads(ticks_json.stdout) == []
    assert unknown_ticks.returncode == 2 and "no pipeline named 'nope'" in unknown_ticks.stderr

    paused = orch(tmp_path, "pause", "berlin")
    assert paused.returncode == 0 and "paused berlin" in paused.stdout, paused.stderr
    as_json, table = side_by_side(
        lambda: orch(tmp_path, "pipelines", "--json"), lambda: orch(tmp_path, "pipelines")
    )
    rows = listing(as_json)
    assert (rows["berlin"]["paused"], rows["berlin"]["next_run_at"]) == (True, None)
    assert rows["daily"]["paused"] is False and rows["daily"]["next_run_at"] is not None
    assert "paused" in row_of(table.stdout, "berlin")

    resumed = orch(tmp_path, "resume", "berlin")
    assert resumed.returncode == 0 and "resumed berlin" in resumed.stdout, resumed.stderr
    row = listing(orch(tmp_path, "pipelines", "--json"))["berlin"]
    assert (row["active"], row["paused"]) == (True, False)
    nine = local_next_run(row["next_run_at"], "Europe/Berlin", started)
    assert (nine.hour, nine.minute) == (9, 0)


def test_run_registers_without_activating_and_apply_refuses_a_taken_name(tmp_path: Path) -> None:
    folder = notebook_folder(tmp_path)
    once = write_pipeline(
        folder,
        """\
        name: once
        schedule: "0 * * * *"
        steps: [{name: a, notebook: nb.ipynb, if: "false"}]
        """,
        "once.yaml",
    )
    ran = orch(tmp_path, "run", str(once))
    assert ran.returncode == 0, ran.stderr

    (folder / "other").mkdir()
    write_notebook(folder / "other" / "nb.ipynb", None, "x = 1")
    same_name = write_pipeline(folder / "other", once.read_text(), "once.yaml")
    fresh = write_pipeline(
        folder, "name: fresh\nsteps: [{name: a, notebook: nb.ipynb}]\n", "f.yaml"
    )
    as_json, table, taken = side_by_side(
        lambda: orch(tmp_path, "pipelines", "--json"),
        lambda: orch(tmp_path, "pipelines"),
        # the name is registered from once.yaml, which still exists: neither file is applied
        lambda: orch(tmp_path, "apply", str(fresh), str(same_name)),
    )
    row = listing(as_json)["once"]
    assert (row["active"], row["paused"], row["next_run_at"]) == (False, False, None)
    assert row["last_status"] == "succeeded"
    assert row["schedule"]["description"] == "every hour (UTC)"
    assert "not applied" in row_of(table.stdout, "once")

    assert taken.returncode == 2, taken.stderr
    assert f"a pipeline named 'once' is already registered from {once}" in taken.stderr
    assert "applied" not in taken.stdout
    rows = listing(orch(tmp_path, "pipelines", "--json"))
    assert list(rows) == ["once"] and rows["once"]["path"] == str(once)


# --- trigger and cancel -------------------------------------------------------------------------


def test_trigger_queues_a_manual_run_and_cancel_drops_it(tmp_path: Path) -> None:
    folder = notebook_folder(tmp_path)
    solo = write_pipeline(
        folder,
        """\
        name: solo
        parameters: {days: 1}
        limits: {max_concurrent_runs: 1, overlap: skip}
        steps:
          - {name: a, notebook: nb.ipynb}
          - {name: b, notebook: nb.ipynb, needs: [a]}
        """,
        "solo.yaml",
    )
    applied = orch(tmp_path, "apply", str(solo))
    assert applied.returncode == 0, applied.stderr
    assert "applied solo version 1 (no schedule or triggers)" in applied.stdout

    queued = orch(tmp_path, "trigger", "solo", "-p", "days=3")
    assert queued.returncode == 0, queued.stderr
    match = re.search(r"queued run (\w+) of solo version 1", queued.stdout)
    assert match, queued.stdout
    run_id = match.group(1)
    assert NO_SCHEDULER in queued.stderr

    runs, overlap, bad_param, unknown, unknown_cancel = side_by_side(
        lambda: orch(tmp_path, "runs", "--json"),
        lambda: orch(tmp_path, "trigger", "solo"),
        lambda: orch(tmp_path, "trigger", "solo", "-p", "weeks=3"),
        lambda: orch(tmp_path, "trigger", "nope"),
        lambda: orch(tmp_path, "cancel", "NOSUCHRUN"),
    )
    assert overlap.returncode == 2, overlap.stdout
    assert "overlap: skip" in overlap.stderr and "Traceback" not in overlap.stderr
    assert bad_param.returncode == 2 and "unknown parameter 'weeks'" in bad_param.stderr
    assert unknown.returncode == 2 and "no pipeline named 'nope'" in unknown.stderr
    assert unknown_cancel.returncode == 2
    assert "no run with id 'NOSUCHRUN'" in unknown_cancel.stderr
    assert runs.returncode == 0, runs.stderr
    (run,) = json.loads(runs.stdout)  # the refused triggers created nothing
    assert (run["id"], run["status"], run["trigger"]) == (run_id, "queued", "manual")
    assert run["parameters"] == {"days": 3}
    assert [s["status"] for s in run["steps"]] == ["pending", "pending"]

    cancelled = orch(tmp_path, "cancel", run_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"cancelled run {run_id}" in cancelled.stdout

    shown, again, next_trigger = side_by_side(
        lambda: orch(tmp_path, "show", run_id, "--json"),
        lambda: orch(tmp_path, "cancel", run_id),
        # the cancelled run no longer holds the pipeline's only slot
        lambda: orch(tmp_path, "trigger", "solo", "--json"),
    )
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["status"] == "cancelled"
    assert [s["status"] for s in record["steps"]] == ["cancelled", "cancelled"]
    assert again.returncode == 0, again.stderr
    assert f"run {run_id} had already finished: cancelled" in again.stdout
    assert next_trigger.returncode == 0, next_trigger.stderr
    second = json.loads(next_trigger.stdout)
    assert second["status"] == "queued" and second["id"] != run_id
    assert second["parameters"] == {"days": 1}
