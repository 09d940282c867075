"""Pipeline versions as the REST API shows them: the history (who, when, what changed, which
files), one version's text, and the difference between two. Paths relative to the root dir,
credentials masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_orch.inputs.paths import relative_to_root

from .masking import mask_json, mask_text
from .records import iso
from .store.base import PipelineCatalog
from .store.types import VersionFile
from .versions.diff import diff_json, version_diff


def _files(files: tuple[VersionFile, ...]) -> list[dict[str, str]]:
    return [{"path": f.path, "kind": f.kind, "hash": f.digest} for f in files]


def versions_json(store: PipelineCatalog, root: Path, name: str) -> list[dict[str, Any]]:
    """Every version, newest first; ``files`` is empty for versions recorded before versions
    kept files."""
    return [
        {
            "version": v.version,
            "path": relative_to_root(root, v.path),
            "content_hash": v.content_hash,
            "created_at": iso(v.created_at),
            "created_by": v.created_by,
            "summary": mask_text(v.summary) if v.summary is not None else None,
            "files": _files(v.files),
        }
        for v in store.list_versions(name)
    ]


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
