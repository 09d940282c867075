"""Routes for a run's artifacts: a table's first rows, and an image, for the run detail. The
work is ``RunArtifacts``'s, in the server's pool for reading files (a preview may wait for its
Parquet reader up to its time limit)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..artifact_views import RunArtifacts
from .handlers import RUN, OrchHandler


class ArtifactHandler(OrchHandler):
    @property
    def artifacts(self) -> RunArtifacts:
        return RunArtifacts(self.catalog.store, self.catalog.root)

    def path_argument(self) -> str:
        return self.get_query_argument("path", "")


class ArtifactPreviewHandler(ArtifactHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        rows = self.int_argument("rows", 20, minimum=1)
        path = self.path_argument()
        self.reply(await self.call_reading(self.artifacts.preview, run_id, path, rows))


class ArtifactImageHandler(ArtifactHandler):
    """The image's bytes with its own content type, never sniffed; an SVG is an attachment and
    sandboxed, so opening its URL never runs a script of it."""

    @property
    def content_security_policy(self) -> str:
        return super().content_security_policy + "; sandbox"

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        image = await self.call_reading(self.artifacts.image, run_id, self.path_argument())
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "private, no-cache")
        how = "attachment" if image.content_type == "image/svg+xml" else "inline"
        self.set_header("Content-Disposition", f'{how}; filename="{header_safe(image.name)}"')
        self.finish(image.data, set_content_type=image.content_type)


def header_safe(name: str) -> str:
    """A file name a header can hold: printable ASCII without quotes or backslashes."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/runs/{RUN}/artifacts/preview", ArtifactPreviewHandler),
    (rf"/orch/runs/{RUN}/artifacts/image", ArtifactImageHandler),
]
