"""Retention in the store: pins, the runs a rule lets go, and deleting runs with what points to
them (steps, attempts, log lines and notifications by cascade; schedule ticks by hand: they name
their run without a foreign key), journalling their folders (``pruned_folders``) until the
files are gone too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update

from ..errors import NotFoundError
from ..records import ACTIVE_RUN_STATUSES
from .backfills import tally_pruned
from .sessions import StoreSessions, of_trigger, pipeline_id_of
from .tables import PipelineRow, PrunedFolderRow, RunRow, ScheduleTickRow
from .types import utcnow

_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]


class RetentionMixin(StoreSessions):
    """Mixed into ``Store``."""

    def set_pinned(self, run_id: str, pinned: bool) -> None:
        with self._sessions.begin() as session:
            changed = session.execute(
                update(RunRow).where(RunRow.id == run_id).values(pinned=pinned)
            )
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFoundError(f"no run with id {run_id!r}")

    def expired_runs(
        self,
        pipeline: str,
        now: datetime,
        *,
        keep_last: int | None = None,
        max_age: float | None = None,
        limit: int = 500,
    ) -> list[tuple[str, str]]:
        """(id, run folder) of the pipeline's runs that a rule lets go, oldest first: beyond
        its ``keep_last`` newest runs, or created more than ``max_age`` seconds before ``now``.
        Never a queued, running or pinned run. Test runs (``jupyter orch test``) count for no
        rule: ``keep_last`` counts the others, and test runs older than the runs it keeps, or
        than ``max_age``, go with them."""
        if keep_last is None and max_age is None:
            return []
        with self._reads() as session:
            pipeline_id = pipeline_id_of(session, pipeline)
            newest_first = (RunRow.created_at.desc(), RunRow.id.desc())
            rules = []
            if keep_last is not None:
                # the oldest run keep_last may keep (one indexed read, not a rank of every run)
                boundary = session.execute(
                    select(RunRow.created_at, RunRow.id)
                    .where(RunRow.pipeline_id == pipeline_id, of_trigger(None))
                    .order_by(*newest_first)
                    .offset(keep_last - 1)
                    .limit(1)
                ).first()
                if boundary is not None:
                    created, run_id = boundary
                    rules.append(
                        or_(
                            RunRow.created_at < created,
                            and_(RunRow.created_at == created, RunRow.id < run_id),
                        )
                    )
            if max_age is not None:
                rules.append(RunRow.created_at < now - timedelta(seconds=max_age))
            if not rules:
                return []
            rows = session.execute(
                select(RunRow.id, RunRow.run_dir)
                .where(
                    RunRow.pipeline_id == pipeline_id,
                    or_(*rules),
                    RunRow.status.not_in(_ACTIVE),
                    RunRow.pinned.is_(False),
                )
                .order_by(RunRow.created_at, RunRow.id)
                .limit(limit)
            ).all()
        return [(run_id, run_dir) for run_id, run_dir in rows]

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]:
        """Delete these runs' rows (unless one has become active or pinned meanwhile) and
        journal their folders, in one transaction; the ids that went."""
        if not run_ids:
            return []
        with self._sessions.begin() as session:
            gone = session.execute(
                select(
                    RunRow.id, RunRow.run_dir, PipelineRow.name, RunRow.backfill_id, RunRow.status
                )
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(
                    RunRow.id.in_(list(run_ids)),
                    RunRow.status.not_in(_ACTIVE),
                    RunRow.pinned.is_(False),
                )
            ).all()
            ids = [run_id for run_id, *_ in gone]
            if ids:
                now = utcnow()
                session.add_all(
                    PrunedFolderRow(run_id=i, pipeline=name, run_dir=folder, deleted_at=now)
                    for i, folder, name, _, _ in gone
                )
                tally_pruned(session, [(backfill_id, status) for *_, backfill_id, status in gone])
                session.execute(delete(ScheduleTickRow).where(ScheduleTickRow.run_id.in_(ids)))
                session.execute(delete(RunRow).where(RunRow.id.in_(ids)))
        return ids

    def pruned_folders(self, pipeline: str, *, limit: int = 500) -> list[tuple[str, str]]:
        """(run id, folder) of deleted runs whose folders may still be there."""
        with self._reads() as session:
            rows = session.execute(
                select(PrunedFolderRow.run_id, PrunedFolderRow.run_dir)
                .where(PrunedFolderRow.pipeline == pipeline)
                .order_by(PrunedFolderRow.run_id)
                .limit(limit)
            ).all()
        return [(run_id, run_dir) for run_id, run_dir in rows]

    def forget_pruned(self, run_ids: Sequence[str]) -> None:
        """Their folders are gone."""
        if run_ids:
            with self._sessions.begin() as session:
                session.execute(
                    delete(PrunedFolderRow).where(PrunedFolderRow.run_id.in_(list(run_ids)))
                )
