"""The scheduler shares the Jupyter Server's event loop: it must never block it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.loader import load_pipeline
from jupyter_orch.records import RunStatus
from jupyter_orch.scheduler import Scheduler, SchedulerConfig
from jupyter_orch.service import Orchestrator

from .conftest import write_notebook, write_pipeline

pytestmark = pytest.mark.slow


def test_scheduler_never_blocks_its_event_loop(
    tmp_path: Path, orch: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    write_notebook(tmp_path / "a.ipynb", None, "import time\ntime.sleep(0.3)")
    write_notebook(tmp_path / "b.ipynb", None, "print('b')")
    orch.apply(
        load_pipeline(
            write_pipeline(
                tmp_path,
                """
                name: busy
                schedule: "*/2 * * * * *"
                steps:
                  - {name: a, notebook: a.ipynb}
                  - {name: b, notebook: b.ipynb, needs: [a]}
                """,
            )
        )
    )
    caplog.set_level(logging.WARNING, logger="asyncio")

    async def main() -> float:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        # asyncio logs every callback or task step that holds the loop this long.
        loop.slow_callback_duration = 0.2
        executor = LocalExecutor(max_workers=2)
        scheduler = Scheduler(orch, executor, SchedulerConfig(poll_interval=0.2))
        lag = 0.0
        try:
            await scheduler.start()
            orch.trigger("busy")
            end = loop.time() + 10
            while loop.time() < end:
                before = loop.time()
                await asyncio.sleep(0.02)
                lag = max(lag, loop.time() - before - 0.02)
        finally:
            await scheduler.stop()
            await executor.close()
        return lag

    lag = asyncio.run(main())
    runs = orch.store.list_runs(pipeline="busy", limit=100)
    assert sum(r.status is RunStatus.SUCCEEDED for r in runs) >= 3
    slow = [r.getMessage() for r in caplog.records if "Executing" in r.getMessage()]
    assert slow == []
    assert lag < 0.2
