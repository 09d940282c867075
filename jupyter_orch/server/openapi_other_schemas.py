"""JSON Schemas of the REST API's other bodies: scheduling a notebook, run and webhook
requests, connections, version diffs (``openapi_schemas.py`` has the errors, pipelines and runs)."""

from __future__ import annotations

from typing import Any

from .openapi_schemas import (
    ANY_OBJECT,
    DURATION,
    PIPELINE_NAME,
    STRING,
    TEXT,
    TIME,
    nullable,
    obj,
    ref,
)

FILE_KIND = {"type": "string", "enum": ["notebook", "sql", "python"]}
VERSIONS = {
    "VersionFile": obj(
        {
            "path": {"type": "string", "description": "as the pipeline names it"},
            "kind": FILE_KIND,
            "hash": {"type": "string", "description": "sha256 of the kept content"},
        }
    ),
    "VersionDiff": obj(
        {
            "pipeline": PIPELINE_NAME,
            "from": {"type": "integer", "minimum": 1},
            "to": {"type": "integer", "minimum": 1},
            "yaml": {"type": "string", "description": "the pipeline files as a unified diff"},
            "files": {"type": "array", "items": ref("FileDiff")},
            "notes": {"type": "array", "items": STRING},
        }
    ),
    "FileDiff": obj(
        {
            "path": STRING,
            "kind": FILE_KIND,
            "status": {"type": "string", "enum": ["added", "removed", "changed"]},
            "diff": {
                "description": "a unified diff; for a notebook, nbdime's diff (a JSON array)",
                "type": ["string", "array"],
            },
            "base": {
                "description": "a notebook's old side as nbformat JSON (empty when added), "
                "which nbdime's diff applies to; null for other files",
                "type": ["object", "null"],
            },
        }
    ),
}

NOTEBOOKS = {
    "NotebookParameter": obj(
        {
            "name": STRING,
            "default": {"description": "the default as a JSON value when it is a literal"},
            "default_source": {"type": "string", "description": "the default as written"},
            "inferred_type": nullable(
                "string", enum=["int", "float", "str", "bool", "list", "dict", "None", None]
            ),
            "help": STRING,
        }
    ),
    "NotebookParameters": obj(
        {
            "path": TEXT,
            "kernel": TEXT,
            "language": TEXT,
            "has_parameters_cell": {"type": "boolean"},
            "parameters": {"type": "array", "items": ref("NotebookParameter")},
            "problem": nullable("string", description="why the cell could not be read"),
            "scheduled": {
                "description": "the pipeline scheduling this notebook made, if any: what the "
                "dialog starts from when it is scheduled again",
                "oneOf": [
                    obj(
                        {
                            "name": PIPELINE_NAME,
                            "path": TEXT,
                            "schedule": {"oneOf": [ref("Schedule"), {"type": "null"}]},
                            "paused": {"type": "boolean"},
                            "parameters": ANY_OBJECT,
                            "retries": nullable("integer"),
                            "timeout": {"type": ["number", "string", "null"]},
                        }
                    ),
                    {"type": "null"},
                ],
            },
        },
        optional=("scheduled",),
    ),
    "NotebookPipeline": {
        "description": "the registered pipeline, where it was written, and the run `run_now` made",
        "allOf": [
            ref("Pipeline"),
            obj(
                {
                    "created": {"type": "boolean", "description": "false: the file was updated"},
                    "notebook": TEXT,
                    "run": ref("Run"),
                },
                optional=("run",),
            ),
        ],
    },
    "SchedulePreview": obj(
        {
            "cron": STRING,
            "timezone": STRING,
            "description": {"type": "string", "description": "the cron in words"},
            "next": {"type": "array", "items": {"type": "string", "format": "date-time"}},
            "next_local": {
                "type": "array",
                "items": {"type": "string", "format": "date-time"},
                "description": "the same times in the schedule's zone",
            },
        }
    ),
}

REQUESTS = {
    "RegisterRequest": {
        "type": "object",
        "description": "a pipeline file under the root dir, or YAML text to save at `path`",
        "properties": {
            "path": {"type": "string", "description": "relative to the server's root dir"},
            "yaml": {"type": "string", "description": "the file's text, saved at `path`"},
            "replace": {"type": "boolean", "description": "take the name over from another file"},
        },
        "required": ["path"],
    },
    "PipelinePatch": {
        "type": "object",
        "properties": {
            "paused": {"type": "boolean"},
            "archived": {"type": "boolean"},
            "schedule": {
                "description": "a new schedule (a new version of the file); null removes it",
                "oneOf": [ref("ScheduleInput"), {"type": "null"}],
            },
        },
        "minProperties": 1,
        "additionalProperties": False,
    },
    "TriggerRequest": {
        "type": "object",
        "properties": {
            "parameters": {"type": "object", "description": "run parameters by name"},
            "trigger": {"enum": ["manual", "api"], "default": "api"},
            "profile": {
                "type": "string",
                "description": "one of the pipeline's profiles: its values, under parameters",
            },
        },
    },
    "PinRequest": {
        "type": "object",
        "properties": {"pinned": {"type": "boolean", "default": True}},
    },
    "RerunRequest": {
        "type": "object",
        "properties": {
            "from_failed": {
                "type": "boolean",
                "default": False,
                "description": "reuse the steps that succeeded (a repair)",
            },
            "exact": {
                "type": "boolean",
                "default": False,
                "description": "replay the run's own version byte for byte; otherwise the "
                "files as they are now (recorded as a new version if they changed)",
            },
        },
    },
    "ScheduleNotebookRequest": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "the notebook, relative to the root dir"},
            "schedule": {
                "oneOf": [ref("ScheduleInput"), {"type": "null"}],
                "description": "null: no schedule (once: it runs when asked, e.g. with run_now)",
            },
            "parameters": {"type": "object", "description": "names its parameters cell declares"},
            "retries": {"type": "integer", "minimum": 0, "maximum": 100},
            "timeout": DURATION,
            "name": {"type": "string", "description": "default: from the notebook's file name"},
            "run_now": {"type": "boolean", "default": False, "description": "also run it now"},
        },
        "required": ["path", "schedule"],
        "additionalProperties": False,
    },
    "WebhookRequest": {
        "type": "object",
        "properties": {"parameters": {"type": "object", "description": "run parameters"}},
    },
}

CONNECTIONS = {
    "Connection": obj(
        {
            "name": STRING,
            "defined_by": {
                "type": "string",
                "description": "JUPYTER_ORCH_CONN_<NAME> or c.OrchApp.connections",
            },
            "dialect": STRING,
            "host": TEXT,
            "port": nullable("integer"),
            "database": TEXT,
            "problem": {"type": "string", "description": "why the connection cannot be used"},
        },
        optional=("dialect", "host", "port", "database", "problem"),
    ),
    "ConnectionList": obj({"connections": {"type": "array", "items": ref("Connection")}}),
}

NOTIFICATIONS = {
    "Notification": obj(
        {
            "id": {"type": "string", "description": "the delivery id (X-Orch-Delivery)"},
            "event": {"enum": ["failure", "success", "recovery", "long_running", "missed"]},
            "step": nullable("string", description="set for a step's own notify"),
            "channel": STRING,
            "to": {"type": "array", "items": STRING},
            "status": {"enum": ["pending", "sent", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "error": TEXT,
            "response": nullable("string", description="what the channel answered"),
            "created_at": TIME,
            "sent_at": TIME,
            "slot": {"type": "string", "format": "date-time"},
        },
        optional=("slot",),
    ),
    "Channel": obj({"name": STRING, "kind": {"type": "string", "examples": ["email", "slack"]}}),
    "ChannelList": obj({"channels": {"type": "array", "items": ref("Channel")}}),
    "Health": obj(
        {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "schedulers": {
                "type": "array",
                "items": obj(
                    {
                        "kind": STRING,
                        "host": STRING,
                        "pid": {"type": "integer"},
                        "heartbeat_at": TIME,
                    }
                ),
            },
            "applied_pipelines": {"type": "integer", "minimum": 0},
            "problems": {
                "type": "array",
                "items": obj(
                    {
                        "code": {"type": "string", "enum": ["no_scheduler"]},
                        "message": STRING,
                        "pipelines": {"type": "array", "items": STRING},
                    }
                ),
            },
        }
    ),
}

_SPREAD = {
    "duration_s": obj({"median": nullable("number"), "p95": nullable("number")}),
    "peak_memory_bytes": obj({"median": nullable("integer"), "max": nullable("integer")}),
    "failure_rate": nullable("number", description="failed or timed out / ended (0 to 1)"),
}
_FIGURES = {
    "runs": {"type": "integer", "minimum": 0},
    "from": TIME,
    "to": TIME,
    **_SPREAD,
    "slowest_step": nullable("string"),
    "steps": {
        "type": "array",
        "items": obj({"name": STRING, "count": {"type": "integer", "minimum": 0}, **_SPREAD}),
    },
}
STATS = {
    "RunFigures": obj(_FIGURES),
    "PipelineStats": obj(
        {
            "pipeline": STRING,
            "last": {"type": "integer", "minimum": 1},
            **_FIGURES,
            "previous": ref("RunFigures"),
        }
    ),
}

OTHER_SCHEMAS: dict[str, Any] = {
    **NOTEBOOKS,
    **REQUESTS,
    **CONNECTIONS,
    **NOTIFICATIONS,
    **STATS,
    **VERSIONS,
}
