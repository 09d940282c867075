"""``jupyter orch backfill`` as users run it: real processes, kernels and papermill, on SQLite
and PostgreSQL. Five daily slots two at a time, a second backfill skipping what succeeded,
cancel mid-way, a scheduler killed with -9 mid-backfill and started again, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.store.backfill_types import BackfillStatus

from .conftest import write_notebook, write_steps
from .helpers import long_step, meet_a_peer, no_orch_processes_left, read_json, wait_for
from .test_scheduler import Cluster

pytestmark = pytest.mark.slow

PARIS = "schedule: {cron: '0 2 * * *', timezone: Europe/Paris}"


def timed_notebook(folder: Path, seconds: float, *, in_pairs: bool = False) -> Path:
    """A notebook that sleeps, then appends its ``day`` and when it ran to ``ran.jsonl``;
    ``in_pairs``: it first waits for a peer to start (``meet_a_peer``)."""
    alone = "import time\nstart = time.time()"
    pair = meet_a_peer(folder / "started", timeout=seconds * 4) if in_pairs else alone
    return write_notebook(
        folder / "load.ipynb",
        "day = None",
        pair,
        f"""
        import json, time
        time.sleep({seconds})
        with open({str(folder / "ran.jsonl")!r}, "a") as f:
            f.write(json.dumps({{"day": day, "start": start, "end": time.time()}}) + "\\n")
        """,
    )


def apply_etl(c: Cluster) -> None:
    c.apply(
        "etl",
        "- {name: load, notebook: load.ipynb, parameters: {day: '{{ run.scheduled_for }}'}}",
        PARIS,
    )


def command(c: Cluster, *args: str, name: str = "etl") -> list[str]:
    return [sys.executable, "-m", "jupyter_orch.cli", "backfill", name, *args, "--db", c.url]


def backfill(c: Cluster, *args: str, name: str = "etl") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(c, *args, name=name),
        capture_output=True,
        text=True,
        timeout=240,
        cwd=c.folder,
    )


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


@pytest.fixture
def cluster(tmp_path: Path, store_url: str) -> Iterator[Cluster]:
    c = Cluster(tmp_path, store_url)
    yield c
    c.close()


def test_five_daily_slots_two_at_a_time_oldest_first_then_only_what_is_left(
    cluster: Cluster,
) -> None:
    c = cluster
    timed_notebook(c.folder, 1.5, in_pairs=True)
    apply_etl(c)

    done = backfill(c, "--from", "2024-03-29", "--to", "2024-04-02", "--max-parallel", "2")

    assert done.returncode == 0, done.stderr
    assert "5 runs from 2024-03-29 to 2024-04-02 (Europe/Paris)" in done.stderr
    assert "5 succeeded, 0 failed, 0 left of 5" in done.stderr
    assert "2024-03-31 03:00 CEST" in done.stdout  # 02:00 did not exist that night
    runs = sorted(c.runs("etl"), key=lambda r: r.number or 0)
    slots = [utc(2024, 3, 29, 1), utc(2024, 3, 30, 1), utc(2024, 3, 31, 1)]
    slots += [utc(2024, 4, 1, 0), utc(2024, 4, 2, 0)]
    assert [r.scheduled_for for r in runs] == slots  # queued oldest first
    assert {(r.trigger, r.status) for r in runs} == {(Trigger.BACKFILL, RunStatus.SUCCEEDED)}
    ran = [json.loads(line) for line in (c.folder / "ran.jsonl").read_text().splitlines()]
    # Each notebook processed its own slot
    assert sorted(r["day"] for r in ran) == [s.isoformat() for s in slots]
    # Never more than two at once, and two at once indeed
    moments = sorted([(r["start"], 1) for r in ran] + [(r["end"], -1) for r in ran])
    running, most = 0, 0
    for _, change in moments:
        running += change
        most = max(most, running)
    assert most == 2
    by_slot = {r["day"]: r for r in ran}
    starts = [by_slot[s.isoformat()]["start"] for s in slots]
    # Oldest first: a slot starts only after the slot two before it (two at a time)
    assert all(starts[k] >= starts[k - 2] for k in range(2, 5))

    wider = backfill(c, "--from", "2024-03-27", "--to", "2024-04-02", "--json")
    assert wider.returncode == 0, wider.stderr
    record = json.loads(wider.stdout)
    assert record["skipped"] == 5 and record["runs"]["total"] == 2
    assert record["status"] == "succeeded" and len(record["run_ids"]) == 2
    assert record["first_slot"] == "2024-03-27T01:00:00+00:00"
    listed = c.cli("backfills", "--json")
    assert json.loads(listed.stdout)[0]["id"] == record["id"]
    table = c.cli("backfills").stdout  # ids whole, then each one's progress
    assert record["id"] in table and "2/2" in table and "5/5" in table


def test_cancel_mid_way_stops_the_running_run_and_queues_no_more(cluster: Cluster) -> None:
    c = cluster
    timed_notebook(c.folder, 4)
    apply_etl(c)
    process = subprocess.Popen(
        command(c, "--from", "2024-06-01", "--to", "2024-06-04"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=c.folder,
    )
    try:

        def second_running() -> bool:
            runs = c.runs("etl")
            return len(runs) == 2 and {r.status for r in runs} == {
                RunStatus.SUCCEEDED,
                RunStatus.RUNNING,
            }

        assert wait_for(second_running, 90)
        (found,) = c.store.list_backfills(pipeline="etl")
        said = c.cli("cancel", found.id)
        assert "its queued runs are dropped" in said.stdout
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1, stderr
    runs = sorted(c.runs("etl"), key=lambda r: r.number or 0)
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.CANCELLED]
    record = c.store.get_backfill(found.id)
    assert record.status is BackfillStatus.CANCELLED
    assert record.counts() | {"total": 0} == {
        "total": 0,
        "succeeded": 1,
        "failed": 0,
        "cancelled": 1,
        "running": 0,
        "queued": 0,
        "left": 2,
    }
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_a_scheduler_killed_mid_backfill_is_replaced_and_the_backfill_ends(
    cluster: Cluster,
) -> None:
    """The backfill's record outlives whatever runs it: the orphaned attempt is retried by the
    next scheduler, which then queues the remaining slots; no slot runs twice."""
    c = cluster
    pids_file, _ = long_step(c.folder)
    c.apply("etl", "- {name: long, notebook: long.ipynb, retries: 1, retry_delay: 1s}", PARIS)
    queued = backfill(c, "--from", "2024-01-01", "--to", "2024-01-03", "--queue", "--json")
    assert queued.returncode == 0, queued.stderr
    backfill_id = json.loads(queued.stdout)["id"]
    scheduler = c.scheduler()
    read_json(pids_file)  # the first slot's kernel is running
    scheduler.kill()  # kill -9
    scheduler.wait(10)
    restarted = c.scheduler()
    assert wait_for(
        lambda: c.store.get_backfill(backfill_id).status is not BackfillStatus.RUNNING, 120
    ), c.logs()
    record = c.store.get_backfill(backfill_id)
    assert record.status is BackfillStatus.SUCCEEDED, c.logs()
    runs = sorted(c.runs("etl"), key=lambda r: r.number or 0)
    assert [r.scheduled_for for r in runs] == [utc(2024, 1, day, 1) for day in (1, 2, 3)]
    first = runs[0].step("long").attempts
    assert [a.status.value for a in first] == ["failed", "succeeded"]
    assert first[0].error is not None and first[0].error["ename"] == "Orphaned"
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(30) == 0
    assert wait_for(lambda: no_orch_processes_left(c.folder), 10)


def test_bad_input_exits_2_naming_what_to_fix(cluster: Cluster) -> None:
    c = cluster
    timed_notebook(c.folder, 0)
    apply_etl(c)
    cases = [
        (["--from", "2024-03-05", "--to", "2024-03-01"], "--to: 2024-03-01 is before --from"),
        (["--from", "March", "--to", "2024-03-01"], "--from: give a date (2024-03-01)"),
        (["--from", "2024-03-01", "--to", "2024-03-02", "--max-parallel", "0"], "1 to 100"),
        (["--from", "2000-01-01", "--to", "2030-01-01"], "more than 10,000 runs"),
    ]
    for args, message in cases:
        done = backfill(c, *args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    write_steps(c.folder, "plain", "- {name: load, notebook: load.ipynb}")
    c.cli("apply", "pipeline.yaml")
    done = backfill(c, "--from", "2024-03-01", "--to", "2024-03-02", name="plain")
    assert done.returncode == 2 and "'plain' has no schedule" in done.stderr
    assert c.store.list_backfills() == [] and c.runs("etl") == []


def test_archiving_the_pipeline_cancels_its_queued_backfill_and_says_so(cluster: Cluster) -> None:
    c = cluster
    timed_notebook(c.folder, 0)
    apply_etl(c)
    queued = backfill(c, "--from", "2024-05-01", "--to", "2024-05-03", "--queue", "--json")
    assert queued.returncode == 0, queued.stderr
    backfill_id = json.loads(queued.stdout)["id"]
    archived = c.cli("archive", "etl")
    assert f"cancelled its backfill {backfill_id}" in archived.stdout
    (record,) = c.store.list_backfills()
    assert record.status.value == "cancelled"
    assert all(run.status.value == "cancelled" for run in c.runs("etl"))
