"""Backfills: their rows, the runs they queue a few at a time, and how far they got.

A backfill queues no more runs than its ``max_parallel`` at once: ``queue_backfill_runs``
inserts the next slots' runs and moves its ``cursor`` in one transaction, under the backfill's
row lock, and only from the cursor its caller read: whoever feeds it (the scheduler's leader,
or the ``jupyter orch backfill`` that made it) never queues a slot twice. Its status is settled
once its last run has ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..records import ACTIVE_RUN_STATUSES, RunStatus
from .backfill_types import BackfillRecord, BackfillStatus, NewBackfill
from .run_rows import insert_run
from .sessions import StoreSessions
from .tables import BackfillRow, PipelineRow, RunRow
from .types import NewRun, new_run_id, utcnow

#: Backfill ids: ``bf-`` and a ULID (they sort by creation time; never a run id).
BACKFILL_PREFIX = "bf-"
_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]
_RUNNING = BackfillStatus.RUNNING.value


def is_backfill_id(value: str) -> bool:
    return value.startswith(BACKFILL_PREFIX)


class BackfillsMixin(StoreSessions):
    """Mixed into ``Store``."""

    def succeeded_slots(self, pipeline: str, start: datetime, end: datetime) -> set[datetime]:
        """The slots in ``[start, end]`` some run of the pipeline succeeded for."""
        with self._reads() as session:
            found = session.scalars(
                select(RunRow.scheduled_for)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(
                    PipelineRow.name == pipeline,
                    RunRow.status == RunStatus.SUCCEEDED.value,
                    RunRow.scheduled_for >= start,
                    RunRow.scheduled_for <= end,
                )
            )
            return {slot for slot in found if slot is not None}

    def create_backfill(self, new: NewBackfill, *, now: datetime | None = None) -> BackfillRecord:
        backfill_id = BACKFILL_PREFIX + new_run_id()
        now = now or utcnow()
        with self._sessions.begin() as session:
            pipeline_id = session.scalar(
                select(PipelineRow.id).where(PipelineRow.name == new.pipeline)
            )
            if pipeline_id is None:
                raise NotFoundError(f"no pipeline named {new.pipeline!r}")
            done = not new.slots
            session.add(
                BackfillRow(
                    id=backfill_id,
                    pipeline_id=pipeline_id,
                    version=new.version,
                    status=BackfillStatus.SUCCEEDED.value if done else _RUNNING,
                    range_from=new.range_from,
                    range_to=new.range_to,
                    timezone=new.timezone,
                    start=new.start,
                    end=new.end,
                    slots=[slot.isoformat() for slot in new.slots],
                    cursor=0,
                    skipped=new.skipped,
                    max_parallel=new.max_parallel,
                    parameters=new.parameters,
                    rerun_succeeded=new.rerun_succeeded,
                    created_by=new.created_by,
                    created_at=now,
                    ended_at=now if done else None,
                )
            )
        return self.get_backfill(backfill_id)

    def get_backfill(self, backfill_id: str) -> BackfillRecord:
        with self._reads() as session:
            found = _records(session, select(BackfillRow).where(BackfillRow.id == backfill_id))
        if not found:
            raise NotFoundError(f"no backfill with id {backfill_id!r}")
        return found[0]

    def list_backfills(
        self, *, pipeline: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[BackfillRecord]:
        """Newest first."""
        query = select(BackfillRow).order_by(BackfillRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(BackfillRow.status == status)
        with self._reads() as session:
            if pipeline is not None:
                pipeline_id = session.scalar(
                    select(PipelineRow.id).where(PipelineRow.name == pipeline)
                )
                query = query.where(BackfillRow.pipeline_id == pipeline_id)
            return _records(session, query)

    def backfill_runs(self, backfill_id: str, *, status: str | None = None) -> list[str]:
        """Its runs' ids, oldest slot first."""
        query = select(RunRow.id).where(RunRow.backfill_id == backfill_id)
        if status is not None:
            query = query.where(RunRow.status == status)
        with self._reads() as session:
            return list(session.scalars(query.order_by(RunRow.scheduled_for, RunRow.id)))

    def queue_backfill_runs(
        self, backfill_id: str, cursor: int, runs: Sequence[NewRun]
    ) -> list[str]:
        """Queue ``runs`` (the slots from ``cursor`` on) if the backfill is running and its
        cursor is still ``cursor``; their ids, or none when another feeder came first."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BackfillRow).where(BackfillRow.id == backfill_id).with_for_update()
            )
            if row is None or row.status != _RUNNING or row.cursor != cursor:
                return []
            ids = [insert_run(session, new, overlap_limit=None) for new in runs]
            row.cursor = cursor + len(ids)
            return ids

    def settle_backfill(self, backfill_id: str, now: datetime) -> BackfillStatus | None:
        """End a running backfill whose every run was queued and has ended: ``succeeded`` when
        they all did, ``failed`` when any failed or timed out, else ``cancelled``."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BackfillRow).where(BackfillRow.id == backfill_id).with_for_update()
            )
            if row is None or row.status != _RUNNING or row.cursor < len(row.slots):
                return None
            counts = _counts(session, [row])[backfill_id]
            if any(counts.get(status) for status in _ACTIVE):
                return None
            if any(counts.get(s) for s in (RunStatus.FAILED.value, RunStatus.TIMED_OUT.value)):
                status = BackfillStatus.FAILED
            elif counts.get(RunStatus.CANCELLED.value):
                status = BackfillStatus.CANCELLED
            else:
                status = BackfillStatus.SUCCEEDED
            row.status, row.ended_at = status.value, now
            return status

    def cancel_backfill(self, backfill_id: str, now: datetime) -> list[str]:
        """Stop queueing its runs (``cancelled``); its queued and running runs' ids, which the
        caller cancels. NotFoundError when there is no such backfill."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(BackfillRow).where(BackfillRow.id == backfill_id).with_for_update()
            )
            if row is None:
                raise NotFoundError(f"no backfill with id {backfill_id!r}")
            if row.status == _RUNNING:
                session.execute(
                    update(BackfillRow)
                    .where(BackfillRow.id == backfill_id)
                    .values(status=BackfillStatus.CANCELLED.value, ended_at=now)
                )
            return list(
                session.scalars(
                    select(RunRow.id).where(
                        RunRow.backfill_id == backfill_id, RunRow.status.in_(_ACTIVE)
                    )
                )
            )


def _counts(session: Session, rows: Sequence[BackfillRow]) -> dict[str, dict[str, int]]:
    """By backfill, its runs by status: those in the store and those retention deleted (its
    ``pruned`` tally), so that a deleted failed run still makes the backfill ``failed``."""
    counts = {row.id: dict(row.pruned or {}) for row in rows}
    if not rows:
        return counts
    found = session.execute(
        select(RunRow.backfill_id, RunRow.status, func.count())
        .where(RunRow.backfill_id.in_(list(counts)))
        .group_by(RunRow.backfill_id, RunRow.status)
    )
    for backfill_id, status, count in found:
        tally = counts[str(backfill_id)]
        tally[status] = tally.get(status, 0) + int(count)
    return counts


def tally_pruned(session: Session, runs: Iterable[tuple[str | None, str]]) -> None:
    """Add the runs (backfill id, status) about to be deleted to their backfills' ``pruned``
    tallies: in the deleting transaction, under each backfill's row lock."""
    by_backfill: dict[str, Counter[str]] = {}
    for backfill_id, status in runs:
        if backfill_id is not None:
            by_backfill.setdefault(backfill_id, Counter())[status] += 1
    for backfill_id, tally in sorted(by_backfill.items()):
        row = session.scalar(
            select(BackfillRow).where(BackfillRow.id == backfill_id).with_for_update()
        )
        if row is not None:
            row.pruned = dict(Counter(row.pruned or {}) + tally)


def _records(session: Session, query: Select[Any]) -> list[BackfillRecord]:
    rows: list[BackfillRow] = list(session.scalars(query))
    if not rows:
        return []
    names = dict(
        session.execute(
            select(PipelineRow.id, PipelineRow.name).where(
                PipelineRow.id.in_({row.pipeline_id for row in rows})
            )
        ).all()
    )
    counts = _counts(session, rows)
    return [
        BackfillRecord(
            id=row.id,
            new=NewBackfill(
                pipeline=names.get(row.pipeline_id, "?"),
                version=row.version,
                range_from=row.range_from,
                range_to=row.range_to,
                timezone=row.timezone,
                start=row.start,
                end=row.end,
                slots=tuple(datetime.fromisoformat(slot) for slot in row.slots),
                skipped=row.skipped,
                max_parallel=row.max_parallel,
                parameters=dict(row.parameters or {}),
                rerun_succeeded=bool(row.rerun_succeeded),
                created_by=row.created_by,
            ),
            status=BackfillStatus(row.status),
            cursor=row.cursor,
            created_at=row.created_at,
            ended_at=row.ended_at,
            runs=counts[row.id],
        )
        for row in rows
    ]
