"""The OpenAPI document's part for backfills: the routes of ``backfills.py`` and the shapes of
``jupyter_orch.backfills`` (``BackfillRecord.to_dict`` and ``preview_json``)."""

from __future__ import annotations

from typing import Any

from ..store.backfill_types import MAX_PARALLEL, BackfillStatus
from .openapi_paths import PIPELINE, answer, body, errors, operation, path_parameter, query
from .openapi_schemas import ANY_OBJECT, STRING, TIME, nullable, obj, ref, values

BACKFILL = path_parameter("backfill_id", "bf-[0-9A-Za-z]{1,29}", "the backfill's id")
BOUND = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "a date (2024-03-01) or a time (2024-03-01T02:00) in the schedule's zone",
}
COUNT = {"type": "integer", "minimum": 0}
MAX = {"type": "integer", "minimum": 1, "maximum": MAX_PARALLEL, "default": 1}

BACKFILL_PATHS: dict[str, Any] = {
    "/orch/pipelines/{name}/backfills": {
        "parameters": [PIPELINE],
        "post": operation(
            "startBackfill",
            "runs",
            "Run the pipeline once per slot of its schedule from `from` to `to` (both included), "
            "at most `max_parallel` at once, oldest first, skipping slots that already have a "
            "succeeded run unless `rerun_succeeded`; with `dry_run`, only say how many runs it "
            "would make",
            {
                "200": answer("what it would make (dry_run)", "BackfillPreview"),
                "201": answer("the backfill, started", "Backfill"),
                **errors(400, 403, 404, 409),
            },
            requestBody=body("BackfillRequest"),
        ),
    },
    "/orch/backfills": {
        "get": operation(
            "listBackfills",
            "runs",
            "Backfills, newest first, with how many of their runs succeeded, failed and are left",
            {"200": answer("the backfills", "BackfillList"), **errors(400, 403)},
            parameters=[
                query("pipeline", {"type": "string"}, "this pipeline's only"),
                query("status", {"enum": values(BackfillStatus)}, "only backfills in this status"),
                query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                    "how many",
                ),
            ],
        ),
    },
    "/orch/backfills/{backfill_id}": {
        "parameters": [BACKFILL],
        "get": operation(
            "getBackfill",
            "runs",
            "One backfill and its progress",
            {"200": answer("the backfill", "Backfill"), **errors(403, 404)},
        ),
    },
    "/orch/backfills/{backfill_id}/cancel": {
        "parameters": [BACKFILL],
        "post": operation(
            "cancelBackfill",
            "runs",
            "Cancel the backfill as a whole: no more runs are queued, its queued runs are "
            "dropped and its running runs stopped",
            {"200": answer("the backfill, cancelled", "Backfill"), **errors(403, 404)},
        ),
    },
}

BACKFILL_SCHEMAS: dict[str, Any] = {
    "BackfillRequest": obj(
        {
            "from": BOUND,
            "to": BOUND,
            "max_parallel": MAX,
            "parameters": {"type": "object", "description": "run parameters by name"},
            "profile": {"type": "string", "description": "one of the pipeline's profiles"},
            "rerun_succeeded": {"type": "boolean", "default": False},
            "dry_run": {
                "type": "boolean",
                "default": False,
                "description": "say what it would make; start nothing",
            },
        },
        optional=("max_parallel", "parameters", "profile", "rerun_succeeded", "dry_run"),
        additionalProperties=False,
    ),
    "BackfillPreview": obj(
        {
            "pipeline": STRING,
            "version": {"type": "integer", "minimum": 1},
            "from": STRING,
            "to": STRING,
            "timezone": STRING,
            "runs": {**COUNT, "description": "how many runs it would make"},
            "skipped": {**COUNT, "description": "slots left out: a run already succeeded"},
            "first_slot": TIME,
            "last_slot": TIME,
            "max_parallel": MAX,
        }
    ),
    "Backfill": obj(
        {
            "id": STRING,
            "pipeline": STRING,
            "version": {"type": "integer", "minimum": 1},
            "status": {"enum": values(BackfillStatus)},
            "from": STRING,
            "to": STRING,
            "timezone": STRING,
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "first_slot": TIME,
            "last_slot": TIME,
            "skipped": COUNT,
            "max_parallel": MAX,
            "parameters": ANY_OBJECT,
            "rerun_succeeded": {"type": "boolean"},
            "created_by": nullable("string"),
            "created_at": {"type": "string", "format": "date-time"},
            "ended_at": TIME,
            "runs": obj(
                {
                    name: COUNT
                    for name in (
                        "total",
                        "succeeded",
                        "failed",
                        "cancelled",
                        "running",
                        "queued",
                        "left",
                    )
                }
            ),
        }
    ),
    "BackfillList": obj({"backfills": {"type": "array", "items": ref("Backfill")}}),
}
