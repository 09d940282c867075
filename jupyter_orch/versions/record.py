"""Recording a version: the pipeline file and every file its steps name, with who recorded it
and what changed since the latest version."""

from __future__ import annotations

from jupyter_orch.activity import note
from jupyter_orch.errors import NotFoundError, VersionRaced
from jupyter_orch.pipelines.loader import LoadedPipeline
from jupyter_orch.store.base import VersionStore
from jupyter_orch.store.types import PipelineVersion, Registration, VersionFile

from .capture import capture_files, named_files
from .summary import summarize


def record_version(
    store: VersionStore,
    loaded: LoadedPipeline,
    *,
    replace: bool = False,
    created_by: str | None = None,
    reason: str | None = None,
) -> Registration:
    """A new version when the YAML or any named file differs from the latest version; the
    latest one otherwise. ``reason`` heads its summary ("rolled back to version 2"). Raises
    ``VersionFileError`` for a file that cannot be kept."""
    files = capture_files(loaded)
    definition = loaded.spec.to_json()
    steps = {step: path for step, path, _ in named_files(loaded.spec)}
    for attempt in range(3):
        try:
            previous: PipelineVersion | None = store.get_version(loaded.spec.name)
        except NotFoundError:
            previous = None
        summary = summarize(
            previous.definition if previous is not None else None,
            None if previous is not None and previous.predates_files else _files(previous),
            definition,
            files,
            store.read_blob,
            steps,
        )
        if reason:
            summary = f"{reason}: {summary}"
        try:
            made = store.register(
                loaded.spec.name,
                str(loaded.path),
                loaded.source,
                definition,
                replace=replace,
                files=files,
                created_by=created_by,
                summary=summary,
                based_on=previous.version if previous is not None else 0,
            )
        except VersionRaced:
            if attempt == 2:
                raise
            continue
        if made.created:
            number = made.version.version
            action = "register" if previous is None or replace else "edit"
            note(store, action, pipeline=loaded.spec.name, version=number, summary=summary)
        return made
    raise AssertionError("unreachable")


def _files(version: PipelineVersion | None) -> tuple[VersionFile, ...]:
    return version.files if version is not None else ()
