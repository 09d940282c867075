"""Queries the REST API needs beyond running: version history, removal, paged run listings."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConflictError, NotFoundError
from ..records import ACTIVE_RUN_STATUSES
from .coordination import pipeline_id_of
from .tables import PipelineRow, PipelineVersionRow, RunRow
from .types import (
    VersionInfo,
)


class CatalogMixin:
    """Mixed into ``Store``."""

    _sessions: sessionmaker[Session]
    _reads: sessionmaker[Session]

    def list_versions(self, name: str) -> list[VersionInfo]:
        """Every version of a pipeline, newest first."""
        with self._reads() as session:
            pipeline_id = pipeline_id_of(session, name)
            rows = session.scalars(
                select(PipelineVersionRow)
                .where(PipelineVersionRow.pipeline_id == pipeline_id)
                .order_by(PipelineVersionRow.version.desc())
            ).all()
            return [VersionInfo(r.version, r.path, r.content_hash, r.created_at) for r in rows]

    def delete_pipeline(self, name: str) -> None:
        """Forget a pipeline, its versions and its run records (files stay on disk)."""
        with self._sessions.begin() as session:
            row = session.scalar(select(PipelineRow).where(PipelineRow.name == name))
            if row is None:
                raise NotFoundError(f"no pipeline named {name!r}")
            active = session.scalar(
                select(func.count())
                .select_from(RunRow)
                .where(
                    RunRow.pipeline_id == row.id,
                    RunRow.status.in_([status.value for status in ACTIVE_RUN_STATUSES]),
                )
            )
            if active:
                raise ConflictError(
                    f"pipeline {name!r} has {active} queued or running run(s); cancel them first"
                )
            session.execute(delete(RunRow).where(RunRow.pipeline_id == row.id))
            session.execute(
                delete(PipelineVersionRow).where(PipelineVersionRow.pipeline_id == row.id)
            )
            session.delete(row)

    def run_ids_page(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> list[str]:
        """Run ids newest first (ids sort by creation time), after the cursor ``before``."""
        with self._reads() as session:
            query = select(RunRow.id).order_by(RunRow.id.desc()).limit(limit)
            if pipeline:
                query = query.join(PipelineRow, PipelineRow.id == RunRow.pipeline_id).where(
                    PipelineRow.name == pipeline
                )
            if status:
                query = query.where(RunRow.status == status)
            if before:
                query = query.where(RunRow.id < before)
            return list(session.scalars(query))
