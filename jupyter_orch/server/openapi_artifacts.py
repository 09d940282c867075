"""The OpenAPI document's part for a run's artifacts: the routes of ``artifacts.py`` and the
shapes of ``artifact_views.py`` (``Artifact`` is in each step of a single run's answer)."""

from __future__ import annotations

from typing import Any

from ..artifacts.files import IMAGE_TYPES
from ..artifacts.previews import MAX_ROWS
from .openapi_paths import RUN, answer, errors, operation, query
from .openapi_schemas import STRING, TIME, nullable, obj

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

ARTIFACT_SCHEMAS: dict[str, Any] = {
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
