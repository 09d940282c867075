"""``jupyter orch scheduler``: the scheduler without a Jupyter server (headless)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from .orchestrator import open_orchestrator
from .output import EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from jupyter_orch.scheduling.scheduler import Scheduler, SchedulerConfig

    from ..config import CliConfig

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    orch = open_orchestrator(args)
    settings = CliConfig(max_concurrent_runs=args.max_concurrent_runs)
    # prestart() is the local executor's, not yet the interface's
    executor: Any = settings.new_executor()
    config = SchedulerConfig(
        poll_interval=args.poll_interval,
        max_concurrent_runs=settings.max_concurrent_runs,
        default_timezone=settings.default_timezone,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
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
