"""Pipelines and their versions (registration, history, removal) and paged run listings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import ConflictError, NameTaken, NotFoundError, VersionRaced
from ..records import ACTIVE_RUN_STATUSES
from .sessions import StoreSessions, newest_rows_of, of_pipeline, of_trigger
from .tables import PipelineRow, PipelineVersionRow, RunRow, VersionFileRow
from .types import (
    CapturedFile,
    PipelineVersion,
    Registration,
    VersionFile,
    VersionInfo,
    utcnow,
)
from .version_files import add_version_files, version_files


class CatalogMixin(StoreSessions):
    """Mixed into ``Store``."""

    def register(
        self,
        name: str,
        path: str,
        source: str,
        definition: dict[str, Any],
        *,
        replace: bool = False,
        files: Sequence[CapturedFile] = (),
        created_by: str | None = None,
        summary: str | None = None,
        based_on: int | None = None,
    ) -> Registration:
        """Record a pipeline file and the files its steps name; a change in any of them makes
        a new version, the same content does not. Recorders racing on one pipeline make one
        version (the pipeline's row is locked; a lost race on a new name or blob retries).

        ``based_on``: the version ``summary`` describes the change from (0: none); when the
        latest is another one by now, ``VersionRaced`` and nothing is recorded.
        """
        for attempt in range(3):
            try:
                return self._register(
                    name,
                    path,
                    source,
                    definition,
                    replace,
                    files,
                    (created_by, summary, based_on),
                )
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _register(
        self,
        name: str,
        path: str,
        source: str,
        definition: dict[str, Any],
        replace: bool,
        files: Sequence[CapturedFile],
        about: tuple[str | None, str | None, int | None],
    ) -> Registration:
        created_by, summary, based_on = about
        digest = hashlib.sha256(source.encode()).hexdigest()
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.scalar(
                select(PipelineRow).where(PipelineRow.name == name).with_for_update()
            )
            if row is None:
                row = PipelineRow(
                    name=name, path=path, latest_version=0, created_at=now, updated_at=now
                )
                session.add(row)
                session.flush()
            elif row.path != path and not replace:
                raise NameTaken(name, row.path, path)
            latest = session.scalar(
                select(PipelineVersionRow).where(
                    PipelineVersionRow.pipeline_id == row.id,
                    PipelineVersionRow.version == row.latest_version,
                )
            )
            listed = tuple(captured.file for captured in files)
            if latest is not None and latest.content_hash == digest and latest.path == path:
                kept = version_files(session, [latest.id]).get(latest.id, ())
                if sorted(kept, key=_order) == sorted(listed, key=_order):
                    return Registration(_version(name, latest, kept), created=False)
            if based_on is not None and row.latest_version != based_on:
                raise VersionRaced(name)
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
                created_by=created_by,
                summary=summary,
            )
            session.add(version)
            session.flush()
            add_version_files(session, version.id, files)
            return Registration(_version(name, version, listed), created=True)

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
            return _version(name, found, version_files(session, [found.id]).get(found.id, ()))

    def list_versions(self, name: str) -> list[VersionInfo]:
        """Every version of a pipeline, newest first."""
        with self._reads() as session:
            rows = newest_rows_of(session, PipelineVersionRow, name, PipelineVersionRow.version)
            files = version_files(session, [r.id for r in rows])
            return [
                VersionInfo(
                    r.version,
                    r.path,
                    r.content_hash,
                    r.created_at,
                    r.created_by,
                    r.summary,
                    files.get(r.id, ()),
                )
                for r in rows
            ]

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
            versions = select(PipelineVersionRow.id).where(PipelineVersionRow.pipeline_id == row.id)
            # Their contents stay: another pipeline may name the same file
            session.execute(delete(VersionFileRow).where(VersionFileRow.version_id.in_(versions)))
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
        search: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        trigger: str | None = None,
    ) -> list[str]:
        """Run ids newest first (ids sort by creation time), after the cursor ``before``;
        ``search`` matches a pipeline's name or a run's id in part (any case), a run's number
        (``42`` or ``#42``), its trigger or its status; ``since``/``until`` bound its creation."""
        with self._reads() as session:
            query = (
                select(RunRow.id)
                .join(PipelineRow, PipelineRow.id == RunRow.pipeline_id)
                .where(of_trigger(trigger))
                .order_by(RunRow.id.desc())
                .limit(limit)
            )
            if pipeline:
                query = query.where(of_pipeline(session, pipeline))
            if status:
                query = query.where(RunRow.status == status)
            if before:
                query = query.where(RunRow.id < before)
            if search:
                query = query.where(_matching(search))
            if since is not None:
                query = query.where(RunRow.created_at >= since)
            if until is not None:
                query = query.where(RunRow.created_at < until)
            return list(session.scalars(query))


def _matching(search: str) -> Any:
    """Runs a search text finds (see ``run_ids_page``)."""
    text = search.strip().lower()
    found = [
        func.lower(PipelineRow.name).contains(text, autoescape=True),
        func.lower(RunRow.id).contains(text, autoescape=True),
        RunRow.trigger == text,
        RunRow.status == text,
    ]
    number = text.removeprefix("#")
    if number.isdigit() and len(number) < 10:
        found.append(RunRow.number == int(number))
    return or_(*found)


def _order(file: VersionFile) -> tuple[str, str, str]:
    return (file.path, file.kind, file.digest)


def _version(name: str, row: PipelineVersionRow, files: tuple[VersionFile, ...]) -> PipelineVersion:
    return PipelineVersion(
        name,
        row.version,
        row.path,
        row.source,
        row.definition,
        row.created_at,
        row.created_by,
        row.summary,
        files,
    )
