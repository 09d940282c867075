"""Routes for a run's output notebooks, read-only, as Jupyter's contents API gives files: the
lab opens them with its own notebook widget where the contents API cannot reach them (a
``runs_dir`` outside the root). The work is ``RunNotebooks``'s, in the server's pool for
reading files."""

from __future__ import annotations

import json

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..run_notebooks import RunNotebooks
from .artifacts import header_safe
from .handlers import RUN, OrchHandler

#: A notebook's file name in its run's folder: one path component, never a way out of it.
NOTEBOOK = r"(?P<notebook>[^/\\]{1,255}\.ipynb)"


class RunNotebooksHandler(OrchHandler):
    @property
    def notebooks(self) -> RunNotebooks:
        return RunNotebooks(self.catalog.store)


class RunNotebookListHandler(RunNotebooksHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.reply(await self.call_reading(self.notebooks.listing, run_id))


class RunNotebookHandler(RunNotebooksHandler):
    """``?content=0``: the model without the notebook; ``?download=1``: the notebook itself, an
    attachment (whatever ``content`` says)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str, notebook: str) -> None:
        download = self.bool_argument("download")
        content = download or self.bool_argument("content", default=True)
        model = await self.call_reading(self.notebooks.notebook, run_id, notebook, content=content)
        if not download:
            self.reply(model)
            return
        self.set_header("Content-Disposition", f'attachment; filename="{header_safe(notebook)}"')
        self.finish(
            json.dumps(model["content"], indent=1, ensure_ascii=False),
            set_content_type="application/x-ipynb+json",
        )


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/runs/{RUN}/notebooks", RunNotebookListHandler),
    (rf"/orch/runs/{RUN}/notebooks/{NOTEBOOK}", RunNotebookHandler),
]
