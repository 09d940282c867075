"""``OrchApp``: the Jupyter Server extension. Configuration through traitlets
(``c.OrchApp.db_url``, ...), the section the CLI reads too: its traits are ``OrchConfig``'s, where
a trait no configuration sets takes its variable (``JUPYTER_ORCH_*``), as in the CLI.

The routes are always served. The store opens once the event loop runs, in a thread, retried
with backoff while it cannot (every route answers 503 with the reason meanwhile); the scheduler
and its warm-kernel executor start once it is open, and everything stops with the server."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import default

from jupyter_orch.server import (
    artifacts,
    backfills,
    develop,
    handlers,
    history,
    notebooks,
    openapi,
    run_notebooks,
    versions,
    webhooks,
)

from ..config import CONFIG_SECTION, OrchConfig, runs_path
from ..errors import UserError
from ..masking import mask_url
from .availability import Availability
from .store_opening import delays, open_with_retries

#: Threads for the routes that read files (validate, register, schedule a notebook, ...).
FILE_THREADS = 4


class OrchApp(ExtensionApp, OrchConfig):
    name = "jupyter_orch"
    description = "Notebook pipelines: schedules, runs and their output notebooks"

    @default("config_file_name")
    def _default_config_file_name(self) -> str:
        # ExtensionApp's default would be jupyter_jupyter_orch_config; the CLI reads this one
        return "jupyter_orch_config"

    # Until initialize_settings() and the store opens: stop_extension() works from any state.
    store: Any = None
    orchestrator: Any = None
    catalog: Any = None
    scheduler: Any = None
    step_executor: Any = None
    file_pool: ThreadPoolExecutor | None = None
    misconfigured = False
    _opening: asyncio.Task[None] | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stopping = asyncio.Event()  # set by stop_extension()

    def initialize_settings(self) -> None:
        assert self.serverapp is not None
        self.root = Path(self.serverapp.root_dir).resolve()
        self.availability = Availability()
        # Routes reading the user's files run here, apart from the store's work (bounded: a
        # stuck network mount holds these threads only)
        self.file_pool = ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="orch-files")
        self.settings.update(
            {
                "jupyter_orch.availability": self.availability,
                "jupyter_orch.wake": self._wake,
                "jupyter_orch.file_pool": self.file_pool,
            }
        )
        try:
            self.apply_environment(self._command_line())
        except UserError as exc:
            reason = f"jupyter-orch is misconfigured: {exc}; fix it and restart the server"
            self.availability.unavailable(reason)
            self.log.error("%s", reason)
            self.misconfigured = True
            return
        self.runs_path = runs_path(self.runs_dir, self.root)

    def _command_line(self) -> dict[str, Any]:
        """``OrchApp`` settings given on the server's command line (``--OrchApp.x=...``)."""
        given: dict[str, Any] = {}
        for app in (self.serverapp, self):
            cli = getattr(app, "cli_config", None)
            if cli is not None and CONFIG_SECTION in cli:
                given.update(cli[CONFIG_SECTION])
        return given

    def initialize_handlers(self) -> None:
        for module in (
            handlers,
            versions,
            history,
            develop,
            artifacts,
            run_notebooks,
            backfills,
            notebooks,
            webhooks,
            openapi,
        ):
            self.handlers.extend(module.ROUTES)

    def _wake(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.misconfigured:
            return
        failed = asyncio.Event()
        self._opening = asyncio.create_task(self._open_then_start(failed), name="jupyter-orch-open")
        # A store that opens at once is ready, its scheduler started, when this returns, as
        # before; one that does not is retried in the background, the routes answering 503.
        waiting = asyncio.create_task(failed.wait())
        await asyncio.wait(
            {self._opening, waiting}, timeout=10, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()

    async def _open_then_start(self, failed: asyncio.Event) -> None:
        def unavailable(reason: str) -> None:
            self.availability.unavailable(reason)
            failed.set()

        store = await open_with_retries(
            self.db_url,
            max_delay=self.store_retry_max_delay,
            on_failure=unavailable,
            log=self.log,
        )
        if store is None:
            return
        # No await from here until the scheduler exists: a stop sees all of it or none.
        self._serve(store)
        if self.scheduler is not None:
            await self._start_scheduler()

    def _serve(self, store: Any) -> None:
        from ..catalog import Catalog
        from ..service import Orchestrator

        self.store = store
        # Every run this server executes reads files inside its root only (REST can trigger
        # any pipeline of the store, and the lab opens what runs write)
        self.orchestrator = Orchestrator(
            store,
            self.runs_path,
            root=self.root,
            connections=self.named_connections(),
            public_url=self.public_url or None,
            delivery=self.delivery_settings(),
            retention=self._retention(),
            activity_max_age=self._activity_max_age(),
        )
        self.catalog = Catalog(self.orchestrator, self.root, self.default_timezone)
        self.availability.ready(self.catalog)
        self.log.info(
            "jupyter-orch: store %s, runs in %s",
            mask_url(self.store.url),
            mask_url(str(self.runs_path)),
        )
        if not self.scheduler_enabled:
            self.log.info("jupyter-orch: scheduler disabled (c.OrchApp.scheduler_enabled)")
            return
        self.step_executor = self.new_executor()
        self.scheduler = self._new_scheduler()

    def _activity_max_age(self) -> float:
        """How long activity entries are kept; an invalid setting is logged and the default
        (a year) applies."""
        from ..activity import ACTIVITY_MAX_AGE
        from ..errors import SettingError

        try:
            return self.activity_max_age_seconds()
        except SettingError as exc:
            self.log.error("jupyter-orch: %s; activity is kept a year", exc)
            return ACTIVITY_MAX_AGE

    def _retention(self) -> Any:
        """The default retention; an invalid one is logged and none applies (deleting runs
        by a rule nobody meant is worse than keeping them)."""
        from ..errors import SettingError

        try:
            return self.default_retention()
        except SettingError as exc:
            self.log.error("jupyter-orch: %s; no default retention applies", exc)
            return None

    def _new_scheduler(self) -> Any:
        from jupyter_orch.scheduling.scheduler import Scheduler, SchedulerConfig

        config = SchedulerConfig(
            max_concurrent_runs=self.max_concurrent_runs, default_timezone=self.default_timezone
        )
        return Scheduler(self.orchestrator, self.step_executor, config, kind="server")

    async def _start_scheduler(self) -> None:
        """Start the scheduler, again and again if the store fails it meanwhile (a blip must
        not leave the server without one). No worker starts yet: an idle server holds none
        (the first run starts one, or the scheduler does ahead of a due slot)."""
        waits = delays(self.store_retry_max_delay)
        while True:
            try:
                await self.scheduler.start()
                break
            except Exception:
                self.log.exception("jupyter-orch: starting the scheduler failed; retrying")
            with contextlib.suppress(Exception):
                await self.scheduler.stop()  # what the failed start registered
            if await self._stopped_within(next(waits)):
                return
            self.scheduler = self._new_scheduler()  # no await from here to its start()

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the server stops meanwhile: whether it does."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def stop_extension(self) -> None:
        # Never raise here: an error would keep the server from exiting.
        self._stopping.set()
        opening = self._opening
        if opening is not None and self.store is None:
            opening.cancel()  # still opening (or retrying): nothing else to stop
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await opening
        try:
            if self.scheduler is not None:
                await self.scheduler.stop()
        except Exception:
            self.log.exception("jupyter-orch: stopping the scheduler failed")
        try:
            if self.step_executor is not None:
                await self.step_executor.close()
        except Exception:
            self.log.exception("jupyter-orch: stopping the workers failed")
        if self.file_pool is not None:
            self.file_pool.shutdown(wait=False, cancel_futures=True)
        if opening is not None and not opening.done():  # a scheduler still starting gives up
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(opening, 10)
        try:
            if self.store is not None:
                self.store.close()
        except Exception:
            self.log.exception("jupyter-orch: closing the store failed")
