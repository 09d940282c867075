"""The OpenAPI 3.1 document of the REST API, served at ``GET /orch/openapi.json``.

Written as data, next to the routes it describes, and kept true by ``tests/test_openapi.py``:
every documented path and method has a handler and every ``/orch`` handler is documented, path
parameter patterns are the route regexes, and schemathesis finds no 500 and no answer the
document does not describe.
"""

from __future__ import annotations

import copy
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .._version import __version__
from .handlers import OrchHandler
from .openapi_artifacts import ARTIFACT_PATHS, ARTIFACT_SCHEMAS, RUN_NOTEBOOK_PATHS
from .openapi_backfills import BACKFILL_PATHS, BACKFILL_SCHEMAS
from .openapi_compare import COMPARE_PATHS, COMPARE_SCHEMAS
from .openapi_develop import DEVELOP_PATHS, DEVELOP_SCHEMAS
from .openapi_other_paths import NOTEBOOK_PATHS, OTHER_PATHS
from .openapi_other_schemas import OTHER_SCHEMAS
from .openapi_paths import PIPELINE_PATHS, RUN_PATHS
from .openapi_schemas import SCHEMAS

DESCRIPTION = """\
Notebook pipelines of jupyter-orch: register, schedule, trigger and inspect runs.

Authentication is Jupyter Server's: send `Authorization: token <token>` (or use a browser
session's cookie, with the `X-XSRFToken` header on any change). Without it every route answers
403, except the webhook route, which authenticates by its HMAC signature. A mistake in a request
is a 4xx with `{"error": "...", "details": [{"field": "...", "message": "..."}]}`; only a
fault of the server is a 500; while the store cannot be opened, every route but this document
answers 503 with the reason. Paths in bodies and answers are relative to the server's root
dir (output notebooks open through `/api/contents/<output_notebook>`).
"""


def document(base_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document for a server whose ``base_url`` is ``base_url``; a copy, as
    callers such as schemathesis write into theirs."""
    security = {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`token <token>`: the server's token",
    }
    tags = ("pipelines", "runs", "notebooks", "schedules", "webhooks", "meta")
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter-orch REST API",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [{"url": base_url.rstrip("/") or "/", "description": "this Jupyter Server"}],
        "tags": [{"name": name} for name in tags],
        "paths": {
            **PIPELINE_PATHS,
            **NOTEBOOK_PATHS,
            **RUN_PATHS,
            **ARTIFACT_PATHS,
            **RUN_NOTEBOOK_PATHS,
            **BACKFILL_PATHS,
            **COMPARE_PATHS,
            **DEVELOP_PATHS,
            **OTHER_PATHS,
        },
        "components": {
            "schemas": {
                **SCHEMAS,
                **OTHER_SCHEMAS,
                **ARTIFACT_SCHEMAS,
                **COMPARE_SCHEMAS,
                **DEVELOP_SCHEMAS,
                **BACKFILL_SCHEMAS,
            },
            "securitySchemes": {"JupyterToken": security},
        },
        "security": [{"JupyterToken": []}],
    }
    return copy.deepcopy(doc)


class OpenAPIHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(document(self.base_url))


ROUTES: list[tuple[str, type[OrchHandler]]] = [(r"/orch/openapi\.json", OpenAPIHandler)]
