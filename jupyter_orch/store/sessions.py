"""What every part of the SQLAlchemy store shares: its two session factories, and lookups
that several parts make inside their own transactions."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import NotFoundError
from ..records import Trigger
from .tables import PipelineRow, PipelineVersionRow, RunRow, ScheduleTickRow

PipelineChild = TypeVar("PipelineChild", PipelineVersionRow, ScheduleTickRow)


class StoreSessions:
    """The base of the store's parts (``Store`` opens the sessions)."""

    _sessions: sessionmaker[Session]
    _reads: sessionmaker[Session]


def of_trigger(trigger: str | None) -> Any:
    """Runs a listing shows: of ``trigger``; with none, every run but test runs (``jupyter
    orch test``), which only a listing that asks for them shows."""
    if trigger:
        return RunRow.trigger == trigger
    return RunRow.trigger != Trigger.TEST.value


def of_pipeline(session: Session, name: str) -> Any:
    """Runs of pipeline ``name`` (none when there is no such pipeline), by the pipeline's row
    id, looked up first: a value the planner can weigh. Through a join on the name PostgreSQL
    guesses how many runs match, and for a pipeline with few runs may walk the whole history
    newest first instead of that pipeline's index (``ix_runs_pipeline_newest``)."""
    pipeline_id = session.scalar(select(PipelineRow.id).where(PipelineRow.name == name))
    return RunRow.pipeline_id == pipeline_id  # None: IS NULL, which no run is


def pipeline_id_of(session: Session, name: str) -> int:
    """The row id of pipeline ``name``; NotFoundError when there is none."""
    pipeline_id = session.scalar(select(PipelineRow.id).where(PipelineRow.name == name))
    if pipeline_id is None:
        raise NotFoundError(f"no pipeline named {name!r}")
    return pipeline_id


def latest_definitions(
    session: Session, pipeline_ids: Collection[int] | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(pipeline id, definition of its newest version) for every pipeline, or for those of
    ``pipeline_ids``."""
    query = select(PipelineRow.id, PipelineVersionRow.definition).join(
        PipelineVersionRow,
        and_(
            PipelineVersionRow.pipeline_id == PipelineRow.id,
            PipelineVersionRow.version == PipelineRow.latest_version,
        ),
    )
    if pipeline_ids is not None:
        query = query.where(PipelineRow.id.in_(list(pipeline_ids)))
    return [(pid, definition) for pid, definition in session.execute(query).all()]


def newest_rows_of(
    session: Session, row: type[PipelineChild], name: str, newest: Any, limit: int | None = None
) -> list[PipelineChild]:
    """The rows of ``row`` that belong to pipeline ``name``, ``newest`` first; NotFoundError
    when there is no such pipeline."""
    pipeline_id = pipeline_id_of(session, name)
    query = select(row).where(row.pipeline_id == pipeline_id).order_by(newest.desc())
    return list(session.scalars(query if limit is None else query.limit(limit)))
