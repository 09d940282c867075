"""``jupyter orch run``, ``test`` and ``rerun``: a pipeline run in this process, its log on
stderr and its summary at the end (``validate`` is ``validate.py``)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..datasets.openlineage import lineage_events
from ..durations import format_duration
from ..masking import mask_json, mask_text
from ..records import RunRecord, RunStatus, StepStatus
from ..run_folders import local_folder
from ..versions.actors import cli_actor
from .args import run_parameters
from .orchestrator import cli_connections, open_orchestrator
from .output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    display_path,
    err,
    notification_line,
    out,
    print_error,
    styled,
    warnings_in_one_line,
)


def cmd_run(args: argparse.Namespace) -> int:
    def prepare() -> tuple[Any, Any, RunRecord]:
        from jupyter_orch.pipelines.loader import load_pipeline
        from jupyter_orch.service import with_profile

        loaded = load_pipeline(args.file, connections=cli_connections())
        orch = open_orchestrator(args)
        version = orch.register(loaded, replace=args.replace, created_by=cli_actor())
        values = with_profile(loaded.spec, args.profile, run_parameters(args))
        run = orch.create_run(loaded, version.version, parameters=values)
        return orch, loaded, run

    return _execute(args, prepare)


def cmd_test(args: argparse.Namespace) -> int:
    """A test run (``develop.scratch``): the pipeline, or one step on its upstream steps'
    outputs from the last run in which they succeeded, into the runs folder's ``_test``."""

    def prepare() -> tuple[Any, Any, RunRecord]:
        from jupyter_orch.develop.scratch import create_test_run
        from jupyter_orch.pipelines.loader import load_pipeline

        loaded = load_pipeline(args.file, connections=cli_connections())
        orch = open_orchestrator(args)
        version = orch.register(loaded, replace=args.replace, created_by=cli_actor())
        run = create_test_run(
            orch,
            loaded,
            version.version,
            step=args.step,
            parameters=run_parameters(args),
            profile=args.profile,
        )
        return orch, loaded, run

    return _execute(args, prepare)


def cmd_rerun(args: argparse.Namespace) -> int:
    def prepare() -> tuple[Any, Any, RunRecord]:
        orch = open_orchestrator(args)
        loaded, run = orch.create_rerun(
            args.run_id, from_failed=args.from_failed, exact=args.exact, created_by=cli_actor()
        )
        return orch, loaded, run

    return _execute(args, prepare)


def _execute(args: argparse.Namespace, prepare: Callable[[], tuple[Any, Any, RunRecord]]) -> int:
    """Start the workers first (they boot and warm kernels while we validate), then run."""
    from jupyter_orch.scheduling.scheduler import RunHost

    from ..config import CliConfig

    # prestart(), warm() and max_workers are the local executor's, not yet the interface's
    executor = CliConfig().new_executor()
    started: dict[str, Any] = {}
    warnings_in_one_line()

    def show(line: Any) -> None:
        err.print(f"[dim]{line.ts.astimezone():%H:%M:%S}[/] {escape(line.message)}")

    async def main() -> RunRecord:
        # SIGTERM (a supervisor stopping us) cancels like Ctrl-C does: kernels die, records say so.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        host: RunHost | None = None
        try:
            await executor.prestart(1)  # boots while we validate
            orch, loaded, run = prepare()
            started.update(orch=orch, run=run)
            # Everything imported so far lives as long as the process: keep the collector from
            # walking it again and again (full collections were 100 ms pauses between steps).
            gc.freeze()
            host = RunHost(orch, executor, kind="cli", observer=show)
            await host.start()
            run, mine = await _admitted(host, run)
            if not mine and run.status is RunStatus.RUNNING:
                return await _follow(host, run, show)
            if not mine:
                return run
            width = min(loaded.spec.width, executor.max_workers)
            await executor.warm(width, depth=2 if width == 1 else 1)
            err.print(
                f"Running pipeline [bold]{escape(run.pipeline)}[/] version {run.version}, "
                f"run {run.id} (#{run.number})"
            )
            task = host.start_run(loaded, run)
            try:
                final = await task
            except asyncio.CancelledError:
                if run.id not in host.cancelled_on_request:
                    raise  # Ctrl-C or SIGTERM
                # `jupyter orch cancel` from elsewhere: the run ended cancelled, we did not.
                final = await host.call(orch.store.get_run, run.id)
            await _deliver(orch, host, final)
            return final
        finally:
            if host is not None:
                await host.stop()
            await executor.close()
            # The OpenLineage events still waiting are sent before the process exits
            await asyncio.to_thread(lineage_events().flush)

    try:
        final = asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        if "run" not in started:
            return EXIT_INTERRUPTED
        final = started["orch"].store.get_run(started["run"].id)
        _summary(final, args)
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    _summary(final, args)
    return EXIT_OK if final.status is RunStatus.SUCCEEDED else EXIT_FAILED


async def _deliver(orch: Any, host: Any, run: RunRecord) -> None:
    """Send the run's notifications before exiting (at most notify_drain_timeout seconds);
    say which are left for a scheduler or server to send."""
    from ..config import CliConfig

    if not await host.call(orch.store.notifications, run_ids=[run.id]):
        return
    notifier = orch.notifier(host.id)
    left = await host.call(notifier.drain, [run.id], CliConfig().notify_drain_timeout)
    for item in await host.call(orch.store.notifications, run_ids=[run.id]):
        err.print("notification " + notification_line(item))
    if left:
        err.print(
            f"{len(left)} notification(s) not sent yet: a scheduler or server sharing the "
            "store sends them (jupyter orch scheduler)"
        )


async def _admitted(host: Any, run: RunRecord) -> tuple[RunRecord, bool]:
    """Wait until the concurrency limits let the run start (the same admission as scheduled
    runs): ``(run, True)`` once this process claimed it. ``(run, False)`` when it ended while
    it waited (cancelled), or when a scheduler sharing the store claimed it first: it runs
    there, and must not run here too."""
    from jupyter_orch.scheduling.reaper import reap

    from ..config import CliConfig
    from ..store.types import utcnow

    limit = CliConfig().max_concurrent_runs
    said = reaped = False
    while not await host.call(
        host.store.claim_run, run.id, host.id, global_limit=limit, now=utcnow()
    ):
        run = await host.call(host.store.get_run, run.id)
        if run.status is not RunStatus.QUEUED:
            return run, False
        if not reaped:
            # Slots held by runs whose process died are freed first (a scheduler would too).
            await host.call(reap, host.store, utcnow(), stale_after=30.0, me=host.id)
            reaped = True
            continue
        if not said:
            err.print(
                f"run {run.id} is queued: the concurrency limits are reached "
                f"(max_concurrent_runs); it starts when a slot frees"
            )
            said = True
        await asyncio.sleep(1.0)
    return await host.call(host.store.get_run, run.id), True


async def _follow(host: Any, run: RunRecord, show: Callable[[Any], None]) -> RunRecord:
    """Print the log of a run another scheduler executes until it ends; Ctrl-C cancels it
    there, as it would here."""
    from ..records import FINISHED_RUN_STATUSES
    from ..store.types import utcnow

    err.print(
        f"run {run.id} was claimed by a scheduler sharing this store (a Jupyter server or "
        "`jupyter orch scheduler`): following it there"
    )
    last = 0
    try:
        while True:
            for line in await host.call(host.store.get_logs, run.id, after_id=last):
                show(line)
                last = line.id or last
            if run.status in FINISHED_RUN_STATUSES:
                return run
            await asyncio.sleep(0.5)
            run = await host.call(host.store.get_run, run.id)
    except asyncio.CancelledError:
        await host.call(host.store.request_cancel, run.id, utcnow())
        raise


def _summary(run: RunRecord, args: argparse.Namespace) -> None:
    console = err if args.json else out
    table = Table(show_edge=False)
    for column in ("step", "status", "attempts", "duration"):
        table.add_column(column, no_wrap=True)
    table.add_column("output notebook", overflow="fold")
    for step in run.steps:
        last = step.last_attempt
        data = last.to_dict() if last else {}
        notebook = last.output_notebook if last else None
        if notebook and Path(notebook).parent == local_folder(run.run_dir):
            notebook = Path(notebook).name  # the folder is printed once, below
        else:
            notebook = display_path(notebook)
        reused = " (reused)" if step.reused_from else ""
        items = [s for s in run.steps if s.parent == step.name]
        done = sum(s.status is StepStatus.SUCCEEDED for s in items)
        table.add_row(
            step.name,
            styled(step.status.value) + reused,
            f"{done}/{len(items)} items" if items else str(len(step.attempts)),
            format_duration(data.get("duration_s")),
            escape(notebook),
        )
    console.print(table)
    console.print(f"output notebooks in {escape(display_path(run.run_dir))}/")
    record = mask_json(run.to_dict())
    line = f"{styled(run.status.value)} in {format_duration(record['duration_s'])}"
    if run.error:
        line += f": {escape(mask_text(run.error))}"
    console.print(f"Pipeline {escape(run.pipeline)} {line} (run {run.id})")
    for step in run.steps:
        attempt = step.last_attempt
        if attempt is not None and attempt.error and step.status.value != "succeeded":
            print_error(console, step.name, attempt)
    if args.json:
        print(json.dumps(record, indent=2))
