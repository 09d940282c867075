"""Backfills: a pipeline run once per slot of its schedule over a range of dates
(``jupyter orch backfill etl --from 2024-03-01 --to 2024-03-31``), for the nights it missed or
got wrong.

A backfill is a record of its own (``store/backfills.py``). Its runs are `backfill` runs with
``run.scheduled_for`` set to their slot, so a notebook reading ``{{ run.scheduled_for }}``
processes that day. They are queued oldest first, at most ``max_parallel`` at a time, as the
runs before them end: by the scheduler's leader (``feed_backfills``, every round) or by the
``jupyter orch backfill`` that made it. Either may stop and start again: the backfill goes on
from its record. Admission is the same as every run's: the pipeline's and the store's
concurrency limits still hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .activity import note
from .errors import ConflictError, UserError
from .masking import mask_json, masked_logger
from .records import Trigger
from .run_folders import RunsDir
from .scheduling.backfill_range import backfill_range, backfill_slots
from .service import Orchestrator, loaded_from_version, resolve_parameters, with_profile
from .store.backfill_types import MAX_PARALLEL, BackfillRecord, BackfillStatus, NewBackfill
from .store.base import StoreProtocol
from .store.types import NewRun, utcnow

log = masked_logger("jupyter_orch.backfills")

_RUNNING = BackfillStatus.RUNNING.value


@dataclass(frozen=True)
class BackfillRequest:
    """What ``jupyter orch backfill`` and ``POST /orch/pipelines/{name}/backfills`` ask for."""

    pipeline: str
    start: str
    end: str
    max_parallel: int = 1
    parameters: Mapping[str, Any] | None = None
    profile: str | None = None
    rerun_succeeded: bool = False


def _positive(value: Any, field: str, most: int) -> int:
    whole = isinstance(value, int | float) and not isinstance(value, bool)
    if not whole or not math.isfinite(value) or value != int(value) or not 1 <= value <= most:
        raise UserError(f"{field}: give a whole number from 1 to {most}, not {value!r}")
    return int(value)


def plan_backfill(
    orch: Orchestrator, request: BackfillRequest, default_timezone: str, created_by: str | None
) -> NewBackfill:
    """What the request would make, written nowhere: the slots of the pipeline's schedule in
    the range, less those a run already succeeded for (unless ``rerun_succeeded``), with the
    parameters its runs get. ``UserError`` naming what to fix."""
    store = orch.store
    name = request.pipeline
    max_parallel = _positive(request.max_parallel, "max_parallel", MAX_PARALLEL)
    state = store.pipeline_state(name)  # NotFoundError: not registered
    if state.archived:
        raise ConflictError(
            f"pipeline {name!r} is archived; unarchive it to backfill it "
            f"(jupyter orch unarchive {name})"
        )
    version = store.get_version(name)
    spec = loaded_from_version(version).spec
    if spec.schedule is None:
        raise UserError(
            f"pipeline {name!r} has no schedule: a backfill makes one run per slot of the "
            "pipeline's schedule; add a schedule: to its file and apply it"
        )
    cron = spec.schedule.cron_schedule(default_timezone)
    covered = backfill_range(request.start, request.end, cron.timezone)
    slots = backfill_slots(cron, covered)
    done = (
        set()
        if request.rerun_succeeded
        else store.succeeded_slots(name, covered.start, covered.end)
    )
    wanted = tuple(slot for slot in slots if slot not in done)
    overrides = with_profile(spec, request.profile, dict(request.parameters or {}))
    return NewBackfill(
        pipeline=name,
        version=version.version,
        range_from=request.start.strip(),
        range_to=request.end.strip(),
        timezone=cron.timezone,
        start=covered.start,
        end=covered.end,
        slots=wanted,
        skipped=len(slots) - len(wanted),
        max_parallel=max_parallel,
        parameters=resolve_parameters(spec, overrides),
        rerun_succeeded=request.rerun_succeeded,
        created_by=created_by,
    )


def preview_json(new: NewBackfill) -> dict[str, Any]:
    """What a backfill would make, before it starts (the lab's range picker says it)."""
    return {**new.summary(), "runs": len(new.slots)}


def start_backfill(
    orch: Orchestrator, request: BackfillRequest, default_timezone: str, created_by: str | None
) -> BackfillRecord:
    """Record the pipeline's files as they are now (a new version if any changed, as a
    scheduled run does), plan the backfill on that version and record it."""
    from .versions.fired import record_fired

    state = orch.store.pipeline_state(request.pipeline)  # NotFoundError: not registered
    record_fired(
        orch.store,
        request.pipeline,
        state.path,
        created_by or "unknown",
        root=orch.root,
        connections=orch.connections,
    )
    return create_backfill(orch, plan_backfill(orch, request, default_timezone, created_by))


def create_backfill(orch: Orchestrator, new: NewBackfill) -> BackfillRecord:
    """Record the backfill (its first runs are queued by whoever feeds it). Refused while
    another backfill of the pipeline over an overlapping range is running: the slots would
    run twice."""
    for other in orch.store.list_backfills(pipeline=new.pipeline, status=_RUNNING, limit=100):
        if other.new.start <= new.end and new.start <= other.new.end:
            raise ConflictError(
                f"backfill {other.id} of {new.pipeline!r} ({other.new.range_from} to "
                f"{other.new.range_to}) is still running over these dates; wait for it, or "
                f"cancel it first (jupyter orch cancel {other.id})"
            )
    record = orch.store.create_backfill(new)
    note(
        orch.store,
        "backfill",
        pipeline=new.pipeline,
        backfill=record.id,
        range=f"{new.range_from} to {new.range_to}",
        runs=len(new.slots),
    )
    return record


def feed_backfill(
    store: StoreProtocol, runs_dir: RunsDir, backfill: BackfillRecord, now: datetime | None = None
) -> list[str]:
    """Queue the backfill's next slots while it has fewer than ``max_parallel`` runs queued
    or running; settle it once its last run has ended. The ids of the runs queued."""
    if backfill.status is not BackfillStatus.RUNNING:
        return []
    new = backfill.new
    room = new.max_parallel - backfill.active
    todo = new.slots[backfill.cursor : backfill.cursor + max(room, 0)]
    if not todo:
        if backfill.cursor >= len(new.slots) and backfill.active == 0:
            status = store.settle_backfill(backfill.id, now or utcnow())
            if status is not None:
                log.info("backfill %s of %s %s", backfill.id, new.pipeline, status.value)
        return []
    spec = loaded_from_version(store.get_version(new.pipeline, new.version)).spec
    steps = tuple((s.name, s.needs) for s in spec.steps)
    runs = [
        NewRun(
            pipeline=new.pipeline,
            version=new.version,
            trigger=Trigger.BACKFILL,
            parameters=dict(new.parameters),
            steps=steps,
            runs_dir=str(runs_dir),
            scheduled_for=slot,
            backfill_id=backfill.id,
        )
        for slot in todo
    ]
    queued: list[str] = store.queue_backfill_runs(backfill.id, backfill.cursor, runs)
    for run_id in queued:
        note(store, "run", pipeline=new.pipeline, run_id=run_id, trigger="backfill")
    return queued


def feed_backfills(
    store: StoreProtocol, runs_dir: RunsDir, now: datetime | None = None
) -> list[str]:
    """``feed_backfill`` for every running backfill (the scheduler's leader, every round);
    one backfill's trouble (its version gone) never stops the others."""
    queued: list[str] = []
    for backfill in store.list_backfills(status=_RUNNING, limit=1000):
        try:
            queued += feed_backfill(store, runs_dir, backfill, now)
        except Exception:
            log.exception(
                "backfill %s of %s: queueing its runs failed", backfill.id, backfill.pipeline
            )
    return queued


def cancel_backfill(orch: Orchestrator, backfill_id: str) -> BackfillRecord:
    """Stop queueing its runs, drop the queued ones and stop the running ones (one that had
    ended stays as it was)."""
    store = orch.store
    running = store.get_backfill(backfill_id).status is BackfillStatus.RUNNING
    for run_id in store.cancel_backfill(backfill_id, utcnow()):
        store.request_cancel(run_id, utcnow())
    record = store.get_backfill(backfill_id)
    if running:
        note(store, "cancel", pipeline=record.pipeline, backfill=backfill_id)
    return record


def archive(orch: Orchestrator, pipeline: str, archived: bool = True) -> list[str]:
    """``Orchestrator.archive``; archiving also cancels the pipeline's running backfills (they
    would go on queueing runs of a pipeline that does not fire): their ids."""
    orch.archive(pipeline, archived)
    if not archived:
        return []
    running = orch.store.list_backfills(pipeline=pipeline, status=_RUNNING, limit=1000)
    return [cancel_backfill(orch, backfill.id).id for backfill in running]


_BODY_FIELDS = {"from", "to", "max_parallel", "parameters", "profile", "rerun_succeeded", "dry_run"}


def request_from_body(name: str, body: Mapping[str, Any]) -> tuple[BackfillRequest, bool]:
    """``POST /orch/pipelines/{name}/backfills``'s body: the request, and whether it only asks
    what the backfill would make (``dry_run``). ``UserError`` naming the field otherwise."""
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise UserError(
            f"{unknown[0]}: not a backfill field; give {', '.join(sorted(_BODY_FIELDS))}"
        )
    for field in ("from", "to"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            raise UserError(f"{field}: give a date (2024-03-01) or a time (2024-03-01T02:00)")
        if len(body[field]) > 64:
            raise UserError(f"{field}: give a date or a time, not {len(body[field])} characters")
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise UserError("parameters: give an object of name: value")
    profile = body.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise UserError("profile: give the name of one of the pipeline's profiles")
    flags = {}
    for field in ("rerun_succeeded", "dry_run"):
        flags[field] = body.get(field, False)
        if not isinstance(flags[field], bool):
            raise UserError(f"{field}: give true or false")
    request = BackfillRequest(
        pipeline=name,
        start=body["from"],
        end=body["to"],
        max_parallel=_positive(body.get("max_parallel", 1), "max_parallel", MAX_PARALLEL),
        parameters=parameters,
        profile=profile,
        rerun_succeeded=flags["rerun_succeeded"],
    )
    return request, flags["dry_run"]


def backfill_json(record: BackfillRecord) -> dict[str, Any]:
    """A backfill as the REST API and ``--json`` give it: parameters masked."""
    return mask_json(record.to_dict())
