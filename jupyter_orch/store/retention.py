"""Retention in the store: pins, the runs a rule lets go, and deleting runs with what points to
them (steps, attempts, log lines and notifications by cascade; schedule ticks by hand: they name
their run without a foreign key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from ..errors import NotFoundError
from ..records import ACTIVE_RUN_STATUSES
from .sessions import StoreSessions, pipeline_id_of
from .tables import RunRow, ScheduleTickRow

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
        Never a queued, running or pinned run."""
        if keep_last is None and max_age is None:
            return []
        with self._reads() as session:
            pipeline_id = pipeline_id_of(session, pipeline)
            rank = (
                func.row_number()
                .over(order_by=(RunRow.created_at.desc(), RunRow.id.desc()))
                .label("rank")
            )
            ranked = (
                select(RunRow.id, RunRow.run_dir, RunRow.created_at, RunRow.status, RunRow.pinned)
                .add_columns(rank)
                .where(RunRow.pipeline_id == pipeline_id)
                .subquery()
            )
            rules = []
            if keep_last is not None:
                rules.append(ranked.c.rank > keep_last)
            if max_age is not None:
                rules.append(ranked.c.created_at < now - timedelta(seconds=max_age))
            rows = session.execute(
                select(ranked.c.id, ranked.c.run_dir)
                .where(
                    or_(*rules),
                    ranked.c.status.not_in(_ACTIVE),
                    ranked.c.pinned.is_(False),
                )
                .order_by(ranked.c.created_at, ranked.c.id)
                .limit(limit)
            ).all()
        return [(run_id, run_dir) for run_id, run_dir in rows]

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Delete these runs' rows (unless one has become active or pinned meanwhile); how
        many went. One transaction: a run is there whole or not at all."""
        if not run_ids:
            return 0
        with self._sessions.begin() as session:
            gone = list(
                session.scalars(
                    select(RunRow.id).where(
                        RunRow.id.in_(list(run_ids)),
                        RunRow.status.not_in(_ACTIVE),
                        RunRow.pinned.is_(False),
                    )
                )
            )
            if gone:
                session.execute(delete(ScheduleTickRow).where(ScheduleTickRow.run_id.in_(gone)))
                session.execute(delete(RunRow).where(RunRow.id.in_(gone)))
        return len(gone)

    def known_runs(self, run_ids: Sequence[str]) -> set[str]:
        """Which of these ids are runs in the store."""
        if not run_ids:
            return set()
        with self._reads() as session:
            return set(session.scalars(select(RunRow.id).where(RunRow.id.in_(list(run_ids)))))
