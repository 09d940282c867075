"""The repository: the only place with queries of our own. Returns records, never rows."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConflictError, NotFoundError
from ..records import (
    ACTIVE_RUN_STATUSES,
    AttemptRecord,
    AttemptStatus,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
    Trigger,
)
from .catalog import CatalogMixin
from .coordination import CoordinationMixin
from .engine import READ_ONLY, make_engine, migrate
from .requests import RequestsMixin
from .tables import (
    LogLineRow,
    PipelineRow,
    PipelineVersionRow,
    RunRow,
    ScheduleTickRow,
    StepAttemptRow,
    StepRunRow,
)
from .types import (
    LogLine,
    NewRun,
    OverlapSkipped,
    PipelineVersion,
    Registration,
    SlotTaken,
    new_run_id,
    utcnow,
)

_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]


class Store(CoordinationMixin, CatalogMixin, RequestsMixin):
    """Pipelines, versions, runs, attempts and logs in one SQLAlchemy database."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: Sessions that only read: on SQLite they begin deferred, so the panel's polls never
        #: queue for the write lock behind the scheduler and the runs it records.
        self._reads = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str) -> Store:
        store = cls(url)
        migrate(store.engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    # --- pipelines ----------------------------------------------------------------------------

    def register(
        self,
        name: str,
        path: str,
        source: str,
        definition: dict[str, Any],
        *,
        replace: bool = False,
    ) -> Registration:
        """Record a pipeline file; a changed file makes a new version, the same one does not."""
        digest = hashlib.sha256(source.encode()).hexdigest()
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.scalar(select(PipelineRow).where(PipelineRow.name == name))
            if row is None:
                row = PipelineRow(
                    name=name, path=path, latest_version=0, created_at=now, updated_at=now
                )
                session.add(row)
                session.flush()
            elif row.path != path and not replace:
                raise ConflictError(
                    f"a pipeline named {name!r} is already registered from {row.path}; rename "
                    f"this one, or pass --replace to make {path} its file from now on"
                )
            latest = session.scalar(
                select(PipelineVersionRow).where(
                    PipelineVersionRow.pipeline_id == row.id,
                    PipelineVersionRow.version == row.latest_version,
                )
            )
            if latest is not None and latest.content_hash == digest and latest.path == path:
                return Registration(_version(name, latest), created=False)
            row.latest_version += 1
            row.path = path
            row.updated_at = now
            version = PipelineVersionRow(
                pipeline_id=row.id,
                version=row.latest_version,
                content_hash=digest,
                path=path,
                source=source,
                definition=definition,
                created_at=now,
            )
            session.add(version)
            return Registration(_version(name, version), created=True)

    def get_version(self, name: str, version: int | None = None) -> PipelineVersion:
        with self._reads() as session:
            row = session.scalar(select(PipelineRow).where(PipelineRow.name == name))
            if row is None:
                raise NotFoundError(f"no pipeline named {name!r}")
            number = version if version is not None else row.latest_version
            # A number no column can hold names no version (and would overflow the driver)
            found = (
                None
                if not 0 < number < 2**31
                else session.scalar(
                    select(PipelineVersionRow).where(
                        PipelineVersionRow.pipeline_id == row.id,
                        PipelineVersionRow.version == number,
                    )
                )
            )
            if found is None:
                raise NotFoundError(f"pipeline {name!r} has no version {number}")
            return _version(name, found)

    # --- runs ---------------------------------------------------------------------------------

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
        run_id: str | None = None,
        scheduled_for: datetime | None = None,
        event: dict[str, Any] | None = None,
        overlap_limit: int | None = None,
        tick_slot: datetime | None = None,
        reused: Sequence[tuple[str, str, AttemptRecord]] = (),
    ) -> RunRecord:
        new = NewRun(
            pipeline,
            version,
            trigger,
            parameters,
            tuple(steps),
            runs_dir,
            rerun_of=rerun_of,
            run_id=run_id,
            scheduled_for=scheduled_for,
            event=event,
            reused=tuple(reused),
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
                run_id = self._insert_run(session, new, overlap_limit=overlap_limit)
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

    def create_event_runs(
        self,
        runs: Sequence[NewRun],
        *,
        trigger_key: tuple[str, str],
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
                        created.append(self._insert_run(session, new, overlap_limit=overlap_limit))
                except OverlapSkipped as exc:
                    skipped.append(str(exc))
            pipeline, key = trigger_key
            self._put_trigger_state(session, pipeline, key, state, now)
        return created, skipped

    def _insert_run(self, session: Session, new: NewRun, *, overlap_limit: int | None) -> str:
        row = session.scalar(
            select(PipelineRow).where(PipelineRow.name == new.pipeline).with_for_update()
        )
        if row is None:
            raise NotFoundError(f"no pipeline named {new.pipeline!r}")
        if overlap_limit is not None:
            active = session.scalar(
                select(func.count())
                .select_from(RunRow)
                .where(RunRow.pipeline_id == row.id, RunRow.status.in_(_ACTIVE))
            )
            if (active or 0) >= overlap_limit:
                raise OverlapSkipped(
                    f"pipeline {new.pipeline!r} already has {active} active run"
                    f"{'s' * (active != 1)} (max_concurrent_runs {overlap_limit}, overlap: skip)"
                )
        run_id = new.run_id or new_run_id()
        session.add(
            RunRow(
                id=run_id,
                pipeline_id=row.id,
                version=new.version,
                status=RunStatus.QUEUED.value,
                trigger=new.trigger.value,
                parameters=new.parameters,
                run_dir=f"{new.runs_dir.rstrip('/')}/{new.pipeline}/{run_id}",
                created_at=utcnow(),
                rerun_of=new.rerun_of,
                scheduled_for=new.scheduled_for,
                event=new.event,
                idempotency_key=new.idempotency_key,
                request_hash=new.request_hash,
            )
        )
        session.flush()
        reused = {name: (source, attempt) for name, source, attempt in new.reused}
        for position, (name, needs) in enumerate(new.steps):
            step = StepRunRow(
                run_id=run_id,
                name=name,
                position=position,
                needs=list(needs),
                status=StepStatus.PENDING.value,
            )
            session.add(step)
            if name in reused:
                source, attempt = reused[name]
                step.status = StepStatus.SUCCEEDED.value
                step.reused_from = source
                session.flush()
                attempt_row = StepAttemptRow(
                    step_run_id=step.id, run_id=run_id, number=attempt.number
                )
                _fill_attempt(attempt_row, attempt)
                session.add(attempt_row)
        return run_id

    def update_run(self, run_id: str, **fields: Any) -> None:
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        with self._sessions.begin() as session:
            session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def update_step(self, run_id: str, name: str, **fields: Any) -> None:
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        with self._sessions.begin() as session:
            session.execute(
                update(StepRunRow)
                .where(StepRunRow.run_id == run_id, StepRunRow.name == name)
                .values(**values)
            )

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
            row = session.scalar(
                select(StepAttemptRow).where(
                    StepAttemptRow.step_run_id == step_id, StepAttemptRow.number == attempt.number
                )
            )
            if row is None:
                row = StepAttemptRow(step_run_id=step_id, run_id=run_id, number=attempt.number)
                session.add(row)
            _fill_attempt(row, attempt)

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
            steps: dict[str, list[StepRunRow]] = defaultdict(list)
            for step in session.scalars(
                select(StepRunRow)
                .where(StepRunRow.run_id.in_(run_ids))
                .order_by(StepRunRow.position)
            ):
                steps[step.run_id].append(step)
            attempts: dict[str, list[StepAttemptRow]] = defaultdict(list)
            for attempt in session.scalars(
                select(StepAttemptRow)
                .where(StepAttemptRow.run_id.in_(run_ids))
                .order_by(StepAttemptRow.number)
            ):
                attempts[attempt.run_id].append(attempt)
            by_id = {
                run.id: _run(run, pipeline, steps[run.id], attempts[run.id])
                for run, pipeline in found
            }
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 20,
    ) -> list[RunRecord]:
        """Runs newest first, with their steps."""
        with self._reads() as session:
            query = (
                select(RunRow.id)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .order_by(RunRow.created_at.desc(), RunRow.id.desc())
                .limit(limit)
            )
            if pipeline:
                query = query.where(PipelineRow.name == pipeline)
            if status:
                query = query.where(RunRow.status == status)
            ids = session.scalars(query).all()
        return self.get_runs(ids)

    # --- logs ---------------------------------------------------------------------------------

    def add_logs(self, run_id: str, lines: Iterable[LogLine]) -> None:
        rows = [
            LogLineRow(run_id=run_id, ts=ln.ts, step=ln.step, stream=ln.stream, message=ln.message)
            for ln in lines
        ]
        if not rows:
            return
        with self._sessions.begin() as session:
            session.add_all(rows)

    def get_logs(self, run_id: str, *, after_id: int = 0) -> list[LogLine]:
        self.get_run(run_id)  # raises NotFoundError for an unknown run
        with self._reads() as session:
            rows = session.scalars(
                select(LogLineRow)
                .where(LogLineRow.run_id == run_id, LogLineRow.id > after_id)
                .order_by(LogLineRow.id)
            ).all()
            return [LogLine(r.ts, r.step, r.stream, r.message, r.id) for r in rows]

    def delete_run(self, run_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(RunRow).where(RunRow.id == run_id))


def _fill_attempt(row: StepAttemptRow, attempt: AttemptRecord) -> None:
    row.status = attempt.status.value
    row.started_at = attempt.started_at
    row.ended_at = attempt.ended_at
    row.outputs = dict(attempt.outputs)
    row.error = attempt.error
    row.output_notebook = attempt.output_notebook


def _version(name: str, row: PipelineVersionRow) -> PipelineVersion:
    return PipelineVersion(name, row.version, row.path, row.source, row.definition, row.created_at)


def _run(
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
        scheduled_for=run.scheduled_for,
        event=run.event,
        steps=tuple(
            StepRecord(
                name=s.name,
                needs=tuple(s.needs or ()),
                status=StepStatus(s.status),
                attempts=tuple(by_step.get(s.id, ())),
                reused_from=s.reused_from,
                next_attempt_at=s.next_attempt_at,
            )
            for s in steps
        ),
    )
