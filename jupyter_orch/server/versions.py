"""Routes for versions and comparisons: a pipeline's history, one version, the difference
between two, a rollback; and two runs side by side, with one step's output notebooks cell by
cell. Comparing notebooks runs nbdime in a bounded child process, waited for in the server's
pool for reading files."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..errors import UserError
from ..run_compare import compare_runs, compare_step_notebooks
from ..version_views import rollback_json
from .handlers import NAME, RUN, STEP, OrchHandler


def version_number(text: str) -> int:
    """A version number of a path; 400 when it is not a whole number from 1."""
    if not text.isdigit() or len(text) > 10 or not 1 <= int(text) < 2**31:
        raise UserError(f"version: give a whole number from 1, got {text[:20]!r}")
    return int(text)


class VersionsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply({"versions": await self.call(self.catalog.versions, name)})


class VersionHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, number: str) -> None:
        self.reply(await self.call(self.catalog.version, name, int(number)))


class VersionDiffHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, a: str, b: str) -> None:
        numbers = [version_number(text) for text in (a, b)]
        self.reply(await self.call_reading(self.catalog.version_diff, name, *numbers))


class RollbackHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        catalog = self.catalog
        answer = await self.call_reading(
            rollback_json, catalog.orch, catalog.root, name, self.body(), self.actor()
        )
        self.reply(answer)


class RunCompareHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str, other: str) -> None:
        catalog = self.catalog
        self.reply(await self.call(compare_runs, catalog.store, run_id, other, catalog.root))


class StepNotebooksHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str, other: str, step: str) -> None:
        catalog = self.catalog
        answer = await self.call_reading(
            compare_step_notebooks, catalog.store, run_id, other, step, catalog.root
        )
        self.reply(answer)


OTHER = RUN.replace("run_id", "other")

ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/pipelines/{NAME}/versions", VersionsHandler),
    (rf"/orch/pipelines/{NAME}/versions/(?P<number>[0-9]+)", VersionHandler),
    (rf"/orch/pipelines/{NAME}/versions/(?P<a>[^/]+)/diff/(?P<b>[^/]+)", VersionDiffHandler),
    (rf"/orch/pipelines/{NAME}/rollback", RollbackHandler),
    (rf"/orch/runs/{RUN}/compare/{OTHER}", RunCompareHandler),
    (rf"/orch/runs/{RUN}/compare/{OTHER}/steps/{STEP}/notebooks", StepNotebooksHandler),
]
