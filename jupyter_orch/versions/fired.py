"""A version for a run that fires on its own (a schedule slot, an event trigger, a webhook): the
pipeline file and the files its steps name are read from disk and recorded if any of them
changed since the latest version, so the run runs a recorded version. Blocking (files, store):
the scheduler and the webhook handler call it in a thread."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_orch.connections import Connections
from jupyter_orch.errors import OrchError, UserError
from jupyter_orch.masking import masked_logger
from jupyter_orch.pipelines.loader import LoadedPipeline, load_pipeline
from jupyter_orch.store.base import VersionStore
from jupyter_orch.store.types import PipelineVersion

from .record import record_version

log = masked_logger("jupyter_orch.versions")

SCHEDULER = "scheduler"


def webhook_actor(delivery: str) -> str:
    return f"webhook:{delivery}"


def load_registered(
    name: str, path: str, *, root: Path | None = None, connections: Connections | None = None
) -> LoadedPipeline:
    """The pipeline file ``name`` was registered from, as it is now; ``UserError`` when it is
    gone, invalid, outside ``root`` or names another pipeline."""
    if root is not None and not Path(os.path.realpath(path)).is_relative_to(root.resolve()):
        raise UserError(f"{path}: the pipeline file is outside the server's root folder")
    loaded = load_pipeline(path, root=root, connections=connections)
    if loaded.spec.name != name:
        raise UserError(f"{path}: the file now names pipeline {loaded.spec.name!r}, not {name!r}")
    return loaded


def record_fired(
    store: VersionStore,
    name: str,
    path: str,
    actor: str,
    *,
    root: Path | None = None,
    connections: Connections | None = None,
) -> PipelineVersion | None:
    """The version a run of ``name`` fired now runs: a new one when the file at ``path`` or a
    file its steps name changed, the latest otherwise. None (with a warning) when the file is
    gone, invalid, names another pipeline or cannot be kept: the run then runs the latest
    recorded version, as before versions were recorded here."""
    try:
        loaded = load_registered(name, path, root=root, connections=connections)
        return record_version(store, loaded, created_by=actor).version
    except (OrchError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("%s: %s: %s; running the latest recorded version as it is", name, path, first)
        return None
