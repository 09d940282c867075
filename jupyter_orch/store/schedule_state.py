"""Pipelines as the scheduler sees them: applied or paused, their next run, schedule ticks,
event trigger states and the runs events fire."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..errors import NotFoundError
from .outbox import queue_missed
from .run_rows import insert_run
from .sessions import (
    StoreSessions,
    latest_definitions,
    newest_rows_of,
    of_trigger,
    pipeline_id_of,
)
from .tables import EventStateRow, PipelineRow, PipelineVersionRow, RunRow, ScheduleTickRow
from .types import FinishedRun, NewRun, OverlapSkipped, PipelineState, Tick, utcnow


class ScheduleStateMixin(StoreSessions):
    """Mixed into ``Store``."""

    # --- pipelines as the scheduler sees them ---------------------------------------------------

    def set_pipeline_flags(
        self,
        name: str,
        *,
        active: bool | None = None,
        paused: bool | None = None,
        archived: bool | None = None,
    ) -> None:
        """Apply, pause/resume or archive/unarchive a pipeline. Resuming and unarchiving
        recompute the next slot from now (the slots in between are not caught up)."""
        values: dict[str, Any] = {}
        if active is not None:
            values["active"] = active
        for flag, value in (("paused", paused), ("archived", archived)):
            if value is not None:
                values[flag] = value
                if not value:
                    values.update(next_run_at=None, schedule_key=None)
        with self._sessions.begin() as session:
            done = session.execute(
                update(PipelineRow).where(PipelineRow.name == name).values(**values)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise NotFoundError(f"no pipeline named {name!r}")

    def secret_variables(self) -> frozenset[str]:
        """The environment variables registered pipelines keep secrets in (webhook secrets,
        ``secrets:``): no step sees them under their own name (a pipeline's own secrets reach
        its steps as ``JUPYTER_ORCH_SECRET_<NAME>``)."""
        with self._reads() as session:
            return frozenset(
                name
                for _, definition in latest_definitions(session)
                for name in _secret_names(definition)
            )

    def pipeline_state(self, name: str, *, history: bool = False) -> PipelineState:
        """One pipeline with its newest version."""
        found = self.pipeline_states(name=name, history=history)
        if not found:
            raise NotFoundError(f"no pipeline named {name!r}")
        return found[0]

    def pipeline_states(
        self,
        *,
        active_only: bool = False,
        history: bool = True,
        name: str | None = None,
        archived: bool = True,
    ) -> list[PipelineState]:
        """Pipelines with their newest version; ``history`` adds the last run and missed ticks
        (listings want them, the leader's every-second round does not). ``active_only``: the
        ones that fire (applied, neither paused nor archived); ``archived=False`` leaves the
        archived ones out."""
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
            if active_only or not archived:
                query = query.where(PipelineRow.archived.is_(False))
            if name is not None:
                query = query.where(PipelineRow.name == name)
            rows = session.execute(query.order_by(PipelineRow.name)).all()
            last = _last_runs(session) if history else {}
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
                    archived=bool(p.archived),
                    next_run_at=p.next_run_at,
                    schedule_key=p.schedule_key,
                    last_status=last.get(p.id, (None, None))[0],
                    last_run_at=last.get(p.id, (None, None))[1],
                    missed_ticks=int(missed.get(p.id, 0)),
                )
                for p, v in rows
            ]

    def set_next_run(
        self, name: str, next_run_at: datetime | None, schedule_key: str | None
    ) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(PipelineRow)
                .where(PipelineRow.name == name)
                .values(next_run_at=next_run_at, schedule_key=schedule_key)
            )

    def record_missed(self, name: str, missed: Sequence[tuple[datetime, str]]) -> int:
        """Store `missed` ticks (a slot already recorded is left as it is); how many were new."""
        if not missed:
            return 0
        with self._sessions.begin() as session:
            pipeline_id = pipeline_id_of(session, name)
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
            queue_missed(session, pipeline_id, fresh, now)
            return len(fresh)

    def ticks(self, name: str, *, limit: int = 50) -> list[Tick]:
        with self._reads() as session:
            rows = newest_rows_of(session, ScheduleTickRow, name, ScheduleTickRow.slot, limit)
            return [Tick(name, r.slot, r.status, r.run_id, r.reason) for r in rows]

    # --- event triggers -------------------------------------------------------------------------

    def event_states(self, name: str) -> dict[str, dict[str, Any]]:
        with self._reads() as session:
            pipeline_id = pipeline_id_of(session, name)
            rows = session.scalars(
                select(EventStateRow).where(EventStateRow.pipeline_id == pipeline_id)
            ).all()
            return {row.key: dict(row.state) for row in rows}

    def create_event_runs(
        self,
        runs: Sequence[NewRun],
        *,
        event_key: tuple[str, str],
        state: dict[str, Any],
        overlap_limit: int | None = None,
    ) -> tuple[list[str], list[str]]:
        """Store the runs an event fired and the trigger's new state, in one transaction, so a
        change fires exactly once. Returns (created run ids, reasons for runs not created)."""
        created: list[str] = []
        skipped: list[str] = []
        now = utcnow()
        with self._sessions.begin() as session:
            for new in runs:
                try:
                    with session.begin_nested():
                        created.append(insert_run(session, new, overlap_limit=overlap_limit))
                except OverlapSkipped as exc:
                    skipped.append(str(exc))
            pipeline, key = event_key
            _put_event_state(session, pipeline, key, state, now)
        return created, skipped

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
                    of_trigger(None),  # a test run fires no event
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


def _last_runs(session: Session) -> dict[int, tuple[str, datetime]]:
    newest = (
        select(RunRow.pipeline_id, func.max(RunRow.created_at).label("created"))
        .where(of_trigger(None))  # a test run says nothing of its health
        .group_by(RunRow.pipeline_id)
        .subquery()
    )
    rows = session.execute(
        select(RunRow.pipeline_id, RunRow.status, RunRow.created_at).join(
            newest,
            and_(
                newest.c.pipeline_id == RunRow.pipeline_id,
                newest.c.created == RunRow.created_at,
                of_trigger(None),
            ),
        )
    ).all()
    return {pid: (status, created) for pid, status, created in rows}


def _put_event_state(
    session: Session, name: str, key: str, state: dict[str, Any], now: datetime
) -> None:
    pipeline_id = pipeline_id_of(session, name)
    row = session.scalar(
        select(EventStateRow).where(
            EventStateRow.pipeline_id == pipeline_id, EventStateRow.key == key
        )
    )
    if row is None:
        session.add(EventStateRow(pipeline_id=pipeline_id, key=key, state=state, updated_at=now))
    else:
        row.state = state
        row.updated_at = now


def _secret_names(definition: dict[str, Any]) -> list[str]:
    on = definition.get("on") or {}
    webhook = on.get("webhook") if isinstance(on, dict) else None
    names = [webhook.get("secret_env")] if isinstance(webhook, dict) else []
    listed = definition.get("secrets")
    names += listed if isinstance(listed, list) else []
    return [name for name in names if isinstance(name, str)]
