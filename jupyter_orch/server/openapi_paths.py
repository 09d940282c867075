"""The paths of the OpenAPI document: every route, its operation, parameters and answers.

Written as data; ``openapi.py`` assembles the document and serves it.
"""

from __future__ import annotations

from typing import Any

from ..records import Trigger
from .openapi_schemas import ref

JSON = "application/json"

ERROR_TEXT = {
    400: "a mistake in the request; `details` names each field and what to fix",
    401: "no valid signature: a missing or wrong `X-Orch-Signature`, or a timestamp outside "
    "the 5-minute window",
    403: "no valid token (a cookie session also needs the XSRF token to change anything), or "
    "the authorizer denies the `orch` resource",
    404: "no such pipeline, version, run or notebook (for a webhook: no webhook by that name)",
    409: "conflicts with what is stored: another file holds the name or the path, the "
    "pipeline's overlap limit, a paused (webhooks) or archived pipeline, or an `Idempotency-Key` or "
    "delivery id reused with another body",
    413: "the body is larger than 1 MB",
    422: "the file is there but cannot be shown: a table that does not parse (or needs more "
    "than 10 s or 512 MiB to read its first rows), an image past 20 MiB, a file of another kind",
    503: "the orchestration store is not open (yet): `error` says why, and whether the server "
    "is retrying (it is, unless the store URL itself is wrong)",
}


def answer(description: str, schema: str | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": ERROR_TEXT[code], "content": {JSON: {"schema": ref("Error")}}}
        for code in codes
    }


def body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": ref(schema)}}}


def parameter(
    where: str, name: str, schema: dict[str, Any], description: str, *, required: bool
) -> Any:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def path_parameter(name: str, pattern: str, description: str) -> dict[str, Any]:
    return parameter(
        "path", name, {"type": "string", "pattern": f"^{pattern}$"}, description, required=True
    )


def query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> Any:
    return parameter("query", name, schema, description, required=required)


def header(name: str, schema: dict[str, Any], description: str, *, required: bool = True) -> Any:
    return parameter("header", name, schema, description, required=required)


#: An Idempotency-Key or a delivery id: 1 to 200 visible ASCII characters (a UUID, say).
REQUEST_KEY = {"type": "string", "pattern": "^[!-~]{1,200}$"}

# The patterns are the route regexes of handlers.py (the tests compare them).
PIPELINE = path_parameter("name", "[a-z0-9][a-z0-9_-]*", "the pipeline's name")
RUN = path_parameter("run_id", "[0-9A-Za-z]{1,32}", "the run's id")
#: A time in a query: ISO 8601; UTC when it names no zone.
TIME_ARG = {"type": "string", "format": "date-time"}
STEP = path_parameter(
    "step",
    r"[A-Za-z_][A-Za-z0-9_]{0,99}(?:\[[0-9]{1,4}\]|%5[Bb][0-9]{1,4}%5[Dd])?",
    "the step's name, or a for-each item's (`report[0]`, the brackets as they are or "
    "percent-encoded)",
)
VERSION = path_parameter("number", "[0-9]+", "the version number (1 is the first)")
#: The two versions a diff compares: any segment here; not a whole number from 1 is a 400.
DIFF_FROM = path_parameter("a", "[^/]+", "the older version's number")
DIFF_TO = path_parameter("b", "[^/]+", "the newer version's number")


def operation(
    op_id: str, tag: str, summary: str, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    # Every route needs the store, but this document's own
    unavailable = errors(503) if op_id != "openapi" else {}
    return {
        "operationId": op_id,
        "tags": [tag],
        "summary": summary,
        "responses": {**responses, **unavailable},
        **extra,
    }


PIPELINE_PATHS: dict[str, Any] = {
    "/orch/pipelines": {
        "get": operation(
            "listPipelines",
            "pipelines",
            "Pipelines with schedule (cron, zone, words), next run, paused, last run status",
            {"200": answer("the registered pipelines", "PipelineList"), **errors(400, 403)},
            parameters=[query("all", {"type": "boolean"}, "archived pipelines too")],
        ),
        "post": operation(
            "registerPipeline",
            "pipelines",
            "Register (and activate) a pipeline from a file under the root dir or YAML text",
            {
                "201": answer("the registered pipeline", "Pipeline"),
                **errors(400, 403, 409),
            },
            requestBody=body("RegisterRequest"),
        ),
    },
    "/orch/pipelines/validate": {
        "post": operation(
            "validatePipeline",
            "pipelines",
            "Every problem of a pipeline file or YAML text; registers nothing",
            {"200": answer("the problems found (none: valid)", "Validation"), **errors(400, 403)},
            requestBody=body("RegisterRequest"),
        ),
    },
    "/orch/pipelines/{name}": {
        "parameters": [PIPELINE],
        "get": operation(
            "getPipeline",
            "pipelines",
            "One pipeline with its steps, needs and schedule",
            {"200": answer("the pipeline", "Pipeline"), **errors(403, 404)},
        ),
        "patch": operation(
            "changePipeline",
            "pipelines",
            "Pause or resume it, archive or unarchive it, or change its schedule (a new "
            "version of its file)",
            {"200": answer("the pipeline as changed", "Pipeline"), **errors(400, 403, 404, 409)},
            requestBody=body("PipelinePatch"),
        ),
        "delete": operation(
            "deletePipeline",
            "pipelines",
            "Forget the pipeline and its history (its file stays); refused while it has "
            "queued or running runs",
            {"204": answer("deleted"), **errors(403, 404, 409)},
        ),
    },
    "/orch/pipelines/{name}/versions": {
        "parameters": [PIPELINE],
        "get": operation(
            "listVersions",
            "pipelines",
            "Version history, newest first",
            {"200": answer("the versions", "VersionList"), **errors(403, 404)},
        ),
    },
    "/orch/pipelines/{name}/versions/{number}": {
        "parameters": [PIPELINE, VERSION],
        "get": operation(
            "getVersion",
            "pipelines",
            "One version's full definition and file text",
            {"200": answer("the version", "VersionDetail"), **errors(403, 404)},
        ),
    },
    "/orch/pipelines/{name}/versions/{a}/diff/{b}": {
        "parameters": [PIPELINE, DIFF_FROM, DIFF_TO],
        "get": operation(
            "diffVersions",
            "pipelines",
            "What changed between two versions: the YAML and each file its steps name",
            {"200": answer("the differences", "VersionDiff"), **errors(400, 403, 404)},
        ),
    },
    "/orch/pipelines/{name}/runs": {
        "parameters": [PIPELINE],
        "post": operation(
            "triggerRun",
            "runs",
            "Queue a run of the newest version; the scheduler starts it",
            {
                "202": answer(
                    "the queued run; with an Idempotency-Key sent before with the same body: "
                    "the run that request made",
                    "Run",
                ),
                **errors(400, 403, 404, 409),
            },
            parameters=[
                header(
                    "Idempotency-Key",
                    REQUEST_KEY,
                    "the same key and body return the same run; with another body: 409",
                    required=False,
                )
            ],
            requestBody=body("TriggerRequest", required=False),
        ),
    },
    "/orch/pipelines/{name}/stats": {
        "parameters": [PIPELINE],
        "get": operation(
            "pipelineStats",
            "pipelines",
            "Durations (median, p95), peak memory (median, max) and failure rate over the last "
            "runs, for the whole run and per step, with the slowest step and the runs before",
            {"200": answer("the figures", "PipelineStats"), **errors(400, 403, 404)},
            parameters=[
                query(
                    "last",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20},
                    "how many finished runs to count",
                )
            ],
        ),
    },
}

RUN_PATHS: dict[str, Any] = {
    "/orch/runs": {
        "get": operation(
            "listRuns",
            "runs",
            "Runs, newest first, a page at a time",
            {"200": answer("a page of runs", "RunPage"), **errors(400, 403)},
            parameters=[
                query("pipeline", {"type": "string"}, "only this pipeline's runs"),
                query("status", {"type": "string"}, "only runs with this status"),
                query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    "page size",
                ),
                query("cursor", {"type": "string"}, "`next_cursor` of the previous page"),
                query(
                    "q",
                    {"type": "string", "maxLength": 200},
                    "text: part of a pipeline's name or a run's id, a run's number (42, #42), "
                    "a trigger or a status",
                ),
                query("since", TIME_ARG, "only runs created at or after this time"),
                query("until", TIME_ARG, "only runs created before this time"),
                query(
                    "trigger",
                    {"type": "string", "enum": [t.value for t in Trigger]},
                    "only runs of this trigger; test runs (`jupyter orch test`) are listed only "
                    "with `trigger=test`",
                ),
            ],
        ),
    },
    "/orch/runs/{run_id}": {
        "parameters": [RUN],
        "get": operation(
            "getRun",
            "runs",
            "The run record: steps, attempts, outputs, errors, output notebooks",
            {"200": answer("the run", "Run"), **errors(403, 404)},
        ),
    },
    "/orch/runs/{run_id}/logs": {
        "parameters": [RUN],
        "get": operation(
            "getRunLogs",
            "runs",
            "The run log: orchestration lines and each step's output",
            {"200": answer("the log lines, oldest first", "LogLines"), **errors(400, 403, 404)},
            parameters=[
                query(
                    "after",
                    {"type": "integer", "minimum": 0, "default": 0},
                    "only the lines after the line with this id (0: all)",
                ),
            ],
        ),
    },
    "/orch/runs/{run_id}/cancel": {
        "parameters": [RUN],
        "post": operation(
            "cancelRun",
            "runs",
            "Drop a queued run or stop a running one; harmless on a finished one",
            {"200": answer("what happened, and the run", "CancelOutcome"), **errors(403, 404)},
        ),
    },
    "/orch/runs/{run_id}/pin": {
        "parameters": [RUN],
        "post": operation(
            "pinRun",
            "runs",
            'Keep a run whatever retention says (`{"pinned": false}` undoes it)',
            {"200": answer("the run", "Run"), **errors(400, 403, 404)},
            requestBody=body("PinRequest", required=False),
        ),
    },
    "/orch/runs/{run_id}/steps/{step}/retry-now": {
        "parameters": [RUN, STEP],
        "post": operation(
            "retryStepNow",
            "runs",
            "End a retrying step's wait: its next attempt starts at the executor's next "
            "heartbeat (within seconds)",
            {"202": answer("the run, as it is now", "Run"), **errors(403, 404, 409)},
        ),
    },
    "/orch/runs/{run_id}/steps/{step}/fail-now": {
        "parameters": [RUN, STEP],
        "post": operation(
            "failStepNow",
            "runs",
            "Give up a retrying step's remaining attempts: it ends failed with its last error",
            {"202": answer("the run, as it is now", "Run"), **errors(403, 404, 409)},
        ),
    },
    "/orch/runs/{run_id}/rerun": {
        "parameters": [RUN],
        "post": operation(
            "rerunRun",
            "runs",
            "A new run with the run's parameters: of the files as they are now, or (exact) of "
            "the run's own version byte for byte",
            {"202": answer("the queued run", "Run"), **errors(400, 403, 404, 409)},
            requestBody=body("RerunRequest", required=False),
        ),
    },
}
