"""Routes for "schedule this notebook": a cron's preview, a notebook's parameters, and the
one-step pipeline written beside the notebook. The work is ``NotebookScheduling``'s."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..notebook_schedules import NotebookScheduling
from .handlers import OrchHandler


class NotebookSchedulingHandler(OrchHandler):
    @property
    def scheduling(self) -> NotebookScheduling:
        return NotebookScheduling(self.catalog)


class SchedulePreviewHandler(NotebookSchedulingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        arg = self.get_query_argument
        preview = await self.call(
            self.scheduling.preview,
            arg("cron", None),
            timezone=arg("timezone", None),
            count=arg("count", "5"),
            after=arg("after", None),
        )
        self.reply(preview)


class NotebookParametersHandler(NotebookSchedulingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_query_argument("path", "")
        self.reply(await self.call_reading(self.scheduling.parameters, path))


class ScheduleNotebookHandler(NotebookSchedulingHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        pipeline = await self.call_reading(self.scheduling.schedule, self.body(), self.actor())
        wake = self.settings.get("jupyter_orch.wake")
        if wake is not None:
            wake()  # a new schedule, and a run with run_now, are seen now, not at the next round
        self.reply(pipeline, 201)


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (r"/orch/schedules/preview", SchedulePreviewHandler),
    (r"/orch/notebooks/parameters", NotebookParametersHandler),
    (r"/orch/notebooks/schedule", ScheduleNotebookHandler),
]
