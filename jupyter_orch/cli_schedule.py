"""``jupyter orch`` commands of the scheduler: apply, pipelines, ticks, pause, resume, trigger,
cancel, and ``scheduler`` itself (headless)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from .cli import (
    EXIT_OK,
    EXIT_USAGE,
    MAX_LISTING,
    POLL_RANGE,
    _orchestrator,
    _styled,
    add_param_option,
    count,
    err,
    out,
    run_parameters,
    seconds_between,
)
from .masking import mask_json, mask_text
from .store.types import utcnow

#: A scheduler that has not beaten for this long does not count as running.
ALIVE_WITHIN_S = 30.0


def cmd_apply(args: argparse.Namespace) -> int:
    from jupyter_orch.pipelines.loader import load_pipeline

    from .settings import resolve_default_timezone

    loaded = [load_pipeline(path, thorough=True) for path in args.files]  # all valid, or none
    orch = _orchestrator(args)
    _check_names(orch, loaded, replace=args.replace)  # all registrable, or none
    zone = resolve_default_timezone()
    for pipeline in loaded:
        version = orch.apply(pipeline, replace=args.replace)
        spec = pipeline.spec
        what = []
        if spec.schedule is not None:
            what.append(spec.schedule.cron_schedule(zone).describe())
        if not spec.on.empty:
            what.append("on " + ", ".join(spec.on.model_dump(exclude_defaults=True)))
        out.print(
            f"applied [bold]{escape(spec.name)}[/] version {version.version}"
            + (f": {escape('; '.join(what))}" if what else " (no schedule or triggers)")
        )
    _warn_without_scheduler(orch)
    return EXIT_OK


def _check_names(orch: Any, loaded: list[Any], *, replace: bool) -> None:
    """Refuse before registering anything when a name is claimed twice in the command, or
    by another file that still exists (what ``Orchestrator.register`` would refuse midway)."""
    from .errors import ConflictError, NotFoundError

    seen: dict[str, Path] = {}
    for pipeline in loaded:
        name, path = pipeline.spec.name, pipeline.path
        if name in seen and seen[name] != path:
            raise ConflictError(
                f"two files name the pipeline {name!r}: {seen[name]} and {path}; rename one"
            )
        seen[name] = path
        if replace:
            continue
        try:
            current = orch.store.get_version(name)
        except NotFoundError:
            continue
        if current.path != str(path) and Path(current.path).exists():
            raise ConflictError(
                f"a pipeline named {name!r} is already registered from {current.path}; rename "
                f"this one, or pass --replace to make {path} its file from now on "
                "(nothing was applied)"
            )


def _listing(orch: Any) -> list[dict[str, Any]]:
    from .service import describe_pipeline
    from .settings import resolve_default_timezone

    zone = resolve_default_timezone()
    now = utcnow()
    return [describe_pipeline(state, zone, now) for state in orch.store.pipeline_states()]


def _local(value: str | None, zone: str | None) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(value).astimezone(ZoneInfo(zone) if zone else None)
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}"


def cmd_pipelines(args: argparse.Namespace) -> int:
    rows = _listing(_orchestrator(args))
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    table = Table(show_edge=False)
    for column in ("pipeline", "schedule", "next run", "last run", "state", "missed"):
        table.add_column(column)
    for row in rows:
        schedule = row["schedule"]
        parts = [schedule["description"]] if schedule else []
        if row["on"]:
            parts.append("on " + ", ".join(row["on"]))
        words = "; ".join(parts) or "-"
        state = "paused" if row["paused"] else "active" if row["active"] else "not applied"
        last = _styled(row["last_status"]) if row["last_status"] else "-"
        table.add_row(
            escape(row["name"]),
            escape(words),
            _local(row["next_run_at"], schedule["timezone"] if schedule else None),
            last,
            state,
            str(row["missed_ticks"]),
        )
    out.print(table if rows else "no pipelines; `jupyter orch apply FILE` registers one")
    return EXIT_OK


def cmd_ticks(args: argparse.Namespace) -> int:
    ticks = _orchestrator(args).store.ticks(args.name, limit=args.limit)
    if args.json:
        data = [
            {
                "slot": t.slot.isoformat(),
                "status": t.status,
                "run_id": t.run_id,
                "reason": mask_text(t.reason) if t.reason else None,
            }
            for t in ticks
        ]
        print(json.dumps(data, indent=2))
        return EXIT_OK
    table = Table(show_edge=False)
    for column in ("slot", "tick", "run", "reason"):
        table.add_column(column)
    for t in ticks:
        style = "green" if t.status == "fired" else "yellow"
        table.add_row(
            f"{t.slot.astimezone():%Y-%m-%d %H:%M:%S %Z}",
            f"[{style}]{t.status}[/]",
            t.run_id or "-",
            escape(mask_text(t.reason or "")),
        )
    out.print(table if ticks else f"no schedule ticks for {escape(args.name)} yet")
    return EXIT_OK


def cmd_pause(args: argparse.Namespace) -> int:
    paused = args.command == "pause"
    orch = _orchestrator(args)
    orch.pause(args.name, paused)
    note = "" if paused else " (slots that passed while paused are not caught up)"
    out.print(f"{'paused' if paused else 'resumed'} {escape(args.name)}{note}")
    if not any(s.active for s in orch.store.pipeline_states(history=False) if s.name == args.name):
        err.print(
            f"[yellow]note:[/] {escape(args.name)} was never applied, so it does not fire "
            "either way; `jupyter orch apply FILE` activates its schedule and triggers"
        )
    return EXIT_OK


def cmd_trigger(args: argparse.Namespace) -> int:
    orch = _orchestrator(args)
    run = orch.trigger(args.name, parameters=run_parameters(args))
    if args.json:
        print(json.dumps(mask_json(run.to_dict()), indent=2))
    else:
        out.print(f"queued run {run.id} of {escape(run.pipeline)} version {run.version}")
    _warn_without_scheduler(orch)
    return EXIT_OK


def _warn_without_scheduler(orch: Any) -> None:
    now = utcnow()
    live = [
        i for i in orch.store.instances(("scheduler", "server")) if i.alive(now, ALIVE_WITHIN_S)
    ]
    if not live:
        err.print(
            "[yellow]warning:[/] no scheduler is running on this store, so nothing will fire or "
            "start; run `jupyter orch scheduler` (or start Jupyter Server with jupyter-orch)"
        )


def cmd_cancel(args: argparse.Namespace) -> int:
    orch = _orchestrator(args)
    outcome = orch.cancel(args.run_id)
    if outcome == "dropped":
        out.print(f"cancelled run {args.run_id} (it had not started)")
    elif outcome == "requested":
        out.print(f"cancelling run {args.run_id}: its steps are being stopped")
    else:
        status = orch.store.get_run(args.run_id).status.value
        out.print(f"run {args.run_id} had already finished: {_styled(status)}")
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from jupyter_orch.scheduling.scheduler import Scheduler, SchedulerConfig

    from .executors.local import LocalExecutor
    from .settings import (
        resolve_default_timezone,
        resolve_executor_settings,
        resolve_max_concurrent_runs,
    )

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    orch = _orchestrator(args)
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


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "apply", parents=[common], help="register pipeline files and activate their schedules"
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--replace", action="store_true", help="take over names registered from other files"
    )
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("pipelines", parents=[common], help="list pipelines and their schedules")
    p.set_defaults(func=cmd_pipelines)

    p = sub.add_parser("ticks", parents=[common], help="a schedule's fired and missed slots")
    p.add_argument("name")
    p.add_argument("--limit", type=count(MAX_LISTING), default=50)
    p.set_defaults(func=cmd_ticks)

    for name, text in (("pause", "stop firing"), ("resume", "fire again, from now on")):
        p = sub.add_parser(name, parents=[common], help=f"{text} (schedule and triggers)")
        p.add_argument("name")
        p.set_defaults(func=cmd_pause)

    p = sub.add_parser("trigger", parents=[common], help="queue a run now (a scheduler starts it)")
    p.add_argument("name")
    add_param_option(p)
    p.set_defaults(func=cmd_trigger)

    p = sub.add_parser("cancel", parents=[common], help="stop a running run or drop a queued one")
    p.add_argument("run_id")
    p.set_defaults(func=cmd_cancel)

    p = sub.add_parser(
        "scheduler", parents=[common], help="run the scheduler (fires schedules, executes runs)"
    )
    p.add_argument(
        "--max-concurrent-runs",
        type=count(10_000),
        help="runs at once across all schedulers on this store (default 8)",
    )
    p.add_argument(
        "--poll-interval",
        type=seconds_between(*POLL_RANGE),
        default=1.0,
        help="seconds between rounds",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_scheduler)


__all__ = ["EXIT_USAGE", "add_commands"]
