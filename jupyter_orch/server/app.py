"""``OrchApp``: the Jupyter Server extension. Configuration through traitlets
(``c.OrchApp.db_url``, ...), the same section the CLI reads; the scheduler and its warm-kernel
executor start with the server's event loop and stop with the server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode, default

from ..masking import mask_url
from . import handlers, notebooks, openapi, webhooks


class OrchApp(ExtensionApp):
    name = "jupyter_orch"
    description = "Notebook pipelines: schedules, runs and their output notebooks"

    db_url = Unicode(
        config=True,
        help="SQLAlchemy URL of the store (default: JUPYTER_ORCH_DB_URL, then "
        "sqlite:///<jupyter data dir>/orch/orch.sqlite)",
    )
    runs_dir = Unicode(
        "orch-runs",
        config=True,
        help="Folder for output notebooks and artifacts, relative to the server's root dir "
        "(or absolute, inside it, so that the UI can open them)",
    )
    scheduler_enabled = Bool(
        True,
        config=True,
        help="Run the scheduler in this server (fire schedules and events, execute queued runs)",
    )
    max_concurrent_runs = Int(
        8, config=True, help="Runs executing at once across every process sharing the store"
    )
    default_timezone = Unicode(
        "UTC", config=True, help="Time zone of schedules that name none (an IANA name)"
    )
    max_workers = Int(
        0, config=True, help="Worker processes executing notebook steps (0: the CPU count)"
    )
    kernel_idle_ttl = Float(
        600.0, config=True, help="Seconds before an idle warm kernel is shut down"
    )

    @default("db_url")
    def _default_db_url(self) -> str:
        from ..settings import resolve_db_url

        return resolve_db_url()

    def initialize_settings(self) -> None:
        from ..catalog import Catalog
        from ..service import Orchestrator
        from ..settings import resolve_default_timezone
        from ..store.repository import Store

        assert self.serverapp is not None
        root = Path(self.serverapp.root_dir).resolve()
        runs_dir = Path(os.path.expanduser(self.runs_dir))
        runs_dir = (runs_dir if runs_dir.is_absolute() else root / runs_dir).resolve()
        self.store = Store.open(self.db_url)
        self.orchestrator = Orchestrator(self.store, runs_dir)
        zone = resolve_default_timezone(self.default_timezone)
        self.catalog = Catalog(self.orchestrator, root, zone)
        self.scheduler: Any = None
        self.executor: Any = None
        self.settings.update(
            {
                "jupyter_orch.catalog": self.catalog,
                "jupyter_orch.wake": self._wake,
            }
        )
        self.log.info("jupyter-orch: store %s, runs in %s", mask_url(self.store.url), runs_dir)

    def initialize_handlers(self) -> None:
        for module in (handlers, notebooks, webhooks, openapi):
            self.handlers.extend(module.ROUTES)

    def _wake(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if not self.scheduler_enabled:
            self.log.info("jupyter-orch: scheduler disabled (c.OrchApp.scheduler_enabled)")
            return
        from ..executors.local import LocalExecutor
        from ..scheduler import Scheduler, SchedulerConfig

        self.executor = LocalExecutor(
            max_workers=self.max_workers or None, idle_ttl=self.kernel_idle_ttl
        )
        config = SchedulerConfig(
            max_concurrent_runs=self.max_concurrent_runs,
            default_timezone=self.catalog.default_timezone,
        )
        self.scheduler = Scheduler(self.orchestrator, self.executor, config, kind="server")
        await self.scheduler.start()
        if not self.scheduler.stopped:
            await self.executor.prestart(1)
            if self.scheduler.stopped:  # the server stopped while the first worker started
                await self.executor.close()

    async def stop_extension(self) -> None:
        # Never raise here: an error would keep the server from exiting.
        try:
            if self.scheduler is not None:
                await self.scheduler.stop()
        except Exception:
            self.log.exception("jupyter-orch: stopping the scheduler failed")
        try:
            if self.executor is not None:
                await self.executor.close()
        except Exception:
            self.log.exception("jupyter-orch: stopping the workers failed")
        self.store.close()
