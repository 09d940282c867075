"""The paths of the OpenAPI document besides pipelines and runs: notebooks, webhooks,
connections, channels, health and the document itself."""

from __future__ import annotations

from typing import Any

from .openapi_paths import (
    JSON,
    PIPELINE,
    REQUEST_KEY,
    answer,
    body,
    errors,
    header,
    operation,
    query,
)

NOTEBOOK_PATHS: dict[str, Any] = {
    "/orch/notebooks/schedule": {
        "post": operation(
            "scheduleNotebook",
            "notebooks",
            "Write `<notebook stem>.pipeline.yaml` beside the notebook (never over a "
            "different file) and register it",
            {
                "201": answer("the registered pipeline", "NotebookPipeline"),
                **errors(400, 403, 404, 409),
            },
            requestBody=body("ScheduleNotebookRequest"),
        ),
    },
    "/orch/notebooks/parameters": {
        "get": operation(
            "notebookParameters",
            "notebooks",
            "The notebook's parameters cell: names, defaults, inferred types",
            {"200": answer("the parameters", "NotebookParameters"), **errors(400, 403, 404)},
            parameters=[
                query("path", {"type": "string"}, "relative to the root dir", required=True)
            ],
        ),
    },
    "/orch/schedules/preview": {
        "get": operation(
            "previewSchedule",
            "schedules",
            "A cron in words and its next run times, from the scheduler's own code",
            {"200": answer("the preview", "SchedulePreview"), **errors(400, 403)},
            parameters=[
                query("cron", {"type": "string"}, "a cron text, e.g. `0 9 * * 1-5`", required=True),
                query("timezone", {"type": "string"}, "an IANA zone (default: the server's)"),
                query(
                    "count",
                    {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
                    "how many run times",
                ),
                query(
                    "after",
                    {"type": "string", "format": "date-time"},
                    "run times after this instant (default: now)",
                ),
            ],
        ),
    },
}


SIGNATURE_HEADERS = [
    header(
        "X-Orch-Timestamp",
        {"type": "string", "pattern": "^[0-9]{1,12}$"},
        "when the caller signed, in Unix seconds (at most 5 minutes from the server's clock)",
    ),
    header("X-Orch-Delivery", REQUEST_KEY, "unique per delivery; a repeat is a replay"),
    header(
        "X-Orch-Signature",
        {"type": "string"},
        '`sha256=` and the hex HMAC-SHA256 of `timestamp + "." + raw body`, keyed with the '
        "secret from the environment variable the pipeline names (`on.webhook.secret_env`)",
    ),
]

OTHER_PATHS: dict[str, Any] = {
    "/orch/connections": {
        "get": operation(
            "listConnections",
            "connections",
            "The named database connections: dialect, host and database, never a password",
            {"200": answer("the connections", "ConnectionList"), **errors(403)},
        ),
    },
    "/orch/channels": {
        "get": operation(
            "listChannels",
            "connections",
            "The notification channels: names and kinds only, never a URL",
            {"200": answer("the channels", "ChannelList"), **errors(403)},
        ),
    },
    "/orch/health": {
        "get": operation(
            "health",
            "connections",
            "Whether jobs run on schedule: the schedulers alive on the store (a heartbeat in the "
            "last minute), and a problem when pipelines are applied but none is",
            {"200": answer("ok, or degraded with each problem", "Health"), **errors(403)},
        ),
    },
    "/orch/hooks/{name}": {
        "parameters": [PIPELINE],
        "post": operation(
            "webhook",
            "webhooks",
            "Trigger a run from another system, authenticated by its signature (no token)",
            {
                "202": answer("the queued run", "Run"),
                "200": answer("a replayed delivery: the run it made the first time", "Run"),
                **errors(400, 401, 404, 409, 413),
            },
            security=[],
            parameters=SIGNATURE_HEADERS,
            requestBody=body("WebhookRequest", required=False),
        ),
    },
    "/orch/openapi.json": {
        "get": operation(
            "openapi",
            "meta",
            "This document",
            {
                "200": {
                    "description": "the OpenAPI document",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                **errors(403),
            },
        ),
    },
}
