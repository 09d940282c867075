"""The OpenAPI document's part for a run's files: the routes of ``artifacts.py`` and
``run_notebooks.py``, and the shapes of ``artifact_views.py`` (``Artifact`` is in each step of a
single run's answer) and of ``jupyter_orch.run_notebooks``."""

from __future__ import annotations

from typing import Any

from ..artifacts.files import IMAGE_TYPES
from ..artifacts.previews import MAX_ROWS
from ..run_notebooks import MAX_NOTEBOOK_BYTES
from .openapi_paths import RUN, answer, errors, operation, path_parameter, query
from .openapi_schemas import ANY_OBJECT, STRING, TIME, nullable, obj, ref

PATH = query(
    "path",
    {"type": "string"},
    "the file, relative to the root dir (an artifact's `path`): inside the run's folder, or "
    "a file its steps recorded",
    required=True,
)
CELL = nullable("string", description="the value as text, cut to 200 characters; null: no value")

ARTIFACT_PATHS: dict[str, Any] = {
    "/orch/runs/{run_id}/artifacts/preview": {
        "parameters": [RUN],
        "get": operation(
            "previewArtifact",
            "runs",
            "The first rows of a CSV or Parquet file a step wrote (a Parquet file is read by a "
            "process with a time and memory limit)",
            {
                "200": answer("the first rows", "TablePreview"),
                **errors(400, 403, 404, 422),
            },
            parameters=[
                PATH,
                query(
                    "rows",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ROWS, "default": 20},
                    "how many rows",
                ),
            ],
        ),
    },
    "/orch/runs/{run_id}/artifacts/image": {
        "parameters": [RUN],
        "get": operation(
            "getArtifactImage",
            "runs",
            "An image a step wrote, with its content type (`nosniff`; an SVG as an attachment, "
            "sandboxed)",
            {
                "200": {
                    "description": "the image's bytes",
                    "content": {
                        kind: {"schema": {"type": "string", "format": "binary"}}
                        for kind in sorted(set(IMAGE_TYPES.values()))
                    },
                },
                **errors(400, 403, 404, 422),
            },
            parameters=[PATH],
        ),
    },
}

NOTEBOOK = path_parameter(
    "notebook",
    r"[^/\\]{1,255}\.ipynb",
    "the notebook's file name (an attempt's `output_notebook_name`)",
)
RUN_NOTEBOOK_PATHS: dict[str, Any] = {
    "/orch/runs/{run_id}/notebooks": {
        "parameters": [RUN],
        "get": operation(
            "listRunNotebooks",
            "runs",
            "The run's output notebooks, as a directory of Jupyter's contents API (read-only)",
            {"200": answer("the notebooks, without content", "RunNotebook"), **errors(403, 404)},
        ),
    },
    "/orch/runs/{run_id}/notebooks/{notebook}": {
        "parameters": [RUN, NOTEBOOK],
        "get": operation(
            "getRunNotebook",
            "runs",
            "An output notebook as Jupyter's contents API gives a file, read-only and masked, "
            "wherever the run's folder is (the lab opens notebooks outside the root dir so)",
            {
                "200": {
                    "description": "the notebook's model; with `download`, the notebook",
                    "content": {
                        "application/json": {"schema": ref("RunNotebook")},
                        "application/x-ipynb+json": {"schema": ANY_OBJECT},
                    },
                },
                **errors(400, 403, 404, 422),
            },
            parameters=[
                query("content", {"type": "boolean", "default": True}, "false: no content"),
                query(
                    "download",
                    {"type": "boolean", "default": False},
                    "true: the notebook itself, as an attachment",
                ),
            ],
        ),
    },
}

ARTIFACT_SCHEMAS: dict[str, Any] = {
    "RunNotebook": obj(
        {
            "name": STRING,
            "path": {"type": "string", "description": "`{run_id}/{name}`, or `{run_id}`"},
            "type": {"enum": ["notebook", "directory"]},
            "format": nullable("string"),
            "mimetype": {"type": "null"},
            "writable": {"const": False},
            "created": TIME,
            "last_modified": TIME,
            "size": nullable("integer", maximum=MAX_NOTEBOOK_BYTES),
            "content": {
                "oneOf": [ANY_OBJECT, {"type": "array"}, {"type": "null"}],
                "description": "the notebook (nbformat 4), the directory's notebooks, or null",
            },
        }
    ),
    "Artifact": obj(
        {
            "name": {"type": "string", "description": "in the run's artifacts folder"},
            "path": nullable("string", description="relative to the root dir (null: outside)"),
            "type": {"enum": ["image", "table", "notebook", "file"]},
            "size": {"type": "integer", "minimum": 0},
            "modified_at": TIME,
            "attempt": {
                "type": "integer",
                "minimum": 1,
                "description": "the attempt that wrote it",
            },
            "concurrent": {
                "type": "array",
                "items": STRING,
                "description": "other steps that ran as it was written: it may be theirs",
            },
        },
        optional=("concurrent",),
    ),
    "TablePreview": obj(
        {
            "path": STRING,
            "format": {"enum": ["csv", "parquet"]},
            "columns": {"type": "array", "items": STRING, "maxItems": 50},
            "types": {
                "type": ["array", "null"],
                "items": STRING,
                "description": "each column's type (Parquet); null for CSV",
            },
            "rows": {
                "type": "array",
                "items": {"type": "array", "items": CELL},
                "maxItems": MAX_ROWS,
            },
            "more_rows": {"type": "boolean", "description": "the file has more rows"},
            "hidden_columns": {"type": "integer", "minimum": 0},
            "total_rows": nullable("integer", description="every row of the file, when known"),
        }
    ),
}
