"""Runs, their steps, attempts and logs: created, recorded by their coordinator, settled,
read back as records (never rows)."""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..records import (
    PROGRESS_STREAM,
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepStatus,
    Trigger,
)
from .outbox import queue_run_end, queue_step_end
from .run_rows import fill_attempt, insert_run, item_name, run_record
from .sessions import StoreSessions, of_pipeline, of_trigger
from .tables import (
    LogLineRow,
    PipelineRow,
    RunRow,
    ScheduleTickRow,
    StepAttemptRow,
    StepRunRow,
)
from .types import LogLine, NewRun, SlotTaken, utcnow

R = TypeVar("R", StepRunRow, StepAttemptRow)


class RunsMixin(StoreSessions):
    """Mixed into ``Store``: runs and what they hold."""

    def create_run(
        self,
        *,
        pipeline: str,
        version: int,
        trigger: Trigger,
        parameters: dict[str, Any],
        steps: Sequence[tuple[str, Sequence[str]]],
        runs_dir: str,
        rerun_of: str | None = None,
        exact: bool = False,
        run_id: str | None = None,
        scheduled_for: datetime | None = None,
        event: dict[str, Any] | None = None,
        overlap_limit: int | None = None,
        tick_slot: datetime | None = None,
        reused: Sequence[tuple[str, str, AttemptRecord]] = (),
        items: Sequence[tuple[str, int, Any]] = (),
    ) -> RunRecord:
        new = NewRun(
            pipeline,
            version,
            trigger,
            parameters,
            tuple(steps),
            runs_dir,
            rerun_of=rerun_of,
            exact=exact,
            run_id=run_id,
            scheduled_for=scheduled_for,
            event=event,
            reused=tuple(reused),
            items=tuple(items),
        )
        return self.queue_run(new, overlap_limit=overlap_limit, tick_slot=tick_slot)

    def queue_run(
        self,
        new: NewRun,
        *,
        overlap_limit: int | None = None,
        tick_slot: datetime | None = None,
    ) -> RunRecord:
        """Store a `queued` run with its steps.

        ``overlap_limit``: refuse (``OverlapSkipped``) when the pipeline already has that many
        queued or running runs. ``tick_slot``: record the schedule slot as fired by this run
        in the same transaction (``SlotTaken`` when another scheduler fired it first).
        """
        try:
            with self._sessions.begin() as session:
                run_id = insert_run(session, new, overlap_limit=overlap_limit)
                if tick_slot is not None:
                    session.add(
                        ScheduleTickRow(
                            pipeline_id=session.scalar(
                                select(RunRow.pipeline_id).where(RunRow.id == run_id)
                            ),
                            slot=tick_slot,
                            status="fired",
                            run_id=run_id,
                            created_at=utcnow(),
                        )
                    )
                    session.flush()
        except IntegrityError as exc:
            if tick_slot is None:
                raise
            raise SlotTaken(f"{new.pipeline}: slot {tick_slot.isoformat()} already fired") from exc
        return self.get_run(run_id)

    def add_items(self, run_id: str, step: str, items: Sequence[Any]) -> list[StepStatus]:
        """The step runs of a for-each step's items (``report[0]``...), made as its list
        resolves; rows already there (a resumed run, a rerun's kept items) stay as they are
        when their item is the same, and start again (pending, no attempts) when it is not.
        Each item's status, in order."""
        with self._sessions.begin() as session:
            parent = session.scalar(
                select(StepRunRow).where(
                    StepRunRow.run_id == run_id,
                    StepRunRow.name == step,
                    StepRunRow.parent.is_(None),
                )
            )
            if parent is None:
                raise NotFoundError(f"run {run_id!r} has no step {step!r}")
            known = {
                row.item_index: row
                for row in session.scalars(
                    select(StepRunRow).where(StepRunRow.run_id == run_id, StepRunRow.parent == step)
                )
            }
            for index, stale in known.items():
                if index is None or index >= len(items):  # the list is shorter now
                    session.delete(stale)
            statuses = []
            for index, item in enumerate(items):
                row = known.get(index)
                if row is None:
                    row = StepRunRow(
                        run_id=run_id,
                        name=item_name(step, index),
                        position=parent.position,
                        needs=[],
                        parent=step,
                        item_index=index,
                        item=item,
                        status=StepStatus.PENDING.value,
                    )
                    session.add(row)
                elif row.item != item:  # a rerun's kept item whose list changed: it runs anew
                    session.execute(
                        delete(StepAttemptRow).where(StepAttemptRow.step_run_id == row.id)
                    )
                    row.item, row.status, row.reused_from = item, StepStatus.PENDING.value, None
                statuses.append(StepStatus(row.status))
            return statuses

    def update_run(self, run_id: str, **fields: Any) -> None:
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        with self._sessions.begin() as session:
            session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def update_step(self, run_id: str, name: str, **fields: Any) -> None:
        """Set fields of a step; a final ``status`` queues the step's own notifications."""
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        if "status" in values:
            values["progress"] = None  # a new attempt, or the end: the last one's is stale
        with self._sessions.begin() as session:
            session.execute(
                update(StepRunRow)
                .where(StepRunRow.run_id == run_id, StepRunRow.name == name)
                .values(**values)
            )
            if "status" in values:
                queue_step_end(session, run_id, name, values["status"], utcnow())

    def save_attempt(
        self,
        run_id: str,
        step: str,
        attempt: AttemptRecord,
        *,
        step_status: StepStatus | None = None,
    ) -> None:
        """Insert or update the attempt ``attempt.number`` of ``step`` (and the step's status)."""
        with self._sessions.begin() as session:
            step_row = session.scalar(
                select(StepRunRow).where(StepRunRow.run_id == run_id, StepRunRow.name == step)
            )
            if step_row is None:
                raise NotFoundError(f"run {run_id} has no step {step!r}")
            step_id = step_row.id
            if step_status is not None:
                step_row.status = step_status.value
                step_row.progress = None
            row = session.scalar(
                select(StepAttemptRow).where(
                    StepAttemptRow.step_run_id == step_id, StepAttemptRow.number == attempt.number
                )
            )
            if row is None:
                row = StepAttemptRow(step_run_id=step_id, run_id=run_id, number=attempt.number)
                session.add(row)
            fill_attempt(row, attempt)

    def set_attempt_processes(
        self, run_id: str, step: str, number: int, processes: dict[str, Any]
    ) -> None:
        with self._sessions.begin() as session:
            step_id = select(StepRunRow.id).where(
                StepRunRow.run_id == run_id, StepRunRow.name == step
            )
            session.execute(
                update(StepAttemptRow)
                .where(StepAttemptRow.step_run_id.in_(step_id), StepAttemptRow.number == number)
                .values(processes=processes)
            )

    def settle_run(
        self,
        run_id: str,
        status: RunStatus,
        error: str | None,
        now: datetime,
        *,
        steps: Mapping[str, StepStatus],
        attempt_error: dict[str, Any],
    ) -> None:
        """The coordinator's last write, one transaction: every step's final status, every
        attempt still running ended with ``attempt_error`` (none are left after a normal end;
        a fault or a cancel may leave some), and the run's status."""
        attempt_status = (
            AttemptStatus.CANCELLED if status is RunStatus.CANCELLED else AttemptStatus.FAILED
        )
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            session.execute(
                update(StepAttemptRow)
                .where(
                    StepAttemptRow.run_id == run_id,
                    StepAttemptRow.status == AttemptStatus.RUNNING.value,
                )
                .values(status=attempt_status.value, ended_at=now, error=attempt_error)
            )
            by_status: dict[StepStatus, list[str]] = {}
            for name, step_status in steps.items():
                by_status.setdefault(step_status, []).append(name)
            for step_status, names in by_status.items():
                session.execute(
                    update(StepRunRow)
                    .where(StepRunRow.run_id == run_id, StepRunRow.name.in_(names))
                    .values(status=step_status.value)
                )
            row.status = status.value
            row.error = error
            row.ended_at = now
            if row.started_at is None:
                row.started_at = now
            session.flush()
            queue_run_end(session, row, now)

    def get_run(self, run_id: str) -> RunRecord:
        runs = self.get_runs([run_id])
        if not runs:
            raise NotFoundError(f"no run with id {run_id!r}")
        return runs[0]

    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """The runs with these ids, in that order (unknown ids left out): three queries for a
        whole page of runs, not three per run."""
        if not run_ids:
            return []
        with self._reads() as session:
            found = session.execute(
                select(RunRow, PipelineRow.name)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(RunRow.id.in_(run_ids))
            ).all()
            # Items of a for-each step (``report[0]``...) after it, in their order
            in_order = (StepRunRow.position, func.coalesce(StepRunRow.item_index, -1))
            steps = _by_run(session, StepRunRow, run_ids, in_order)
            attempts = _by_run(session, StepAttemptRow, run_ids, StepAttemptRow.number)
            by_id = {
                run.id: run_record(run, pipeline, steps[run.id], attempts[run.id])
                for run, pipeline in found
            }
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 20,
        trigger: str | None = None,
    ) -> list[RunRecord]:
        """Runs newest first, with their steps; test runs only when ``trigger`` is ``test``."""
        with self._reads() as session:
            # By id, as the runs page (ids sort by creation time): the indexes ending in the
            # id give a filtered listing its rows in order, whatever the history's length
            query = (
                select(RunRow.id)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(of_trigger(trigger))
                .order_by(RunRow.id.desc())
                .limit(limit)
            )
            if pipeline:
                query = query.where(of_pipeline(session, pipeline))
            if status:
                query = query.where(RunRow.status == status)
            ids = session.scalars(query).all()
        return self.get_runs(ids)

    def delete_run(self, run_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(RunRow).where(RunRow.id == run_id))

    # --- logs ---------------------------------------------------------------------------------

    def add_logs(self, run_id: str, lines: Iterable[LogLine]) -> None:
        """Log lines; a step's progress (``PROGRESS_STREAM``) goes onto the step instead."""
        rows, progress = [], {}
        for ln in lines:
            if ln.stream == PROGRESS_STREAM and ln.step is not None:
                with contextlib.suppress(ValueError):  # never lose the log over a progress note
                    progress[ln.step] = json.loads(ln.message)
            else:
                rows.append(LogLineRow(run_id=run_id, ts=ln.ts, step=ln.step,
                                       stream=ln.stream, message=ln.message))  # fmt: skip
        if not rows and not progress:
            return
        with self._sessions.begin() as session:
            session.add_all(rows)
            for step, data in progress.items():
                session.execute(
                    update(StepRunRow)
                    .where(StepRunRow.run_id == run_id, StepRunRow.name == step)
                    .values(progress=data)
                )

    def get_logs(self, run_id: str, *, after_id: int = 0) -> list[LogLine]:
        self.get_run(run_id)  # raises NotFoundError for an unknown run
        with self._reads() as session:
            rows = session.scalars(
                select(LogLineRow)
                .where(LogLineRow.run_id == run_id, LogLineRow.id > after_id)
                .order_by(LogLineRow.id)
            ).all()
            return [LogLine(r.ts, r.step, r.stream, r.message, r.id) for r in rows]


def _by_run(
    session: Session, row: type[R], run_ids: Sequence[str], order: Any
) -> dict[str, list[R]]:
    """The rows of ``row`` (step runs or attempts) of these runs, grouped by run, in ``order``
    (a column, or a tuple of them)."""
    grouped: dict[str, list[R]] = defaultdict(list)
    columns = order if isinstance(order, tuple) else (order,)
    for found in session.scalars(select(row).where(row.run_id.in_(run_ids)).order_by(*columns)):
        grouped[found.run_id].append(found)
    return grouped
