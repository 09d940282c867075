"""``jupyter orch backfill`` and ``backfills``: a pipeline run once per slot of its schedule
over a range of dates, in this process (or left to the schedulers with ``--queue``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from ..masking import mask_json, mask_text
from ..records import RunRecord
from ..versions.actors import cli_actor
from .args import run_parameters
from .orchestrator import open_orchestrator
from .output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    err,
    out,
    styled,
    warnings_in_one_line,
)


def cmd_backfill(args: argparse.Namespace) -> int:
    from ..backfills import BackfillRequest, start_backfill
    from ..config import CliConfig

    orch = open_orchestrator(args)
    request = BackfillRequest(
        pipeline=args.name,
        start=args.start,
        end=args.end,
        max_parallel=args.max_parallel,
        parameters=run_parameters(args),
        profile=args.profile,
        rerun_succeeded=args.rerun_succeeded,
    )
    backfill = start_backfill(orch, request, CliConfig().default_timezone, cli_actor())
    new = backfill.new
    skipped = f", {new.skipped} skipped (already succeeded)" if new.skipped else ""
    err.print(
        f"Backfill {backfill.id} of [bold]{escape(new.pipeline)}[/] version {new.version}: "
        f"{len(new.slots)} run{'s' * (len(new.slots) != 1)} from {escape(new.range_from)} "
        f"to {escape(new.range_to)} ({new.timezone}){skipped}, at most {new.max_parallel} at once"
    )
    if args.queue or not new.slots:
        if args.json:
            print(json.dumps(mask_json(backfill.to_dict()), indent=2))
        if args.queue and new.slots:
            from .schedule import _warn_without_scheduler

            _warn_without_scheduler(orch)
        return EXIT_OK
    code = _drive(orch, backfill.id)
    final = orch.store.get_backfill(backfill.id)
    _summary(orch, final, args)
    if code != EXIT_OK:
        return code
    return EXIT_OK if final.status.value == "succeeded" else EXIT_FAILED


def _drive(orch: Any, backfill_id: str) -> int:
    """Run the backfill's runs here, feeding it as they end, until it has ended."""
    from jupyter_orch.scheduling.reaper import reap
    from jupyter_orch.scheduling.scheduler import RunHost

    from ..backfills import cancel_backfill
    from ..config import CliConfig
    from ..store.types import utcnow

    config = CliConfig()
    executor = config.new_executor()
    warnings_in_one_line()
    store = orch.store

    async def main() -> None:
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        host = RunHost(orch, executor, kind="cli")
        mine: dict[str, asyncio.Task[RunRecord]] = {}
        try:
            await host.start()
            # Slots held by runs whose process died are freed first (a scheduler would too)
            await host.call(reap, store, utcnow(), stale_after=30.0, me=host.id)
            backfill = await host.call(store.get_backfill, backfill_id)
            await executor.warm(min(backfill.new.max_parallel, executor.max_workers), depth=1)
            said = ""
            while True:
                try:
                    backfill = await _admit(
                        host, orch, backfill_id, mine, config.max_concurrent_runs
                    )
                except Exception as exc:  # the store briefly unreachable: the next round
                    err.print(f"[yellow]warning:[/] {escape(mask_text(str(exc)))}; retrying")
                line = _progress(backfill)
                if line != said:
                    err.print(line)
                    said = line
                if backfill.status.value != "running" and not mine:
                    return
                if mine:
                    await asyncio.wait(
                        mine.values(), timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                    )
                else:
                    await asyncio.sleep(1.0)
                for run_id in [r for r, task in mine.items() if task.done()]:
                    mine.pop(run_id)
                    _ended(await host.call(store.get_run, run_id), backfill.new.timezone)
        except asyncio.CancelledError:
            # Ctrl-C or SIGTERM: the backfill is cancelled as a whole, its runs recorded so
            await host.call(cancel_backfill, orch, backfill_id)
            for task in mine.values():
                task.cancel()
            if mine:
                await asyncio.wait(list(mine.values()), timeout=20.0)
            raise
        finally:
            await host.stop()
            await executor.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except asyncio.CancelledError:
        return EXIT_TERMINATED
    return EXIT_OK


async def _admit(host: Any, orch: Any, backfill_id: str, mine: dict[str, Any], limit: int) -> Any:
    """One round: queue the backfill's next runs, then start here, oldest first, those the
    limits let start (``mine``: the runs this process executes). The backfill, as it is now."""
    from ..backfills import feed_backfill
    from ..store.types import utcnow

    store = orch.store
    backfill = await host.call(store.get_backfill, backfill_id)
    if await host.call(feed_backfill, store, orch.runs_dir, backfill):
        backfill = await host.call(store.get_backfill, backfill_id)
    queued = await host.call(store.backfill_runs, backfill_id, status="queued")
    for run_id in queued[: max(backfill.new.max_parallel - len(mine), 0)]:
        now = utcnow()
        if not await host.call(store.claim_run, run_id, host.id, global_limit=limit, now=now):
            break  # the limits: it starts when a slot frees, oldest first
        mine[run_id] = await host.launch(await host.call(store.get_run, run_id))
    return backfill


def _progress(backfill: Any) -> str:
    counts = backfill.counts()
    return (
        f"backfill {backfill.id}: {counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{counts['left']} left of {counts['total']} ({counts['running']} running)"
    )


def _slot(run: RunRecord, zone: str) -> str:
    """A run's slot as its schedule says it: ``2024-03-01 02:00 CET``."""
    if run.scheduled_for is None:
        return "-"
    return f"{run.scheduled_for.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}"


def _ended(run: RunRecord, zone: str) -> None:
    err.print(f"  {_slot(run, zone)}: run {run.id} (#{run.number}) {styled(run.status.value)}")


def _summary(orch: Any, backfill: Any, args: argparse.Namespace) -> None:
    runs = orch.store.get_runs(orch.store.backfill_runs(backfill.id))
    if args.json:
        data = mask_json(backfill.to_dict())
        data["run_ids"] = [run.id for run in runs]
        print(json.dumps(data, indent=2))
        return
    table = Table(show_edge=False)
    for column in ("slot", "run", "status"):
        table.add_column(column, no_wrap=True)
    for run in runs:
        table.add_row(_slot(run, backfill.new.timezone), run.id, styled(run.status.value))
    out.print(table)
    counts = backfill.counts()
    out.print(
        f"Backfill {backfill.id} of {escape(backfill.pipeline)} {styled(backfill.status.value)}: "
        f"{counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{counts['cancelled']} cancelled, {counts['left']} left"
    )


def cmd_backfills(args: argparse.Namespace) -> int:
    store = open_orchestrator(args).store
    found = store.list_backfills(pipeline=args.pipeline, status=args.status, limit=args.limit)
    if args.json:
        print(json.dumps([mask_json(b.to_dict()) for b in found], indent=2))
        return EXIT_OK
    table = Table(show_edge=False)
    # Ids and ranges whole whatever the width (a pipe is 80 columns): scripts read them
    table.add_column("backfill", no_wrap=True)
    table.add_column("pipeline")
    table.add_column("range", no_wrap=True)
    table.add_column("status")
    table.add_column("runs", no_wrap=True)
    for backfill in found:
        counts = backfill.counts()
        done = f"{counts['succeeded']}/{counts['total']}"
        done += f", {counts['failed']} failed" if counts["failed"] else ""
        table.add_row(
            backfill.id,
            escape(backfill.pipeline),
            escape(f"{backfill.new.range_from}..{backfill.new.range_to}"),
            styled(backfill.status.value),
            done,
        )
    out.print(table if found else "no backfills")
    return EXIT_OK


def cancel_backfill_command(args: argparse.Namespace) -> int:
    """``jupyter orch cancel bf-...``: the backfill as a whole."""
    from ..backfills import cancel_backfill

    orch = open_orchestrator(args)
    ended = orch.store.get_backfill(args.run_id).ended_at is not None
    backfill = cancel_backfill(orch, args.run_id)
    said = f"backfill {backfill.id} of {escape(backfill.pipeline)}"
    if ended:
        out.print(f"{said} had already ended: {styled(backfill.status.value)}")
    else:
        out.print(
            f"{said}: {styled(backfill.status.value)}; its queued runs are dropped and its "
            "running runs are being stopped"
        )
    return EXIT_OK
