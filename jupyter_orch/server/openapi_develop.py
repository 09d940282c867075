"""The OpenAPI document's part for developing steps in a notebook (``develop.py``): the
inputs a step had in a run, the shape of ``develop.inputs.step_inputs``."""

from __future__ import annotations

from typing import Any

from ..records import RunStatus
from .openapi_paths import PIPELINE, STEP, answer, body, errors, operation
from .openapi_schemas import ANY_OBJECT, STRING, obj, values

WORD = {"type": "string", "minLength": 1, "maxLength": 100}

DEVELOP_PATHS: dict[str, Any] = {
    "/orch/pipelines/{name}/steps/{step}/inputs": {
        "parameters": [PIPELINE, STEP],
        "post": operation(
            "stepInputs",
            "pipelines",
            "The step's parameters as a run passed them (upstream outputs resolved from the "
            "run's records), for `jupyter_orch.use_step` in a notebook; records nothing",
            {"200": answer("the step's inputs", "StepInputs"), **errors(400, 403, 404)},
            requestBody=body("StepInputsRequest", required=False),
        ),
    },
}

DEVELOP_SCHEMAS: dict[str, Any] = {
    "StepInputsRequest": obj(
        {
            "run": {**WORD, "description": "`last` (default), `last_succeeded` or a run id"},
            "params": {**ANY_OBJECT, "description": "values over the run's parameters"},
            "profile": {**WORD, "description": "one of the pipeline's `profiles:`"},
        },
        optional=("run", "params", "profile"),
        additionalProperties=False,
    ),
    "StepInputs": obj(
        {
            "pipeline": STRING,
            "step": STRING,
            "kind": STRING,
            "run": obj(
                {
                    "id": STRING,
                    "number": {"type": "integer"},
                    "status": {"type": "string", "enum": values(RunStatus)},
                    "version": {"type": "integer"},
                }
            ),
            "parameters": {
                **ANY_OBJECT,
                "description": "what the step received: for a notebook, the pipeline "
                "parameters its parameters cell declares, then its own rendered parameters",
            },
            "upstream_missing": {
                "type": "array",
                "items": STRING,
                "description": "upstream steps that did not succeed in that run",
            },
            "secrets": {"type": "array", "items": STRING},
            "connections": {"type": "array", "items": STRING},
        }
    ),
}
