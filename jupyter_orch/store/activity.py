"""The activity log's rows: appended, read newest first with filters and a cursor, and removed
only by age."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from .sessions import StoreSessions
from .tables import ActivityRow
from .types import ActivityEntry


def _entry(row: ActivityRow) -> ActivityEntry:
    return ActivityEntry(
        at=row.at,
        actor=row.actor,
        origin=row.origin,
        action=row.action,
        pipeline=row.pipeline,
        run_id=row.run_id,
        detail=dict(row.detail or {}),
        address=row.address,
        id=row.id,
    )


class ActivityMixin(StoreSessions):
    """Mixed into ``Store``."""

    def add_activity(self, entry: ActivityEntry) -> None:
        with self._sessions.begin() as session:
            session.add(
                ActivityRow(
                    at=entry.at,
                    actor=entry.actor,
                    origin=entry.origin,
                    address=entry.address,
                    action=entry.action,
                    pipeline=entry.pipeline,
                    run_id=entry.run_id,
                    detail=entry.detail,
                )
            )

    def activity(
        self,
        *,
        pipeline: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[ActivityEntry]:
        """Entries newest first; ``before``: only those older than that entry (the cursor)."""
        query = select(ActivityRow).order_by(ActivityRow.id.desc()).limit(limit)
        if pipeline is not None:
            query = query.where(ActivityRow.pipeline == pipeline)
        if actor is not None:
            query = query.where(ActivityRow.actor == actor)
        if since is not None:
            query = query.where(ActivityRow.at >= since)
        if before is not None:
            query = query.where(ActivityRow.id < before)
        with self._reads() as session:
            return [_entry(row) for row in session.scalars(query)]

    def prune_activity(self, older_than: datetime) -> int:
        """Remove the entries recorded before ``older_than``; how many."""
        with self._sessions.begin() as session:
            result = session.execute(delete(ActivityRow).where(ActivityRow.at < older_than))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
