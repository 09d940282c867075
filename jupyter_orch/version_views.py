"""Pipeline versions as the REST API shows them: the history (who, when, what changed, which
files), one version's text, and the difference between two. Paths relative to the root dir,
credentials masked."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_orch.inputs.paths import relative_to_root

from .errors import UserError
from .masking import mask_json, mask_text
from .records import iso
from .service import Orchestrator
from .store.base import PipelineCatalog
from .store.types import VersionFile, VersionInfo
from .versions.diff import diff_json, version_diff
from .versions.rollback import rollback


def _files(files: tuple[VersionFile, ...]) -> list[dict[str, str]]:
    return [{"path": f.path, "kind": f.kind, "hash": f.digest} for f in files]


def entry_json(v: VersionInfo, root: Path) -> dict[str, Any]:
    """A version as the history lists it."""
    return {
        "version": v.version,
        "path": relative_to_root(root, v.path),
        "content_hash": v.content_hash,
        "created_at": iso(v.created_at),
        "created_by": v.created_by,
        "summary": mask_text(v.summary) if v.summary is not None else None,
        "files": _files(v.files),
    }


def versions_json(store: PipelineCatalog, root: Path, name: str) -> list[dict[str, Any]]:
    """Every version, newest first; ``files`` is empty for versions recorded before versions
    kept files."""
    return [entry_json(v, root) for v in store.list_versions(name)]


def rollback_json(
    orch: Orchestrator, root: Path, name: str, body: Mapping[str, Any], actor: str | None
) -> dict[str, Any]:
    """``POST /orch/pipelines/{name}/rollback`` with ``{"version": V}``."""
    number = body.get("version")
    unknown = set(body) - {"version"}
    if unknown:
        raise UserError(f"{sorted(unknown)[0]}: unknown field; give only `version`")
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number < 2**31:
        raise UserError(f"version: give the version number to roll back to, not {number!r}")
    done = rollback(
        orch.store, name, number, root=orch.root, connections=orch.connections, created_by=actor
    )
    made = next(v for v in orch.store.list_versions(name) if v.version == done.version.version)
    return {
        "pipeline": name,
        "version": entry_json(made, root),
        "recorded_edits": done.recorded_edits,
        "written": [relative_to_root(root, str(path)) for path in done.written],
    }


def version_json(store: PipelineCatalog, root: Path, name: str, number: int) -> dict[str, Any]:
    v = store.get_version(name, number)
    return {
        "pipeline": name,
        "version": v.version,
        "path": relative_to_root(root, v.path),
        "created_at": iso(v.created_at),
        "source": mask_text(v.source),
        "definition": mask_json(v.definition),
    }


def version_diff_json(store: PipelineCatalog, name: str, a: int, b: int) -> dict[str, Any]:
    """``GET /orch/pipelines/{name}/versions/{a}/diff/{b}``."""
    return mask_json(diff_json(version_diff(store, name, a, b)))
