"""Backfills in the store and the service, on SQLite and PostgreSQL: the slots they cover
(across a DST change), the runs they queue a few at a time and never twice, what they skip,
cancel and settle, and the requests they refuse. Runs are ended by hand here; real runs,
processes and restarts are in test_backfill_cli.py."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.backfills import (
    BackfillRequest,
    archive,
    cancel_backfill,
    feed_backfill,
    feed_backfills,
    plan_backfill,
    request_from_body,
    start_backfill,
)
from jupyter_orch.errors import ConflictError, NotFoundError, UserError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.scheduling.leader import new_run, overlap_limit
from jupyter_orch.service import Orchestrator
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.store.backfill_types import BackfillRecord, BackfillStatus
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import OverlapSkipped

from .conftest import write_notebook, write_steps

PARIS = "schedule: {cron: '0 2 * * *', timezone: Europe/Paris}"


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    write_notebook(tmp_path / "nb.ipynb", "day = None", "print(day)")
    path = write_steps(
        tmp_path,
        "etl",
        "- {name: load, notebook: nb.ipynb, parameters: {day: '{{ run.scheduled_for }}'}}",
        PARIS,
    )
    orch = Orchestrator(any_store, tmp_path / "runs")
    orch.apply(load_pipeline(path))
    return orch


def start(orch: Orchestrator, start: str, end: str, **extra: Any) -> BackfillRecord:
    return start_backfill(orch, BackfillRequest("etl", start, end, **extra), "UTC", "ana")


def end_run(orch: Orchestrator, run_id: str, status: RunStatus) -> None:
    now = datetime.now(timezone.utc)
    orch.store.update_run(run_id, status=status, started_at=now, ended_at=now)


def test_one_run_per_daily_slot_across_the_dst_change_two_at_a_time_oldest_first(
    orch: Orchestrator,
) -> None:
    backfill = start(orch, "2024-03-29", "2024-04-02", max_parallel=2)
    # 02:00 in Paris; on 31 March 02:00 does not exist: the slot is the transition (03:00 CEST)
    assert backfill.new.slots == (
        utc(2024, 3, 29, 1),
        utc(2024, 3, 30, 1),
        utc(2024, 3, 31, 1),
        utc(2024, 4, 1, 0),
        utc(2024, 4, 2, 0),
    )
    store = orch.store
    first = feed_backfills(store, orch.runs_dir)
    assert len(first) == 2
    assert feed_backfills(store, orch.runs_dir) == []  # two are queued: no room
    runs = store.get_runs(first)
    assert [r.scheduled_for for r in runs] == [utc(2024, 3, 29, 1), utc(2024, 3, 30, 1)]
    assert {r.trigger for r in runs} == {Trigger.BACKFILL}
    assert {r.backfill_id for r in runs} == {backfill.id}
    assert store.get_run(first[0]).to_dict()["backfill_id"] == backfill.id
    # A feeder that read the backfill before the others queued gets nothing: no slot twice
    stale = store.get_backfill(backfill.id)
    end_run(orch, first[0], RunStatus.SUCCEEDED)
    assert len(feed_backfill(store, orch.runs_dir, store.get_backfill(stale.id))) == 1
    assert store.queue_backfill_runs(stale.id, stale.cursor, []) == []
    assert feed_backfill(store, orch.runs_dir, store.get_backfill(stale.id)) == []
    counts = store.get_backfill(stale.id).counts()
    assert counts == {
        "total": 5,
        "succeeded": 1,
        "failed": 0,
        "cancelled": 0,
        "running": 0,
        "queued": 2,
        "left": 4,
    }
    # The rest, one failing: the backfill fails once its last run has ended
    for _ in range(4):
        queued = store.backfill_runs(stale.id, status="queued")
        end_run(orch, queued[0], RunStatus.FAILED if _ == 1 else RunStatus.SUCCEEDED)
        feed_backfills(store, orch.runs_dir)
    final = store.get_backfill(stale.id)
    assert final.status is BackfillStatus.FAILED and final.ended_at is not None
    assert final.counts()["succeeded"] == 4 and final.counts()["failed"] == 1
    slots = [r.scheduled_for for r in store.get_runs(store.backfill_runs(stale.id))]
    assert slots == list(final.new.slots)
    params = [r.parameters for r in store.get_runs(store.backfill_runs(stale.id))]
    assert all(p == {} for p in params)  # the template is rendered when the step runs


def test_a_second_backfill_skips_the_slots_that_succeeded_unless_asked(
    orch: Orchestrator,
) -> None:
    store = orch.store
    first = start(orch, "2024-05-01", "2024-05-03", max_parallel=3)
    for run_id in feed_backfills(store, orch.runs_dir):
        end_run(orch, run_id, RunStatus.SUCCEEDED)
    feed_backfills(store, orch.runs_dir)
    assert store.get_backfill(first.id).status is BackfillStatus.SUCCEEDED

    second = start(orch, "2024-05-01", "2024-05-05")
    assert second.new.slots == (utc(2024, 5, 4, 0), utc(2024, 5, 5, 0))
    assert second.new.skipped == 3
    cancel_backfill(orch, second.id)
    again = start(orch, "2024-05-01", "2024-05-02", rerun_succeeded=True)
    assert len(again.new.slots) == 2 and again.new.skipped == 0


def test_cancel_drops_queued_runs_stops_feeding_and_says_so(orch: Orchestrator) -> None:
    store = orch.store
    backfill = start(orch, "2024-06-01", "2024-06-07", max_parallel=2)
    queued = feed_backfills(store, orch.runs_dir)
    store.claim_run(queued[0], "me", global_limit=8, now=datetime.now(timezone.utc))
    record = cancel_backfill(orch, backfill.id)
    assert record.status is BackfillStatus.CANCELLED
    assert store.get_run(queued[1]).status is RunStatus.CANCELLED  # it had not started
    assert store.get_run(queued[0]).status is RunStatus.RUNNING  # its executor stops it
    assert feed_backfills(store, orch.runs_dir) == []
    assert record.counts()["left"] == 6 and record.counts()["cancelled"] == 1
    assert store.activity(pipeline="etl", limit=1)[0].action == "cancel"
    again = cancel_backfill(orch, backfill.id)  # twice is harmless, and noted once
    assert again.status is BackfillStatus.CANCELLED and again.ended_at == record.ended_at
    assert [e.action for e in store.activity(pipeline="etl", limit=2)] != ["cancel", "cancel"]
    with pytest.raises(NotFoundError, match="no backfill with id 'bf-nope'"):
        cancel_backfill(orch, "bf-nope")


def test_archiving_the_pipeline_cancels_its_running_backfills(orch: Orchestrator) -> None:
    """An archived pipeline does not fire: its backfill stops queueing runs of it, and says
    it was cancelled rather than running with nothing happening."""
    store = orch.store
    done = start(orch, "2024-08-01", "2024-08-01")
    (run_id,) = feed_backfills(store, orch.runs_dir)
    end_run(orch, run_id, RunStatus.SUCCEEDED)
    feed_backfills(store, orch.runs_dir)
    running = start(orch, "2024-08-02", "2024-08-09", max_parallel=2)
    queued = feed_backfills(store, orch.runs_dir)
    assert len(queued) == 2
    assert archive(orch, "etl") == [running.id]
    assert store.get_backfill(running.id).status is BackfillStatus.CANCELLED
    assert store.get_backfill(done.id).status is BackfillStatus.SUCCEEDED  # ended ones stay
    assert {store.get_run(r).status for r in queued} == {RunStatus.CANCELLED}
    assert feed_backfills(store, orch.runs_dir) == []
    assert archive(orch, "etl", False) == []
    assert store.get_backfill(running.id).status is BackfillStatus.CANCELLED


def test_runs_retention_deleted_still_count_so_a_deleted_failure_still_fails_it(
    orch: Orchestrator,
) -> None:
    """Retention may delete a long backfill's first runs before its last one ends: the failed
    one among them must still make it ``failed`` (it read ``succeeded``), and its counts stay
    whole (``left`` had counted the deleted runs as not ended)."""
    store = orch.store
    backfill = start(orch, "2024-09-01", "2024-09-03")
    outcomes = [RunStatus.FAILED, RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    ran = []
    for status in outcomes:
        (run_id,) = feed_backfills(store, orch.runs_dir)
        end_run(orch, run_id, status)
        ran.append(run_id)
        if len(ran) == 2:
            assert store.delete_runs(ran) == ran  # retention, while the last one is to come
            midway = store.get_backfill(backfill.id).counts()
            assert (midway["failed"], midway["succeeded"], midway["left"]) == (1, 1, 1)
    feed_backfills(store, orch.runs_dir)
    record = store.get_backfill(backfill.id)
    assert record.status is BackfillStatus.FAILED
    assert record.counts() == {
        "total": 3,
        "succeeded": 2,
        "failed": 1,
        "cancelled": 0,
        "running": 0,
        "queued": 0,
        "left": 0,
    }
    assert [r.id for r in store.list_runs(pipeline="etl", limit=10)] == [ran[2]]


def test_a_backfill_of_only_succeeded_slots_has_nothing_to_do_and_succeeds(
    orch: Orchestrator,
) -> None:
    first = start(orch, "2024-07-01", "2024-07-01")
    (run_id,) = feed_backfills(orch.store, orch.runs_dir)
    end_run(orch, run_id, RunStatus.SUCCEEDED)
    feed_backfills(orch.store, orch.runs_dir)
    empty = start(orch, "2024-07-01", "2024-07-01")
    assert empty.status is BackfillStatus.SUCCEEDED and empty.new.skipped == 1
    assert orch.store.get_backfill(first.id).status is BackfillStatus.SUCCEEDED


def test_refusals_name_what_to_fix(orch: Orchestrator, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--to: 2024-03-01 is before --from 2024-03-05"):
        start(orch, "2024-03-05", "2024-03-01")
    with pytest.raises(UserError, match="--from: give a date"):
        start(orch, "yesterday", "2024-03-01")
    with pytest.raises(UserError, match="max_parallel: give a whole number from 1 to 100"):
        start(orch, "2024-03-01", "2024-03-02", max_parallel=0)
    with pytest.raises(NotFoundError):
        start_backfill(orch, BackfillRequest("nope", "2024-03-01", "2024-03-02"), "UTC", None)
    running = start(orch, "2024-03-01", "2024-03-10")
    with pytest.raises(ConflictError, match=f"cancel it first \\(jupyter orch cancel {running.id}"):
        start(orch, "2024-03-10", "2024-03-12")
    start(orch, "2024-03-11", "2024-03-12")  # no overlap: fine
    path = write_steps(tmp_path, "plain", "- {name: load, notebook: nb.ipynb}")
    orch.apply(load_pipeline(path))
    with pytest.raises(UserError, match="'plain' has no schedule"):
        plan_backfill(orch, BackfillRequest("plain", "2024-03-01", "2024-03-02"), "UTC", None)
    orch.archive("plain")
    with pytest.raises(ConflictError, match="archived"):
        plan_backfill(orch, BackfillRequest("plain", "2024-03-01", "2024-03-02"), "UTC", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "2024-03-01"}, "from"),
        ({"from": "2024-03-01", "to": 5}, "to"),
        ({"from": "2024-03-01", "to": "x" * 65}, "to"),
        ({"from": "a", "to": "b", "max_parallel": 1e309}, "max_parallel"),
        ({"from": "a", "to": "b", "max_parallel": True}, "max_parallel"),
        ({"from": "a", "to": "b", "max_parallel": 101}, "max_parallel"),
        ({"from": "a", "to": "b", "parameters": [1]}, "parameters"),
        ({"from": "a", "to": "b", "dry_run": "yes"}, "dry_run"),
        ({"from": "a", "to": "b", "nope": 1}, "nope"),
    ],
)
def test_request_bodies_are_checked_field_by_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(UserError) as caught:
        request_from_body("etl", body)
    assert str(caught.value).startswith(f"{field}: ")


def test_a_backfill_never_makes_a_scheduled_slot_skipped_or_missed(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """With overlap: skip, a slot finding the pipeline busy with a backfill's runs still
    runs: it waits its turn behind them (on_missed is never about a backfill)."""
    path = write_steps(
        tmp_path,
        "etl",
        "- {name: load, notebook: nb.ipynb}",
        PARIS + "\nlimits: {max_concurrent_runs: 1, overlap: skip}",
    )
    orch.apply(load_pipeline(path))
    start(orch, "2024-08-01", "2024-08-02")
    (queued,) = feed_backfills(orch.store, orch.runs_dir)
    state = orch.store.pipeline_state("etl")
    spec = PipelineSpec.from_stored(state.definition)
    slot = utc(2024, 9, 1, 0)
    new = new_run(state, spec, orch.runs_dir, Trigger.SCHEDULE, scheduled_for=slot)
    scheduled = orch.store.queue_run(new, overlap_limit=overlap_limit(spec), tick_slot=slot)
    assert scheduled.status is RunStatus.QUEUED and overlap_limit(spec) == 1
    # ... while a second scheduled run is skipped as before
    with pytest.raises(OverlapSkipped):
        orch.store.queue_run(new, overlap_limit=overlap_limit(spec))
    assert orch.store.get_run(queued).status is RunStatus.QUEUED
