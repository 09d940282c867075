"""``jupyter orch scheduler``: the scheduler without a Jupyter server (headless)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from .orchestrator import open_orchestrator
from .output import EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from jupyter_orch.scheduling.scheduler import Scheduler, SchedulerConfig

    from ..executors.local import LocalExecutor
    from ..settings import (
        resolve_default_timezone,
        resolve_executor_settings,
        resolve_max_concurrent_runs,
    )

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    orch = open_orchestrator(args)
    workers, idle_ttl = resolve_executor_settings()
    config = SchedulerConfig(
        poll_interval=args.poll_interval,
        max_concurrent_runs=resolve_max_concurrent_runs(args.max_concurrent_runs),
        default_timezone=resolve_default_timezone(),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        executor = LocalExecutor(max_workers=workers, idle_ttl=idle_ttl)
        scheduler = Scheduler(orch, executor, config)
        try:
            await executor.prestart(1)
            await scheduler.start()
            await stop.wait()
            logging.getLogger("jupyter_orch.scheduling.scheduler").info(
                "stopping (signal received)"
            )
        finally:
            await scheduler.stop()
            await executor.close()

    asyncio.run(main())
    return EXIT_OK
