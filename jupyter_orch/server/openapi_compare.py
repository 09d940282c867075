"""The OpenAPI document's part for rollbacks, comparisons, lineage and activity: the routes of
``versions.py`` besides the history and diff, and of ``history.py``; the shapes of
``version_views.rollback_json``, ``run_compare``, ``lineage_views`` and ``activity``."""

from __future__ import annotations

from typing import Any

from ..outputs import MAX_DATASET_NAME
from .openapi_paths import (
    PIPELINE,
    RUN,
    STEP,
    answer,
    body,
    errors,
    operation,
    path_parameter,
    query,
)
from .openapi_schemas import ANY_OBJECT, NOTEBOOK_NAME, STRING, TIME, nullable, obj, ref

OTHER = path_parameter("other", "[0-9A-Za-z]{1,32}", "the run compared with (B)")
NUMBER = nullable("number")

COMPARE_PATHS: dict[str, Any] = {
    "/orch/activity": {
        "get": operation(
            "activity",
            "meta",
            "The activity log, newest first: every change and action with who, when, from "
            "where (read-only: entries come from the actions themselves)",
            {"200": answer("one page of entries", "ActivityPage"), **errors(400, 403)},
            parameters=[
                query("pipeline", {"type": "string", "maxLength": 200}, "this pipeline's"),
                query(
                    "actor",
                    {"type": "string", "maxLength": 200},
                    "this actor's (a user, token:<8 hex>, scheduler, webhook:<delivery id>)",
                ),
                query(
                    "since",
                    {"type": "string", "maxLength": 200},
                    "a duration back from now (7d, 12h) or an ISO 8601 time",
                ),
                query("limit", {"type": "integer", "minimum": 1}, "entries per page (≤ 500)"),
                query("cursor", {"type": "string"}, "the previous page's next_cursor"),
            ],
        ),
    },
    "/orch/lineage": {
        "get": operation(
            "lineage",
            "pipelines",
            "Datasets and the steps that read and write them, across pipelines, from what the "
            "recent runs recorded; each dataset with the last run that wrote it",
            {"200": answer("the graph", "LineageGraph"), **errors(400, 403, 404)},
            parameters=[
                query(
                    "pipeline",
                    {"type": "string"},
                    "this pipeline's steps, and the other pipelines' steps that write what it "
                    "reads or read what it writes",
                ),
                query(
                    "dataset",
                    {"type": "string", "maxLength": MAX_DATASET_NAME},
                    "the steps that read or write this dataset (connection.schema.table, or a "
                    "path relative to the root dir)",
                ),
            ],
        ),
    },
    "/orch/pipelines/{name}/rollback": {
        "parameters": [PIPELINE],
        "post": operation(
            "rollbackPipeline",
            "pipelines",
            "Write a version's files back to disk and record them as a new version; edits on "
            "disk that differ from the latest version are recorded first as a version of "
            "their own",
            {"200": answer("the rollback", "Rollback"), **errors(400, 403, 404)},
            requestBody=body("RollbackRequest"),
        ),
    },
    "/orch/runs/{run_id}/compare/{other}": {
        "parameters": [RUN, OTHER],
        "get": operation(
            "compareRuns",
            "runs",
            "Two runs side by side: parameters, versions, and each step's status, duration, "
            "peak memory and outputs, with what differs named",
            {"200": answer("the comparison", "RunComparison"), **errors(403, 404)},
        ),
    },
    "/orch/runs/{run_id}/compare/{other}/steps/{step}/notebooks": {
        "parameters": [RUN, OTHER, STEP],
        "get": operation(
            "compareStepNotebooks",
            "runs",
            "One step's output notebooks of two runs, cell by cell (nbdime, in a process with "
            "a time and memory limit)",
            {"200": answer("the comparison", "NotebookComparison"), **errors(403, 404, 422)},
        ),
    },
}

_RUN_SIDE = obj(
    {
        "id": STRING,
        "number": nullable("integer"),
        "pipeline": STRING,
        "version": {"type": "integer"},
        "status": STRING,
        "trigger": STRING,
        "started_at": TIME,
        "ended_at": TIME,
        "duration_seconds": NUMBER,
        "parameters": ANY_OBJECT,
        "exact": {"type": "boolean"},
    }
)
_STEP_SIDE = {
    "oneOf": [
        {"type": "null", "description": "the run has no such step"},
        obj(
            {
                "status": STRING,
                "duration_seconds": NUMBER,
                "peak_memory_bytes": nullable("integer"),
                "outputs": ANY_OBJECT,
                "output_notebook": nullable("string", description="relative to the root dir"),
                "output_notebook_name": NOTEBOOK_NAME,
            }
        ),
    ]
}

_WRITTEN = obj(
    {
        "pipeline": STRING,
        "step": STRING,
        "run_id": STRING,
        "run_number": nullable("integer"),
        "at": TIME,
    }
)

COMPARE_SCHEMAS: dict[str, Any] = {
    "ActivityPage": obj(
        {
            "entries": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "actor": nullable("string"),
                        "origin": {
                            "enum": ["cli", "api", "lab", "scheduler", "webhook", "unknown"]
                        },
                        "address": nullable("string"),
                        "action": STRING,
                        "pipeline": nullable("string"),
                        "run_id": nullable("string"),
                        "detail": ANY_OBJECT,
                    }
                ),
            },
            "next_cursor": nullable("string"),
        }
    ),
    "LineageGraph": obj(
        {
            "nodes": {
                "type": "array",
                "items": {
                    "oneOf": [
                        obj(
                            {
                                "id": STRING,
                                "kind": {"const": "step"},
                                "pipeline": STRING,
                                "step": STRING,
                            }
                        ),
                        obj(
                            {
                                "id": STRING,
                                "kind": {"const": "dataset"},
                                "name": STRING,
                                "last_written": {"oneOf": [_WRITTEN, {"type": "null"}]},
                            }
                        ),
                    ]
                },
            },
            "edges": {
                "type": "array",
                "items": obj({"from": STRING, "to": STRING, "kind": {"enum": ["reads", "writes"]}}),
            },
        }
    ),
    "RollbackRequest": obj(
        {"version": {"type": "integer", "minimum": 1, "description": "the version to restore"}},
        additionalProperties=False,
    ),
    "Rollback": obj(
        {
            "pipeline": STRING,
            "version": ref("Version"),
            "recorded_edits": nullable(
                "integer", description="the version that recorded the edits found on disk first"
            ),
            "written": {"type": "array", "items": nullable("string")},
        }
    ),
    "RunComparison": obj(
        {
            "a": _RUN_SIDE,
            "b": _RUN_SIDE,
            "parameters": {
                "type": "array",
                "items": obj({"name": STRING, "a": {}, "b": {}, "same": {"type": "boolean"}}),
            },
            "version": obj(
                {"a": {"type": "integer"}, "b": {"type": "integer"}, "same": {"type": "boolean"}}
            ),
            "steps": {
                "type": "array",
                "items": obj(
                    {
                        "name": STRING,
                        "a": _STEP_SIDE,
                        "b": _STEP_SIDE,
                        "changed_outputs": {"type": "array", "items": STRING},
                        "notebooks": {
                            "type": "boolean",
                            "description": "both left an output notebook to compare",
                        },
                    }
                ),
            },
        }
    ),
    "NotebookComparison": obj(
        {
            "step": STRING,
            "a_path": STRING,
            "b_path": STRING,
            "base": {"type": "object", "description": "run A's output notebook (nbformat)"},
            "diff": {"type": "array", "description": "nbdime's diff from A's notebook to B's"},
        }
    ),
}
