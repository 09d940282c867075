"""Routes for what happened: the activity log (who did what, when, from where; read-only, the
API appends nothing but through the actions themselves) and the lineage graph."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..activity import activity_page
from ..errors import UserError
from ..lineage_views import lineage_graph
from ..outputs import MAX_DATASET_NAME
from .handlers import OrchHandler

#: The longest name a filter takes.
MAX_FILTER = 200


class ActivityHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        filters = {}
        for field in ("pipeline", "actor", "since"):
            value = self.get_query_argument(field, None) or None
            if value is not None and len(value) > MAX_FILTER:
                raise UserError(f"{field}: at most {MAX_FILTER} characters")
            filters[field] = value
        page = await self.call(
            activity_page,
            self.catalog.store,
            limit=self.int_argument("limit", 50, minimum=1),
            cursor=self.get_query_argument("cursor", None) or None,
            **filters,
        )
        self.reply(page)


class LineageHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        pipeline = self.get_query_argument("pipeline", None) or None
        dataset = self.get_query_argument("dataset", None) or None
        if dataset is not None and len(dataset) > MAX_DATASET_NAME:
            raise UserError(f"dataset: at most {MAX_DATASET_NAME} characters")
        store = self.catalog.store
        graph = await self.call(lineage_graph, store, pipeline=pipeline, dataset=dataset)
        self.reply(graph)


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (r"/orch/activity", ActivityHandler),
    (r"/orch/lineage", LineageHandler),
]
