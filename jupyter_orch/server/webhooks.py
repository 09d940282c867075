"""``POST /orch/hooks/{name}``: the one route open without a Jupyter token. It authenticates
each request by its HMAC signature instead (``jupyter_orch/webhooks.py``), so it needs no XSRF
token either; the body is read as it streams in and refused past 1 MB."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import allow_unauthenticated

from jupyter_orch.scheduling.webhooks import MAX_BODY, SIGNATURE_HEADER, WebhookReceiver

from ..errors import SignatureError
from .handlers import NAME, OrchHandler


@tornado.web.stream_request_body
class WebhookHandler(OrchHandler):
    """Creates a run from a signed delivery: 202 with the run, or 200 with the run a replayed
    delivery id created before."""

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self._chunks: list[bytes] = []
        self._size = 0

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished:
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise _too_large()
        # Backstop for a body without a length: tornado closes the connection past this.
        self.request.connection.set_max_body_size(2 * MAX_BODY)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= MAX_BODY:
            self._chunks.append(chunk)
        elif not self._finished:
            # A chunked body past the cap: answer now; tornado then closes the connection
            # rather than read the rest.
            error = _too_large()
            self.send_error(413, exc_info=(type(error), error, None))

    def check_xsrf_cookie(self) -> None:
        """No XSRF token: a cookie cannot sign a request; the signature is the credential."""

    @allow_unauthenticated
    async def post(self, name: str) -> None:
        if self._finished:  # answered 413 while the body came in
            return
        receiver = WebhookReceiver(self.catalog.orch)
        body = b"".join(self._chunks)
        received = await self.call(receiver.receive, name, self.request.headers, body)
        if received.created:
            wake = self.settings.get("jupyter_orch.wake")
            if wake is not None:
                wake()  # the scheduler claims it now, not at its next round
        self.reply(self.catalog.run_json(received.run), 202 if received.created else 200)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], SignatureError):
            self.set_header("WWW-Authenticate", f'HMAC-SHA256 header="{SIGNATURE_HEADER}"')
        super().write_error(status_code, **kwargs)


def _too_large() -> tornado.web.HTTPError:
    return tornado.web.HTTPError(413, f"body: larger than {MAX_BODY // 1024 // 1024} MB")


ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (rf"/orch/hooks/{NAME}", WebhookHandler),
]
