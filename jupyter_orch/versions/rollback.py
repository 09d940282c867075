"""Rolling a pipeline back to an earlier version: its files are written back to disk and
recorded as a new version (that version's content under a new number), so history is never
rewritten. Files on disk that differ from the latest version are recorded first, as a version
of their own, so a rollback never loses an edit. Blocking (files, store)."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from jupyter_orch.activity import note
from jupyter_orch.connections import Connections
from jupyter_orch.errors import UserError
from jupyter_orch.inputs.files import NamedPaths
from jupyter_orch.store.base import VersionStore
from jupyter_orch.store.types import PipelineVersion

from .fired import load_registered
from .record import record_version


@dataclass(frozen=True)
class Rollback:
    """What a rollback did: the version it made (``version``), the version that recorded the
    edits found on disk first (None: there were none) and the files it wrote."""

    version: PipelineVersion
    recorded_edits: int | None
    written: tuple[Path, ...]


def rollback(
    store: VersionStore,
    name: str,
    number: int,
    *,
    root: Path | None = None,
    connections: Connections | None = None,
    created_by: str | None = None,
) -> Rollback:
    """Write version ``number`` of ``name`` back where the pipeline's file is now, and record
    it. ``UserError`` (nothing written) when that version kept no files, a path leaves
    ``root``, or the files on disk cannot be recorded first (an edit would be lost)."""
    target = store.get_version(name, number)
    if target.predates_files:
        raise UserError(
            f"version {number} of {name!r} was recorded before versions kept their files; "
            "only its YAML is known, so it cannot be rolled back"
        )
    latest = store.get_version(name)
    try:
        on_disk = load_registered(name, latest.path, root=root, connections=connections)
        before = record_version(store, on_disk, created_by=created_by).version
    except UserError as exc:
        raise UserError(
            f"the files on disk cannot be recorded as a version before the rollback, so it "
            f"would lose them: {exc}. Fix or move them, then roll back again"
        ) from None
    recorded_edits = before.version if before.version != latest.version else None
    pipeline_file = Path(latest.path)
    paths = NamedPaths(pipeline_file.parent, root)
    # Every path first, then the writes: a path outside the root writes nothing
    plan = [(pipeline_file, target.source.encode("utf-8"))]
    for file in target.files:
        plan.append((paths.resolve(file.path, file.kind), store.read_blob(file.digest)))
    _write_all(plan)
    loaded = load_registered(name, str(pipeline_file), root=root, connections=connections)
    made = record_version(
        store, loaded, created_by=created_by, reason=f"rolled back to version {number}"
    ).version
    note(store, "rollback", pipeline=name, to=number, version=made.version, edits=recorded_edits)
    return Rollback(made, recorded_edits, tuple(path for path, _ in plan))


def _write_all(plan: list[tuple[Path, bytes]]) -> None:
    """Replace every file's content (each keeping its mode; a missing folder is made). Every
    new content is written beside its file first, and only then does each replace its file:
    a write that fails (a full disk) leaves every file as it was."""
    partials: list[tuple[Path, Path]] = []
    try:
        for path, data in plan:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.rollback")
            partials.append((partial, path))
            partial.write_bytes(data)
            with contextlib.suppress(FileNotFoundError):
                os.chmod(partial, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        for partial, _ in partials:
            partial.unlink(missing_ok=True)
        raise
    for partial, path in partials:
        partial.replace(path)
