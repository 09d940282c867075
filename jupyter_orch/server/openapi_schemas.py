"""JSON Schemas of the REST API's bodies (``components.schemas`` of the OpenAPI document).

Response objects list the keys a client may rely on as ``required`` and stay open to new keys;
request objects close where the server refuses unknown keys. Shapes follow ``catalog.py``
(pipelines), ``records.py`` (``RunRecord.to_dict``) and ``handlers.py`` (the error body).
"""

from __future__ import annotations

from typing import Any

from ..records import AttemptStatus, RunStatus, StepStatus, Trigger
from ..spec import Misfire


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def obj(
    properties: dict[str, Any], *, optional: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """An object whose properties are all required except ``optional``."""
    required = [key for key in properties if key not in optional]
    return {"type": "object", "properties": properties, "required": required, **extra}


TIME = nullable("string", format="date-time")
STRING = {"type": "string"}
TEXT = nullable("string")
ANY_OBJECT = {"type": "object"}
NOTEBOOK_NAME = nullable(
    "string",
    description="the output notebook's file name: `GET /orch/runs/{run_id}/notebooks/{notebook}` "
    "serves it, also when it is outside the root dir (null: the attempt left none)",
)
#: ``30s``, ``5m``, ``1h30m`` or a number of seconds.
DURATION = {"type": ["number", "string"], "description": "seconds, or text such as 30s, 5m, 1h"}
PIPELINE_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}

ERRORS = {
    "ErrorDetail": obj(
        {
            "field": {"type": "string", "description": "where the mistake is, e.g. `path`"},
            "message": {"type": "string", "description": "what to fix"},
            "line": nullable("integer", description="line in the pipeline file, if known"),
            "file": nullable("string", description="file relative to the root dir"),
        },
        optional=("line", "file"),
    ),
    "Error": obj(
        {
            "error": {"type": "string", "description": "what went wrong, in one sentence"},
            "details": {"type": "array", "items": ref("ErrorDetail")},
            "code": {
                "type": "string",
                "enum": ["name_taken"],
                "description": 'a 409 the client can act on: "name_taken", send "replace": true',
            },
        },
        optional=("code",),
    ),
}

PIPELINES = {
    "Schedule": obj(
        {
            "cron": STRING,
            "timezone": STRING,
            "misfire": {"enum": values(Misfire)},
            "description": {"type": "string", "description": "the schedule in words"},
        }
    ),
    "ScheduleInput": {
        "description": "a cron text (`@daily`, `0 9 * * 1-5`) or the full schedule mapping",
        "oneOf": [
            {"type": "string"},
            obj(
                {
                    "cron": STRING,
                    "timezone": {"type": "string", "description": "an IANA zone name"},
                    "misfire": {"enum": values(Misfire)},
                    "max_catchup": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "misfire_grace": DURATION,
                },
                optional=("timezone", "misfire", "max_catchup", "misfire_grace"),
                additionalProperties=False,
            ),
        ],
    },
    "PipelineSummary": obj(
        {
            "name": PIPELINE_NAME,
            "path": nullable("string", description="the file, relative to the root dir"),
            "version": {"type": "integer", "minimum": 1},
            "description": STRING,
            "active": {"type": "boolean"},
            "paused": {"type": "boolean"},
            "archived": {"type": "boolean", "description": "does not fire; listed with ?all=true"},
            "schedule": {"oneOf": [ref("Schedule"), {"type": "null"}]},
            "on": {"type": "object", "description": "event and webhook triggers"},
            "next_run_at": TIME,
            "last_status": nullable("string", enum=[*values(RunStatus), None]),
            "last_run_at": TIME,
            "missed_ticks": {"type": "integer", "minimum": 0},
        }
    ),
    "StepDefinition": obj(
        {
            "name": STRING,
            "kind": {"enum": ["notebook", "query", "function", "export"]},
            "notebook": STRING,
            "sql": {
                "description": "the SQL text, or {file: path.sql}",
                "oneOf": [STRING, obj({"file": STRING})],
            },
            "connection": {"type": "string", "description": "a connection name, ${ENV} or URL"},
            "python": {"type": "string", "description": "FILE.py:FUNCTION or module:function"},
            "export": obj(
                {"from": STRING, "to": ANY_OBJECT},
                description="from a file into a table ({table, connection, if_exists, key}) "
                "or a file ({file})",
            ),
            "parameters": ANY_OBJECT,
            "needs": {"type": "array", "items": STRING},
            "if": STRING,
            "run_if": STRING,
        },
        optional=(
            "notebook",
            "sql",
            "connection",
            "python",
            "export",
            "parameters",
            "if",
            "run_if",
        ),
    ),
    "Pipeline": {
        "description": "a pipeline's summary with its parameters, steps and limits",
        "allOf": [
            ref("PipelineSummary"),
            obj(
                {
                    "parameters": ANY_OBJECT,
                    "steps": {"type": "array", "items": ref("StepDefinition"), "minItems": 1},
                    "limits": ANY_OBJECT,
                }
            ),
        ],
    },
    "PipelineList": obj({"pipelines": {"type": "array", "items": ref("PipelineSummary")}}),
    "Validation": obj(
        {
            "valid": {"type": "boolean"},
            "problems": {"type": "array", "items": ref("ErrorDetail")},
            "name": PIPELINE_NAME,
        },
        optional=("name",),
    ),
    "Version": obj(
        {
            "version": {"type": "integer", "minimum": 1},
            "path": TEXT,
            "content_hash": STRING,
            "created_at": TIME,
            "created_by": TEXT,
            "summary": TEXT,
            "files": {"type": "array", "items": ref("VersionFile")},
        }
    ),
    "VersionList": obj({"versions": {"type": "array", "items": ref("Version")}}),
    "VersionDetail": obj(
        {
            "pipeline": PIPELINE_NAME,
            "version": {"type": "integer", "minimum": 1},
            "path": TEXT,
            "created_at": TIME,
            "source": {"type": "string", "description": "the pipeline file's text"},
            "definition": ANY_OBJECT,
        }
    ),
}

RUNS = {
    "AttemptError": {
        "type": "object",
        "description": "papermill's execution error: the failing cell and its traceback",
        "properties": {
            "ename": STRING,
            "evalue": STRING,
            "traceback": {"type": "array", "items": STRING},
            "cell_index": nullable("integer"),
            "exec_count": nullable(
                "integer", description="the failing cell's execution count: In [n] in the notebook"
            ),
        },
        "required": ["ename", "evalue"],
    },
    "Attempt": obj(
        {
            "number": {"type": "integer", "minimum": 1},
            "status": {"enum": values(AttemptStatus)},
            "started_at": TIME,
            "ended_at": TIME,
            "duration_s": nullable("number"),
            "outputs": ANY_OBJECT,
            "error": {"oneOf": [ref("AttemptError"), {"type": "null"}]},
            "output_notebook": nullable(
                "string", description="relative to the root dir: open it with the contents API"
            ),
            "output_notebook_name": NOTEBOOK_NAME,
            "resources": {
                "oneOf": [
                    obj(
                        {
                            "peak_memory_bytes": {"type": "integer", "minimum": 0},
                            "cpu_seconds": {"type": "number", "minimum": 0},
                        }
                    ),
                    {"type": "null"},
                ],
                "description": "what the attempt's process tree used (null: not measured)",
            },
            "lineage": {
                "oneOf": [
                    obj(
                        {
                            "inputs": {"type": "array", "items": STRING},
                            "outputs": {"type": "array", "items": STRING},
                        }
                    ),
                    {"type": "null"},
                ],
                "description": "the datasets it read and wrote: tables as "
                "connection.schema.table, files relative to the root dir (null: none known)",
            },
        }
    ),
    "StepRun": obj(
        {
            "name": STRING,
            "needs": {"type": "array", "items": STRING},
            "status": {"enum": values(StepStatus)},
            "attempts": {"type": "array", "items": ref("Attempt")},
            "reused_from": {"type": "string", "description": "the run whose result it reused"},
            "next_attempt_at": {"type": "string", "format": "date-time"},
            "kind": {
                "enum": ["notebook", "query", "function", "export"],
                "description": "what the step runs (in a single run's answer)",
            },
            "artifacts": {
                "type": "array",
                "items": ref("Artifact"),
                "description": "the files its attempts wrote (in a single run's answer)",
            },
            "parent": {
                "type": "string",
                "description": "an item of a for-each step (`report[0]`): that step",
            },
            "item_index": {"type": "integer", "minimum": 0, "description": "the item's index"},
            "item": {"description": "the item (`{{ item }}` in its templates)"},
            "for_each": {
                "const": True,
                "description": "a for-each step, run once per item (in a single run's answer; "
                "`skipped` when its list was empty)",
            },
        },
        optional=(
            "reused_from",
            "next_attempt_at",
            "kind",
            "artifacts",
            "parent",
            "item_index",
            "item",
            "for_each",
        ),
    ),
    "Run": obj(
        {
            "id": STRING,
            "pipeline": PIPELINE_NAME,
            "version": {"type": "integer", "minimum": 1},
            "status": {"enum": values(RunStatus)},
            "trigger": {"enum": values(Trigger)},
            "parameters": ANY_OBJECT,
            "created_at": TIME,
            "started_at": TIME,
            "ended_at": TIME,
            "duration_s": nullable("number"),
            "error": TEXT,
            "rerun_of": TEXT,
            "exact": {
                "type": "boolean",
                "description": "a rerun replaying its run's own version byte for byte",
            },
            "scheduled_for": TIME,
            "backfill_id": nullable("string", description="the backfill that made it"),
            "event": nullable("object"),
            "run_dir": nullable("string", description="relative to the root dir"),
            "pinned": {"type": "boolean", "description": "kept whatever retention says"},
            "number": nullable(
                "integer", description="its number among the pipeline's runs, from 1: #42"
            ),
            "steps": {"type": "array", "items": ref("StepRun")},
            "notifications": {
                "type": "array",
                "items": ref("Notification"),
                "description": "the run's notifications (the run detail only)",
            },
        },
        optional=("notifications",),
    ),
    "RunPage": obj(
        {
            "runs": {"type": "array", "items": ref("Run")},
            "next_cursor": nullable("string", description="pass as `cursor` for older runs"),
        }
    ),
    "LogLines": obj(
        {
            "lines": {
                "type": "array",
                "items": obj(
                    {
                        "id": {
                            "type": "integer",
                            "description": "increasing; pass the last one as `after`",
                        },
                        "ts": TIME,
                        "step": TEXT,
                        "stream": STRING,
                        "message": STRING,
                    },
                ),
            }
        }
    ),
    "CancelOutcome": obj(
        {
            "outcome": {
                "enum": ["dropped", "requested", "finished"],
                "description": "dropped: it was queued; requested: it is being stopped; "
                "finished: it had already ended",
            },
            "run": ref("Run"),
        }
    ),
}

SCHEMAS: dict[str, Any] = {**ERRORS, **PIPELINES, **RUNS}
