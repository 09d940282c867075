"""Rows written and read inside the transactions of several parts of the store: a new run with
its steps, a run ended outside its coordinator, attempts, and runs read back as records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..records import (
    ACTIVE_RUN_STATUSES,
    UNFINISHED_STEP_STATUSES,
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    Trigger,
    error_record,
)
from .outbox import queue_run_end
from .tables import PipelineRow, RunRow, StepAttemptRow, StepRunRow
from .types import NewRun, OverlapSkipped, new_run_id, utcnow

_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]
_UNFINISHED_STEPS = [status.value for status in UNFINISHED_STEP_STATUSES]


def item_name(step: str, index: int) -> str:
    """An item's step run: ``report[0]``."""
    return f"{step}[{index}]"


def insert_run(session: Session, new: NewRun, *, overlap_limit: int | None) -> str:
    row = session.scalar(
        select(PipelineRow).where(PipelineRow.name == new.pipeline).with_for_update()
    )
    if row is None:
        raise NotFoundError(f"no pipeline named {new.pipeline!r}")
    if overlap_limit is not None:
        # A backfill's runs never make a slot or trigger skipped (nor missed): the new run
        # waits its turn behind them instead
        active = session.scalar(
            select(func.count())
            .select_from(RunRow)
            .where(
                RunRow.pipeline_id == row.id,
                RunRow.status.in_(_ACTIVE),
                RunRow.backfill_id.is_(None),
            )
        )
        if (active or 0) >= overlap_limit:
            raise OverlapSkipped(
                f"pipeline {new.pipeline!r} already has {active} active run"
                f"{'s' * (active != 1)} (max_concurrent_runs {overlap_limit}, overlap: skip)"
            )
    run_id = new.run_id or new_run_id()
    row.runs_made += 1  # the pipeline's row is locked: numbers never repeat
    session.add(
        RunRow(
            id=run_id,
            number=row.runs_made,
            pipeline_id=row.id,
            version=new.version,
            status=RunStatus.QUEUED.value,
            trigger=new.trigger.value,
            parameters=new.parameters,
            run_dir=f"{new.runs_dir.rstrip('/')}/{new.pipeline}/{run_id}",
            created_at=utcnow(),
            rerun_of=new.rerun_of,
            exact=new.exact,
            scheduled_for=new.scheduled_for,
            backfill_id=new.backfill_id,
            event=new.event,
            idempotency_key=new.idempotency_key,
            request_hash=new.request_hash,
        )
    )
    session.flush()
    reused = {name: (source, attempt) for name, source, attempt in new.reused}
    rows = [
        StepRunRow(name=name, position=position, needs=list(needs))
        for position, (name, needs) in enumerate(new.steps)
    ]
    positions = {row.name: row.position for row in rows}
    rows += [  # items of for-each steps a rerun keeps, after their step
        StepRunRow(
            name=item_name(parent, index),
            position=positions[parent],
            needs=[],
            parent=parent,
            item_index=index,
            item=item,
        )
        for parent, index, item in new.items
        if parent in positions
    ]
    for step in rows:
        step.run_id, step.status = run_id, StepStatus.PENDING.value
        session.add(step)
        name = step.name
        if name in reused:
            source, attempt = reused[name]
            step.status = StepStatus.SUCCEEDED.value
            step.reused_from = source
            session.flush()
            attempt_row = StepAttemptRow(step_run_id=step.id, run_id=run_id, number=attempt.number)
            fill_attempt(attempt_row, attempt)
            session.add(attempt_row)
    return run_id


def finish_run(
    session: Session,
    row: RunRow,
    status: RunStatus,
    error: str | None,
    now: datetime,
    *,
    attempt_error: dict[str, Any] | None = None,
) -> None:
    """End a run outside its coordinator: running attempts fail, unfinished steps cancel."""
    session.execute(
        update(StepAttemptRow)
        .where(
            StepAttemptRow.run_id == row.id,
            StepAttemptRow.status == AttemptStatus.RUNNING.value,
        )
        .values(
            status=AttemptStatus.FAILED.value,
            ended_at=now,
            error=attempt_error or error_record("Orphaned", error or ""),
        )
    )
    running_steps = select(StepRunRow.id).where(
        StepRunRow.run_id == row.id, StepRunRow.status == StepStatus.RUNNING.value
    )
    failed_step = StepStatus.FAILED if status is RunStatus.FAILED else StepStatus.CANCELLED
    session.execute(
        update(StepRunRow).where(StepRunRow.id.in_(running_steps)).values(status=failed_step.value)
    )
    session.execute(
        update(StepRunRow)
        .where(StepRunRow.run_id == row.id, StepRunRow.status.in_(_UNFINISHED_STEPS))
        .values(status=StepStatus.CANCELLED.value)
    )
    row.status = status.value
    row.error = error
    row.ended_at = now
    if row.started_at is None:
        row.started_at = now
    session.flush()
    queue_run_end(session, row, now)


def fill_attempt(row: StepAttemptRow, attempt: AttemptRecord) -> None:
    row.status = attempt.status.value
    row.started_at = attempt.started_at
    row.ended_at = attempt.ended_at
    row.outputs = dict(attempt.outputs)
    row.error = attempt.error
    row.output_notebook = attempt.output_notebook
    row.resources = attempt.resources
    row.artifacts = list(attempt.artifacts) or None
    row.lineage = attempt.lineage


def run_record(
    run: RunRow,
    pipeline: str,
    steps: Sequence[StepRunRow],
    attempts: Sequence[StepAttemptRow],
) -> RunRecord:
    by_step: dict[int, list[AttemptRecord]] = {}
    for a in attempts:
        by_step.setdefault(a.step_run_id, []).append(
            AttemptRecord(
                number=a.number,
                status=AttemptStatus(a.status),
                started_at=a.started_at,
                ended_at=a.ended_at,
                outputs=dict(a.outputs or {}),
                error=a.error,
                output_notebook=a.output_notebook,
                resources=a.resources,
                artifacts=list(a.artifacts or []),
                lineage=a.lineage,
            )
        )
    return RunRecord(
        id=run.id,
        pipeline=pipeline,
        version=run.version,
        status=RunStatus(run.status),
        trigger=Trigger(run.trigger),
        parameters=dict(run.parameters or {}),
        run_dir=run.run_dir,
        created_at=run.created_at,
        started_at=run.started_at,
        ended_at=run.ended_at,
        error=run.error,
        rerun_of=run.rerun_of,
        exact=bool(run.exact),
        scheduled_for=run.scheduled_for,
        event=run.event,
        pinned=bool(run.pinned),
        number=run.number,
        backfill_id=run.backfill_id,
        steps=tuple(
            StepRecord(
                name=s.name,
                needs=tuple(s.needs or ()),
                status=StepStatus(s.status),
                attempts=tuple(by_step.get(s.id, ())),
                reused_from=s.reused_from,
                next_attempt_at=s.next_attempt_at,
                progress=s.progress if s.status == StepStatus.RUNNING.value else None,
                parent=s.parent,
                item_index=s.item_index,
                item=s.item,
            )
            for s in steps
        ),
    )
