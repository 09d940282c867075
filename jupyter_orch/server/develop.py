"""Routes for developing steps in a notebook: the inputs a step had in a run, which
``jupyter_orch.use_step`` sets in the notebook's session (read-only: it records nothing)."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..develop.inputs import step_inputs
from ..errors import UserError
from .handlers import NAME, STEP, OrchHandler

#: The longest ``run`` (a run id, ``last``, ``last_succeeded``) and ``profile`` taken.
MAX_WORD = 100


def _word(body: dict[str, Any], field: str, default: str | None) -> str | None:
    value = body.get(field, default)
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_WORD):
        raise UserError(f"{field}: give a string of 1 to {MAX_WORD} characters")
    return value


class StepInputsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, step: str) -> None:
        body = self.body()
        unknown = sorted(set(body) - {"run", "params", "profile"})
        if unknown:
            raise UserError(f"unknown field(s) {', '.join(unknown)}: give run, params, profile")
        params = body.get("params", {})
        if not isinstance(params, dict):
            raise UserError("params: give an object of parameter names and values")
        inputs = await self.call(
            step_inputs,
            self.catalog.store,
            name,
            step,
            run=_word(body, "run", None) or "last",
            params=params,
            profile=_word(body, "profile", None),
        )
        self.reply(inputs)


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/pipelines/{NAME}/steps/{STEP}/inputs", StepInputsHandler),
]
