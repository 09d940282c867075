"""Queries that let several schedulers share one store: instances and their heartbeats, the
leader lease, admission of queued runs, cancellation and the recovery of orphaned runs.

Every method is one transaction. On SQLite, write transactions are ``BEGIN IMMEDIATE`` and
so run one at a time; on PostgreSQL, admission and run creation lock a row
(``SELECT ... FOR UPDATE``) so that counts and inserts cannot interleave.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from ..records import AttemptStatus, RunStatus, StepStatus, error_record
from .run_rows import finish_run
from .sessions import StoreSessions, latest_definitions
from .tables import InstanceRow, LeaseRow, PipelineRow, RunRow, StepAttemptRow, StepRunRow
from .types import Instance, RunningRun

ADMISSION_LOCK = "admission"


class InstancesMixin(StoreSessions):
    """Mixed into ``Store``: the multi-scheduler part of the store."""

    # --- instances and the leader lease ---------------------------------------------------------

    def register_instance(self, kind: str, now: datetime) -> Instance:
        host = socket.gethostname()
        row = InstanceRow(
            id=f"{kind}:{host}:{os.getpid()}:{secrets.token_hex(4)}",
            kind=kind,
            host=host,
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
        )
        with self._sessions.begin() as session:
            session.add(row)
        return _instance(row)

    def beat(self, instance_id: str, now: datetime) -> list[str]:
        """Heartbeat the instance, its runs and their running attempts.

        Returns the ids of its runs whose cancellation was requested.
        """
        with self._sessions.begin() as session:
            session.execute(
                update(InstanceRow).where(InstanceRow.id == instance_id).values(heartbeat_at=now)
            )
            mine = and_(RunRow.claimed_by == instance_id, RunRow.status == RunStatus.RUNNING.value)
            session.execute(update(RunRow).where(mine).values(heartbeat_at=now))
            session.execute(
                update(StepAttemptRow)
                .where(
                    StepAttemptRow.status == AttemptStatus.RUNNING.value,
                    StepAttemptRow.run_id.in_(select(RunRow.id).where(mine)),
                )
                .values(heartbeat_at=now)
            )
            return list(session.scalars(select(RunRow.id).where(mine, RunRow.cancel_requested)))

    def stop_instance(self, instance_id: str, now: datetime) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(InstanceRow).where(InstanceRow.id == instance_id).values(stopped_at=now)
            )

    def prune_instances(self, before: datetime) -> int:
        """Forget instances that stopped (or went silent) before ``before`` and hold no run."""
        with self._sessions.begin() as session:
            holding = select(RunRow.claimed_by).where(
                RunRow.status == RunStatus.RUNNING.value, RunRow.claimed_by.is_not(None)
            )
            done = session.execute(
                delete(InstanceRow).where(
                    or_(InstanceRow.stopped_at < before, InstanceRow.heartbeat_at < before),
                    InstanceRow.id.not_in(holding),
                )
            )
            return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def instances(self, kinds: Iterable[str] | None = None) -> list[Instance]:
        with self._reads() as session:
            query = select(InstanceRow).where(InstanceRow.stopped_at.is_(None))
            if kinds is not None:
                query = query.where(InstanceRow.kind.in_(list(kinds)))
            return [_instance(row) for row in session.scalars(query)]

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: float) -> bool:
        """Take or renew the lease ``name``; False while another holder's lease is valid."""
        expires = now + timedelta(seconds=ttl)
        with self._sessions.begin() as session:
            _ensure_lease_row(session, name)
            taken = session.execute(
                update(LeaseRow)
                .where(
                    LeaseRow.name == name,
                    or_(
                        LeaseRow.holder == holder,
                        LeaseRow.holder.is_(None),
                        LeaseRow.expires_at < now,
                    ),
                )
                .values(holder=holder, expires_at=expires)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def release_lease(self, name: str, holder: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .values(holder=None, expires_at=None)
            )

    # --- admission: queued runs start, within limits, first in first out -----------------------

    def claim_queued(
        self, instance_id: str, *, capacity: int, global_limit: int, now: datetime
    ) -> list[str]:
        """Start (mark `running`, claimed by ``instance_id``) the oldest admissible queued runs."""
        if capacity <= 0:
            return []
        is_queued = RunRow.status == RunStatus.QUEUED.value
        with self._sessions.begin() as session:
            # Admission locks: only when a run waits. Which runs, is read under the lock, and
            # only their pipelines' limits (not 10,000 definitions on every claim).
            if session.scalar(select(RunRow.id).where(is_queued).limit(1)) is None:
                return []
            _lock_admission(session)
            queued = session.execute(
                select(RunRow.id, RunRow.pipeline_id)
                .where(is_queued)
                .order_by(RunRow.created_at, RunRow.id)
                .limit(500)
            ).all()
            running, per_pipeline, limits = _admission_counts(
                session, {pipeline_id for _, pipeline_id in queued}
            )
            claimed: list[str] = []
            for run_id, pipeline_id in queued:
                if len(claimed) >= capacity or running >= global_limit:
                    break
                limit = limits.get(pipeline_id)
                if limit is not None and per_pipeline[pipeline_id] >= limit:
                    continue
                running += 1
                per_pipeline[pipeline_id] += 1
                claimed.append(run_id)
            if claimed:
                session.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(claimed))
                    .values(
                        status=RunStatus.RUNNING.value, claimed_by=instance_id, heartbeat_at=now
                    )
                )
            return claimed

    def claim_run(self, run_id: str, instance_id: str, *, global_limit: int, now: datetime) -> bool:
        """Start one queued run if the limits allow it now (the CLI's ``run``)."""
        with self._sessions.begin() as session:
            _lock_admission(session)
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            running, per_pipeline, limits = _admission_counts(session, {row.pipeline_id})
            if row.status != RunStatus.QUEUED.value:
                return row.claimed_by == instance_id
            limit = limits.get(row.pipeline_id)
            if running >= global_limit or (
                limit is not None and per_pipeline[row.pipeline_id] >= limit
            ):
                return False
            row.status = RunStatus.RUNNING.value
            row.claimed_by = instance_id
            row.heartbeat_at = now
            return True

    # --- cancellation ---------------------------------------------------------------------------

    def request_cancel(self, run_id: str, now: datetime) -> str:
        """Cancel a queued run at once, ask the executor of a running one. Returns what
        happened: ``dropped`` (it was queued), ``requested`` (its executor stops it), or
        ``finished`` (nothing to do)."""
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            if row.status == RunStatus.QUEUED.value:
                finish_run(session, row, RunStatus.CANCELLED, "cancelled before it started", now)
                return "dropped"
            if row.status == RunStatus.RUNNING.value:
                row.cancel_requested = True
                return "requested"
            return "finished"

    # --- crash recovery -------------------------------------------------------------------------

    def running_runs(self) -> list[RunningRun]:
        with self._reads() as session:
            rows = session.execute(
                select(RunRow, PipelineRow.name, InstanceRow)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .outerjoin(InstanceRow, InstanceRow.id == RunRow.claimed_by)
                .where(RunRow.status == RunStatus.RUNNING.value)
            ).all()
            result = []
            for run, pipeline, instance in rows:
                processes = session.scalars(
                    select(StepAttemptRow.processes).where(
                        StepAttemptRow.run_id == run.id,
                        StepAttemptRow.status == AttemptStatus.RUNNING.value,
                        StepAttemptRow.processes.is_not(None),
                    )
                ).all()
                result.append(
                    RunningRun(
                        run.id,
                        pipeline,
                        run.version,
                        run.claimed_by,
                        _instance(instance) if instance is not None else None,
                        run.heartbeat_at,
                        bool(run.cancel_requested),
                        tuple(p for p in processes if p),
                    )
                )
            return result

    def release_unstarted(self, instance_id: str) -> list[str]:
        """Give back the runs this instance claimed but never started (it is stopping): they
        are queued again for the next scheduler, as if never claimed."""
        with self._sessions.begin() as session:
            mine = and_(
                RunRow.claimed_by == instance_id,
                RunRow.status == RunStatus.RUNNING.value,
                RunRow.started_at.is_(None),
            )
            ids = list(session.scalars(select(RunRow.id).where(mine).with_for_update()))
            if ids:
                session.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(ids))
                    .values(status=RunStatus.QUEUED.value, claimed_by=None, heartbeat_at=None)
                )
            return ids

    def end_orphan(
        self, run_id: str, claimed_by: str | None, status: RunStatus, error: str, now: datetime
    ) -> bool:
        """Finish an orphaned run (if it is still running under ``claimed_by``)."""
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None or row.status != RunStatus.RUNNING.value or row.claimed_by != claimed_by:
                return False
            finish_run(session, row, status, error, now)
            return True

    def requeue_orphan(
        self,
        run_id: str,
        claimed_by: str | None,
        *,
        error: str,
        retry_at: dict[str, datetime | None],
        now: datetime,
    ) -> bool:
        """Fail the run's running attempts as orphaned and queue the run to be resumed.

        ``retry_at``: for each step that was running, when its next attempt starts, or None
        when it has no retry left (it fails).
        """
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None or row.status != RunStatus.RUNNING.value or row.claimed_by != claimed_by:
                return False
            session.execute(
                update(StepAttemptRow)
                .where(
                    StepAttemptRow.run_id == run_id,
                    StepAttemptRow.status == AttemptStatus.RUNNING.value,
                )
                .values(
                    status=AttemptStatus.FAILED.value,
                    ended_at=now,
                    error=error_record("Orphaned", error),
                )
            )
            for step, when in retry_at.items():
                status = StepStatus.RETRYING if when is not None else StepStatus.FAILED
                session.execute(
                    update(StepRunRow)
                    .where(StepRunRow.run_id == run_id, StepRunRow.name == step)
                    .values(status=status.value, next_attempt_at=when)
                )
            row.status = RunStatus.QUEUED.value
            row.claimed_by = None
            row.heartbeat_at = None
            return True


def _instance(row: InstanceRow) -> Instance:
    return Instance(
        row.id, row.kind, row.host, row.pid, row.started_at, row.heartbeat_at, row.stopped_at
    )


def _ensure_lease_row(session: Session, name: str) -> None:
    if session.get(LeaseRow, name) is None:
        try:
            with session.begin_nested():
                session.add(LeaseRow(name=name))
        except IntegrityError:
            pass  # another process inserted it first


def _lock_admission(session: Session) -> None:
    """One admission at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises)."""
    _ensure_lease_row(session, ADMISSION_LOCK)
    session.execute(select(LeaseRow).where(LeaseRow.name == ADMISSION_LOCK).with_for_update())


def _admission_counts(
    session: Session, pipeline_ids: Collection[int]
) -> tuple[int, Counter[int], dict[int, int | None]]:
    """Runs running in all, and per pipeline; the limits of ``pipeline_ids`` (under the lock)."""
    per_pipeline: Counter[int] = Counter(
        dict(
            session.execute(
                select(RunRow.pipeline_id, func.count())
                .where(RunRow.status == RunStatus.RUNNING.value)
                .group_by(RunRow.pipeline_id)
            ).all()
        )
    )
    limits = {
        pid: _limit_of(definition) for pid, definition in latest_definitions(session, pipeline_ids)
    }
    return sum(per_pipeline.values()), per_pipeline, limits


def _limit_of(definition: dict[str, Any]) -> int | None:
    value = (definition.get("limits") or {}).get("max_concurrent_runs")
    return int(value) if value else None
