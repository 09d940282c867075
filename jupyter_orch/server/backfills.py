"""Routes for backfills: start one (or ask what it would make), list them, read and cancel
one. The work is ``jupyter_orch.backfills``'s; the server's scheduler runs their runs."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..backfills import (
    backfill_json,
    cancel_backfill,
    plan_backfill,
    preview_json,
    request_from_body,
    start_backfill,
)
from ..errors import UserError
from ..store.backfill_types import BackfillStatus
from .handlers import NAME, OrchHandler

BACKFILL = r"(?P<backfill_id>bf-[0-9A-Za-z]{1,29})"


class PipelineBackfillsHandler(OrchHandler):
    """``dry_run: true``: what the backfill would make (200), nothing written."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        catalog = self.catalog
        request, dry_run = request_from_body(name, self.body())
        zone = catalog.default_timezone
        if dry_run:
            planned = await self.call(plan_backfill, catalog.orch, request, zone, self.actor())
            self.reply(preview_json(planned))
            return
        record = await self.call(start_backfill, catalog.orch, request, zone, self.actor())
        wake = self.settings.get("jupyter_orch.wake")
        if wake is not None:
            wake()  # its first runs are queued and claimed now, not at the next round
        self.reply(backfill_json(record), 201)


class BackfillsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        limit = self.int_argument("limit", 50, minimum=1)
        if limit > 1000:
            raise UserError("limit: give a number of backfills from 1 to 1000")
        status = self.get_query_argument("status", None)
        if status is not None and status not in {s.value for s in BackfillStatus}:
            raise UserError(f"status: give one of {', '.join(s.value for s in BackfillStatus)}")
        found = await self.call(
            self.catalog.store.list_backfills,
            pipeline=self.get_query_argument("pipeline", None),
            status=status,
            limit=limit,
        )
        self.reply({"backfills": [backfill_json(b) for b in found]})


class BackfillHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, backfill_id: str) -> None:
        record = await self.call(self.catalog.store.get_backfill, backfill_id)
        self.reply(backfill_json(record))


class BackfillCancelHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, backfill_id: str) -> None:
        record = await self.call(cancel_backfill, self.catalog.orch, backfill_id)
        self.reply(backfill_json(record))


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/pipelines/{NAME}/backfills", PipelineBackfillsHandler),
    (r"/orch/backfills", BackfillsHandler),
    (rf"/orch/backfills/{BACKFILL}", BackfillHandler),
    (rf"/orch/backfills/{BACKFILL}/cancel", BackfillCancelHandler),
]
