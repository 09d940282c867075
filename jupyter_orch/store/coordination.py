"""Queries that let several schedulers share one store: instances and their heartbeats, the
leader lease, schedule state and ticks, admission of queued runs, event trigger states,
cancellation and the recovery of orphaned runs.

Every method is one transaction. On SQLite, write transactions are ``BEGIN IMMEDIATE`` and
so run one at a time; on PostgreSQL, admission and run creation lock a row
(``SELECT ... FOR UPDATE``) so that counts and inserts cannot interleave.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import NotFoundError
from ..records import (
    UNFINISHED_STEP_STATUSES,
    AttemptStatus,
    RunStatus,
    StepStatus,
    error_record,
)
from .tables import (
    InstanceRow,
    LeaseRow,
    PipelineRow,
    PipelineVersionRow,
    RunRow,
    ScheduleTickRow,
    StepAttemptRow,
    StepRunRow,
    TriggerStateRow,
)
from .types import (
    FinishedRun,
    Instance,
    PipelineState,
    RunningRun,
    Tick,
)

ADMISSION_LOCK = "admission"
_UNFINISHED_STEPS = [status.value for status in UNFINISHED_STEP_STATUSES]


def _instance(row: InstanceRow) -> Instance:
    return Instance(
        row.id, row.kind, row.host, row.pid, row.started_at, row.heartbeat_at, row.stopped_at
    )


def _latest_definitions(session: Session) -> list[tuple[int, dict[str, Any]]]:
    """(pipeline id, definition of its newest version) for every pipeline."""
    rows = session.execute(
        select(PipelineRow.id, PipelineVersionRow.definition).join(
            PipelineVersionRow,
            and_(
                PipelineVersionRow.pipeline_id == PipelineRow.id,
                PipelineVersionRow.version == PipelineRow.latest_version,
            ),
        )
    ).all()
    return [(pid, definition) for pid, definition in rows]


def pipeline_id_of(session: Session, name: str) -> int:
    """The row id of pipeline ``name``; NotFoundError when there is none."""
    pipeline_id = session.scalar(select(PipelineRow.id).where(PipelineRow.name == name))
    if pipeline_id is None:
        raise NotFoundError(f"no pipeline named {name!r}")
    return pipeline_id


def _webhook_secret(definition: dict[str, Any]) -> Any:
    on = definition.get("on") or {}
    webhook = on.get("webhook") if isinstance(on, dict) else None
    return webhook.get("secret_env") if isinstance(webhook, dict) else None


def _limit_of(definition: dict[str, Any]) -> int | None:
    value = (definition.get("limits") or {}).get("max_concurrent_runs")
    return int(value) if value else None


class CoordinationMixin:
    """Mixed into ``Store``: the multi-scheduler part of the repository."""

    _sessions: sessionmaker[Session]
    _reads: sessionmaker[Session]

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
            self._ensure_lease_row(session, name)
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

    def _ensure_lease_row(self, session: Session, name: str) -> None:
        if session.get(LeaseRow, name) is None:
            try:
                with session.begin_nested():
                    session.add(LeaseRow(name=name))
            except IntegrityError:
                pass  # another process inserted it first

    # --- pipelines as the scheduler sees them ---------------------------------------------------

    def set_pipeline_flags(
        self, name: str, *, active: bool | None = None, paused: bool | None = None
    ) -> None:
        """Apply or pause/resume a pipeline. Resuming recomputes the next slot from now."""
        values: dict[str, Any] = {}
        if active is not None:
            values["active"] = active
        if paused is not None:
            values["paused"] = paused
            if not paused:
                values.update(next_fire_at=None, schedule_key=None)
        with self._sessions.begin() as session:
            done = session.execute(
                update(PipelineRow).where(PipelineRow.name == name).values(**values)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise NotFoundError(f"no pipeline named {name!r}")

    def secret_variables(self) -> frozenset[str]:
        """The environment variables registered pipelines keep secrets in (webhook secrets):
        no step of any pipeline may see them."""
        with self._reads() as session:
            return frozenset(
                name
                for _, definition in _latest_definitions(session)
                if isinstance(name := _webhook_secret(definition), str)
            )

    def pipeline_state(self, name: str, *, history: bool = False) -> PipelineState:
        """One pipeline with its newest version."""
        found = self.pipeline_states(name=name, history=history)
        if not found:
            raise NotFoundError(f"no pipeline named {name!r}")
        return found[0]

    def pipeline_states(
        self, *, active_only: bool = False, history: bool = True, name: str | None = None
    ) -> list[PipelineState]:
        """Pipelines with their newest version; ``history`` adds the last run and missed ticks
        (listings want them, the leader's every-second round does not)."""
        with self._reads() as session:
            query = select(PipelineRow, PipelineVersionRow).join(
                PipelineVersionRow,
                and_(
                    PipelineVersionRow.pipeline_id == PipelineRow.id,
                    PipelineVersionRow.version == PipelineRow.latest_version,
                ),
            )
            if active_only:
                query = query.where(PipelineRow.active, PipelineRow.paused.is_(False))
            if name is not None:
                query = query.where(PipelineRow.name == name)
            rows = session.execute(query.order_by(PipelineRow.name)).all()
            last = self._last_runs(session) if history else {}
            missed = dict(
                session.execute(
                    select(ScheduleTickRow.pipeline_id, func.count())
                    .where(ScheduleTickRow.status == "missed")
                    .group_by(ScheduleTickRow.pipeline_id)
                ).all()
                if history
                else []
            )
            return [
                PipelineState(
                    name=p.name,
                    path=p.path,
                    version=p.latest_version,
                    definition=v.definition,
                    active=bool(p.active),
                    paused=bool(p.paused),
                    next_fire_at=p.next_fire_at,
                    schedule_key=p.schedule_key,
                    last_status=last.get(p.id, (None, None))[0],
                    last_run_at=last.get(p.id, (None, None))[1],
                    missed_ticks=int(missed.get(p.id, 0)),
                )
                for p, v in rows
            ]

    def _last_runs(self, session: Session) -> dict[int, tuple[str, datetime]]:
        newest = (
            select(RunRow.pipeline_id, func.max(RunRow.created_at).label("created"))
            .group_by(RunRow.pipeline_id)
            .subquery()
        )
        rows = session.execute(
            select(RunRow.pipeline_id, RunRow.status, RunRow.created_at).join(
                newest,
                and_(
                    newest.c.pipeline_id == RunRow.pipeline_id,
                    newest.c.created == RunRow.created_at,
                ),
            )
        ).all()
        return {pid: (status, created) for pid, status, created in rows}

    def set_next_fire(
        self, name: str, next_fire_at: datetime | None, schedule_key: str | None
    ) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(PipelineRow)
                .where(PipelineRow.name == name)
                .values(next_fire_at=next_fire_at, schedule_key=schedule_key)
            )

    def record_missed(self, name: str, missed: Sequence[tuple[datetime, str]]) -> int:
        """Store `missed` ticks (a slot already recorded is left as it is); how many were new."""
        if not missed:
            return 0
        with self._sessions.begin() as session:
            pipeline_id = self._pipeline_id(session, name)
            slots = [slot for slot, _ in missed]
            known = set(
                session.scalars(
                    select(ScheduleTickRow.slot).where(
                        ScheduleTickRow.pipeline_id == pipeline_id, ScheduleTickRow.slot.in_(slots)
                    )
                )
            )
            now = datetime.now(slots[0].tzinfo)
            fresh = [(slot, reason) for slot, reason in missed if slot not in known]
            session.add_all(
                ScheduleTickRow(
                    pipeline_id=pipeline_id,
                    slot=slot,
                    status="missed",
                    reason=reason,
                    created_at=now,
                )
                for slot, reason in fresh
            )
            return len(fresh)

    def ticks(self, name: str, *, limit: int = 50) -> list[Tick]:
        with self._reads() as session:
            pipeline_id = self._pipeline_id(session, name)
            rows = session.scalars(
                select(ScheduleTickRow)
                .where(ScheduleTickRow.pipeline_id == pipeline_id)
                .order_by(ScheduleTickRow.slot.desc())
                .limit(limit)
            ).all()
            return [Tick(name, r.slot, r.status, r.run_id, r.reason) for r in rows]

    def _pipeline_id(self, session: Session, name: str) -> int:
        return pipeline_id_of(session, name)

    # --- event trigger state ---------------------------------------------------------------

    def trigger_states(self, name: str) -> dict[str, dict[str, Any]]:
        with self._reads() as session:
            pipeline_id = self._pipeline_id(session, name)
            rows = session.scalars(
                select(TriggerStateRow).where(TriggerStateRow.pipeline_id == pipeline_id)
            ).all()
            return {row.key: dict(row.state) for row in rows}

    def _put_trigger_state(
        self, session: Session, name: str, key: str, state: dict[str, Any], now: datetime
    ) -> None:
        pipeline_id = self._pipeline_id(session, name)
        row = session.scalar(
            select(TriggerStateRow).where(
                TriggerStateRow.pipeline_id == pipeline_id, TriggerStateRow.key == key
            )
        )
        if row is None:
            session.add(
                TriggerStateRow(pipeline_id=pipeline_id, key=key, state=state, updated_at=now)
            )
        else:
            row.state = state
            row.updated_at = now

    def finished_runs(
        self, pipeline: str, status: str, after: tuple[datetime, str] | None, *, limit: int = 100
    ) -> list[FinishedRun]:
        """Runs of ``pipeline`` that ended with ``status`` after the (ended_at, id) watermark."""
        with self._reads() as session:
            query = (
                select(RunRow.id, RunRow.status, RunRow.ended_at)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(
                    PipelineRow.name == pipeline,
                    RunRow.status == status,
                    RunRow.ended_at.is_not(None),
                )
                .order_by(RunRow.ended_at, RunRow.id)
                .limit(limit)
            )
            if after is not None:
                ended, run_id = after
                query = query.where(
                    or_(RunRow.ended_at > ended, and_(RunRow.ended_at == ended, RunRow.id > run_id))
                )
            return [
                FinishedRun(rid, pipeline, st, ended_at)
                for rid, st, ended_at in session.execute(query)
                if ended_at is not None
            ]

    # --- admission: queued runs start, within limits, first in first out -----------------------

    def claim_queued(
        self, instance_id: str, *, capacity: int, global_limit: int, now: datetime
    ) -> list[str]:
        """Start (mark `running`, claimed by ``instance_id``) the oldest admissible queued runs."""
        if capacity <= 0:
            return []
        with self._sessions.begin() as session:
            running, per_pipeline, limits = self._admission_counts(session)
            queued = session.execute(
                select(RunRow.id, RunRow.pipeline_id)
                .where(RunRow.status == RunStatus.QUEUED.value)
                .order_by(RunRow.created_at, RunRow.id)
                .limit(500)
            ).all()
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
            running, per_pipeline, limits = self._admission_counts(session)
            row = session.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r}")
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

    def _admission_counts(
        self, session: Session
    ) -> tuple[int, Counter[int], dict[int, int | None]]:
        # PostgreSQL: one admission at a time (SQLite's BEGIN IMMEDIATE already serialises).
        self._ensure_lease_row(session, ADMISSION_LOCK)
        session.execute(select(LeaseRow).where(LeaseRow.name == ADMISSION_LOCK).with_for_update())
        per_pipeline: Counter[int] = Counter(
            dict(
                session.execute(
                    select(RunRow.pipeline_id, func.count())
                    .where(RunRow.status == RunStatus.RUNNING.value)
                    .group_by(RunRow.pipeline_id)
                ).all()
            )
        )
        limits = {pid: _limit_of(definition) for pid, definition in _latest_definitions(session)}
        return sum(per_pipeline.values()), per_pipeline, limits

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
                self._finish(session, row, RunStatus.CANCELLED, "cancelled before it started", now)
                return "dropped"
            if row.status == RunStatus.RUNNING.value:
                row.cancel_requested = True
                return "requested"
            return "finished"

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

    def _finish(
        self,
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
            update(StepRunRow)
            .where(StepRunRow.id.in_(running_steps))
            .values(status=failed_step.value)
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
            self._finish(session, row, status, error, now)
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
