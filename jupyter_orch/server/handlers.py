"""REST handlers: each authenticates and authorizes through Jupyter Server, then calls one
``Catalog`` method in a thread. One place maps domain errors to HTTP codes."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import inspect
import json
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Any, TypeVar

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import ValidationError

from jupyter_orch.inputs.json_body import parse_json_object
from jupyter_orch.inputs.paths import relative_to_root

from ..activity import Actor, act_as
from ..catalog import Catalog, problems_json
from ..connections import describe_connections
from ..errors import (
    ConflictError,
    NameTaken,
    NotFoundError,
    SignatureError,
    SpecError,
    UnavailableError,
    UnreadableFile,
    UserError,
)
from ..masking import mask_json, mask_text
from ..versions.actors import token_actor
from .availability import Availability

T = TypeVar("T")

#: The resource name Jupyter Server's authorizer sees for every route of ours.
AUTH_RESOURCE = "orch"
#: The header the JupyterLab extension sends with each request, and its value.
CLIENT_HEADER = "X-Orch-Client"
LAB_CLIENT = "jupyterlab"
#: What the activity log says a request came from, by that header (others: ``api``).
CLIENT_ORIGINS = {LAB_CLIENT: "lab", "notebook": "notebook"}


def error_response(exc: BaseException, catalog: Catalog | None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body for an error; only a real fault is a 500."""
    if isinstance(exc, SpecError):
        root = catalog.root if catalog else None
        details = problems_json(exc, root) if root else []
        count = len(exc.problems)
        # The file relative to the root dir: answers never show the server's own folders
        if not exc.file:  # a request's own fields (a cron to preview, a body), not a file
            text = "; ".join(
                f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems
            )
            return 400, {"error": text or "invalid request", "details": details}
        where = relative_to_root(root, exc.file) if root else None
        head = f"{where or 'the pipeline'} is not a valid pipeline"
        return 400, {
            "error": f"{head}: {count} problem{'s' if count != 1 else ''}",
            "details": details,
        }
    if isinstance(exc, ValidationError):
        details = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        return 400, {"error": "invalid request", "details": details}
    if isinstance(exc, NotFoundError):
        return 404, {"error": str(exc), "details": []}
    if isinstance(exc, ConflictError):
        code = {"code": exc.code} if isinstance(exc, NameTaken) else {}
        return 409, {"error": str(exc), "details": [], **code}
    if isinstance(exc, SignatureError):
        return 401, {"error": str(exc), "details": []}
    if isinstance(exc, UnreadableFile):
        return 422, {"error": str(exc), "details": []}
    if isinstance(exc, UserError):
        message = str(exc)
        field, sep, rest = message.partition(": ")
        detail = [{"field": field, "message": rest}] if sep and " " not in field else []
        return 400, {"error": message, "details": detail}
    if isinstance(exc, UnavailableError):
        return 503, {"error": str(exc), "details": []}
    return 500, {"error": "internal error; see the server log", "details": []}


class OrchHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every authenticated route."""

    auth_resource = AUTH_RESOURCE

    @property
    def availability(self) -> Availability:
        availability: Availability = self.settings["jupyter_orch.availability"]
        return availability

    @property
    def catalog(self) -> Catalog:
        """The catalog; UnavailableError (503, with the reason) while the store is not open."""
        return self.availability.catalog()

    async def prepare(self) -> None:  # type: ignore[override]
        """Authenticate (Jupyter Server), then say who acts in this request, for the activity
        log: the user, from the lab (its requests say so) or the REST API, and from where."""
        await super().prepare()
        client = self.request.headers.get(CLIENT_HEADER, "")
        origin = CLIENT_ORIGINS.get(client or "", "api")
        act_as(Actor(self.actor(), origin, self.request.remote_ip))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Blocking work off the event loop (it sees the request's actor)."""
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    async def call_reading(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Work that reads the user's files, in the server's bounded pool for it: reads stuck
        on a slow file system never take the threads the store routes and the scheduler use.
        It sees the request's actor, as ``call`` does."""
        pool: Executor = self.settings["jupyter_orch.file_pool"]
        loop = asyncio.get_running_loop()
        work = partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await loop.run_in_executor(pool, work)

    def actor(self) -> str | None:
        """Who makes this request, as versions record it: the Jupyter (or Hub) user; for a
        request made with the server's own token, ``token:<its sha256 prefix>`` (the user
        jupyter_server makes up for a token is a new stranger each time)."""
        provider = self.identity_provider
        token = provider.get_token(self) or ""
        if (
            token
            and provider.token
            and hmac.compare_digest(token, provider.token)
            and not self._has_login_session()
        ):
            return token_actor(token)
        user = self.current_user
        return getattr(user, "username", None) or (user if isinstance(user, str) else None)

    def _has_login_session(self) -> bool:
        """Whether a login cookie names the user: JupyterLab sends the server's token along
        with its session cookie, and the session's user is the one acting."""
        found = self.identity_provider.get_user_cookie(self)
        if inspect.isawaitable(found):  # an async provider: not known here
            close = getattr(found, "close", None)
            if close is not None:
                close()
            return False
        return found is not None

    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        return parse_json_object(self.request.body)

    def int_argument(self, name: str, default: int, *, minimum: int = 0) -> int:
        """A whole-number query argument; 400 naming it when it is not one or is too small."""
        text = self.get_query_argument(name, str(default))
        if not text.isdigit() or len(text) > 18 or int(text) < minimum:
            raise UserError(f"{name}: give a whole number of at least {minimum}, got {text!r}")
        return int(text)

    def bool_argument(self, name: str, default: bool = False) -> bool:
        """A true/false query argument (absent: ``default``); 400 naming it otherwise."""
        text = self.get_query_argument(name, str(default)).lower()
        if text not in ("true", "false", "1", "0"):
            raise UserError(f"{name}: give true or false, got {text!r}")
        return text in ("true", "1")

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if exc is None or isinstance(exc, tornado.web.HTTPError):
            message = getattr(exc, "log_message", None) or self._reason
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": message, "details": []}))
            return
        status, body = error_response(exc, self.availability.current)
        if status == 503 and not self.current_user:
            # Only the webhook route gets here unauthenticated: no reason (hosts, paths) for it
            body = {"error": "the orchestration service is unavailable; retry later", "details": []}
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(mask_json(body)))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # A user's mistake is answered with a 4xx, not logged as a server fault.
        if isinstance(value, (UserError, ValidationError)):
            message = mask_text(str(value))
            self.log.info(
                "jupyter-orch: %s %s: %s", self.request.method, self.request.path, message
            )
            return
        if isinstance(value, UnavailableError):
            return  # the app logs why the store is unavailable, once per reason
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        # A fault: its traceback, once, masked (a database error may quote a URL)
        trace = "".join(traceback.format_exception(typ, value, tb))
        self.log.error(
            "jupyter-orch: unexpected error in %s\n%s", self._request_summary(), mask_text(trace)
        )


class PipelinesHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        archived = self.bool_argument("all")
        self.reply({"pipelines": await self.call(self.catalog.listing, archived=archived)})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        detail = await self.call_reading(self.catalog.register, self.body(), self.actor())
        self.reply(detail, 201)


class ValidateHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        self.reply(await self.call_reading(self.catalog.validate, self.body()))


class PipelineHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(await self.call(self.catalog.detail, name))

    @tornado.web.authenticated
    @authorized
    async def patch(self, name: str) -> None:
        self.reply(await self.call_reading(self.catalog.patch, name, self.body(), self.actor()))

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await self.call(self.catalog.delete, name)
        self.set_status(204)
        self.finish()


class PipelineRunsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        key = self.request.headers.get("Idempotency-Key")  # a retry of the same key: its run
        run = await self.call(self.catalog.trigger, name, self.body(), idempotency_key=key)
        wake = self.settings.get("jupyter_orch.wake")
        if wake is not None:
            wake()  # the scheduler claims it now, not at its next round
        self.reply(run, 202)


class PipelineStatsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        last = self.int_argument("last", 20)
        if not 1 <= last <= 1000:
            raise UserError("last: give a number of runs from 1 to 1000")
        self.reply(await self.call(self.catalog.stats, name, last))


class RunsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        limit = self.int_argument("limit", 50, minimum=1)
        page = await self.call(
            self.catalog.runs,
            pipeline=self.get_query_argument("pipeline", None),
            status=self.get_query_argument("status", None),
            limit=limit,
            cursor=self.get_query_argument("cursor", None),
            search=self.get_query_argument("q", None),
            since=self.get_query_argument("since", None),
            until=self.get_query_argument("until", None),
            trigger=self.get_query_argument("trigger", None),
        )
        self.reply(page)


class RunHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(self.catalog.run, run_id))


class RunLogsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        after = self.int_argument("after", 0)
        self.reply({"lines": await self.call(self.catalog.logs, run_id, after=after)})


class RunCancelHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        self.reply(await self.call(self.catalog.cancel, run_id))


class RunPinHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        self.reply(await self.call(self.catalog.pin, run_id, self.body()))


class StepRetryNowHandler(OrchHandler):
    """Retry now: end a retrying step's wait with its next attempt (Fail now: give it up)."""

    action = "retry"

    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str, step: str) -> None:
        self.reply(await self.call(self.catalog.wake, run_id, step, self.action), 202)


class StepFailNowHandler(StepRetryNowHandler):
    action = "fail"


class RunRerunHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        run = await self.call_reading(self.catalog.rerun, run_id, self.body(), self.actor())
        wake = self.settings.get("jupyter_orch.wake")
        if wake is not None:
            wake()
        self.reply(run, 202)


class ConnectionsHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        found = await self.call(describe_connections, self.catalog.connections)
        self.reply({"connections": found})


class HealthHandler(OrchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.call(self.catalog.health))


class ChannelsHandler(OrchHandler):
    """The notification channels' names and kinds (never a URL), for the builder."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        described = self.catalog.connections.channels.describe()
        self.reply({"channels": [{"name": c["name"], "kind": c["kind"]} for c in described]})


NAME = r"(?P<name>[a-z0-9][a-z0-9_-]*)"
RUN = r"(?P<run_id>[0-9A-Za-z]{1,32})"
STEP = r"(?P<step>[A-Za-z_][A-Za-z0-9_]{0,99}(?:\[[0-9]{1,4}\]|%5[Bb][0-9]{1,4}%5[Dd])?)"

ROUTES: list[tuple[str, type[OrchHandler]]] = [
    (r"/orch/pipelines", PipelinesHandler),
    (r"/orch/pipelines/validate", ValidateHandler),
    (rf"/orch/pipelines/{NAME}", PipelineHandler),
    (rf"/orch/pipelines/{NAME}/runs", PipelineRunsHandler),
    (rf"/orch/pipelines/{NAME}/stats", PipelineStatsHandler),
    (r"/orch/runs", RunsHandler),
    (rf"/orch/runs/{RUN}", RunHandler),
    (rf"/orch/runs/{RUN}/logs", RunLogsHandler),
    (rf"/orch/runs/{RUN}/cancel", RunCancelHandler),
    (rf"/orch/runs/{RUN}/rerun", RunRerunHandler),
    (rf"/orch/runs/{RUN}/pin", RunPinHandler),
    (rf"/orch/runs/{RUN}/steps/{STEP}/retry-now", StepRetryNowHandler),
    (rf"/orch/runs/{RUN}/steps/{STEP}/fail-now", StepFailNowHandler),
    (r"/orch/connections", ConnectionsHandler),
    (r"/orch/channels", ChannelsHandler),
    (r"/orch/health", HealthHandler),
]
