"""A run's files as its version recorded them: written into the run's folder before its first
step starts, so every attempt executes exactly the content its version recorded, whatever is on
disk by then. A step's working directory stays its file's own folder (relative paths to data
keep working); modules a function imports beside its file are read from disk.

Paths a pipeline builds from templates are not recorded, and a run of a version recorded before
versions kept files has none: those steps read their files from disk, as they always did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from jupyter_orch.errors import NotFoundError, OrchError
from jupyter_orch.inputs.files import NamedPaths
from jupyter_orch.records import RunRecord
from jupyter_orch.run_folders import local_folder
from jupyter_orch.store.base import PipelineCatalog

#: The folder of a run's recorded files, inside its run folder.
SOURCES_DIR = ".sources"


class VersionContentError(OrchError):
    """A recorded file's content is missing from the store, or is not what was recorded."""


@dataclass(frozen=True)
class RunSources:
    """The files of a run's version, by the path the pipeline names them with."""

    files: Mapping[str, Path] = field(default_factory=dict)

    def source(self, paths: NamedPaths, named: str, what: str) -> tuple[Path, Path | None]:
        """The file a step names, resolved inside the root (``PathError`` otherwise), and the
        recorded copy to read instead (None: read the file itself)."""
        return paths.resolve(named, what), self.files.get(named)


def materialise(store: PipelineCatalog, run: RunRecord) -> RunSources:
    """Write the run's recorded files under ``<run folder>/.sources/<hash>/<name>`` (kept if
    already there: a resumed run) and say where each is. Blocking."""
    version = store.get_version(run.pipeline, run.version)
    folder = local_folder(run.run_dir) / SOURCES_DIR
    files: dict[str, Path] = {}
    for recorded in version.files:
        target = folder / recorded.digest[:16] / PurePosixPath(recorded.path).name
        if not target.is_file():
            try:
                data = store.read_blob(recorded.digest)
            except NotFoundError:
                data = b""
            if hashlib.sha256(data).hexdigest() != recorded.digest:
                raise VersionContentError(
                    f"the stored content of {recorded.path!r} (version {run.version}) is missing "
                    "or not what was recorded; the store may be damaged"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            partial.replace(target)
        files[recorded.path] = target
    return RunSources(files)
