"""``jupyter orch`` commands of the scheduler: apply, pipelines, ticks, pause, resume and
trigger."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.table import Table

from ..health import SCHEDULER_KINDS
from ..masking import mask_json, mask_text
from ..store.types import utcnow
from ..versions.actors import cli_actor
from .args import run_parameters
from .orchestrator import open_orchestrator
from .output import EXIT_OK, err, out, styled

#: A scheduler that has not beaten for this long does not count as running.
ALIVE_WITHIN_S = 30.0


def cmd_apply(args: argparse.Namespace) -> int:
    from jupyter_orch.pipelines.loader import load_pipeline

    from ..config import CliConfig

    connections = CliConfig().named_connections()
    loaded = [  # all valid, or none
        load_pipeline(path, thorough=True, connections=connections) for path in args.files
    ]
    orch = open_orchestrator(args)
    _check_names(orch, loaded, replace=args.replace)  # all registrable, or none
    zone = CliConfig().default_timezone
    for pipeline in loaded:
        version = orch.apply(pipeline, replace=args.replace, created_by=cli_actor())
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
    from ..errors import ConflictError, NotFoundError

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


def _listing(orch: Any, archived: bool) -> list[dict[str, Any]]:
    from ..config import CliConfig
    from ..service import describe_pipeline

    zone = CliConfig().default_timezone
    now = utcnow()
    states = orch.store.pipeline_states(archived=archived)
    return [describe_pipeline(state, zone, now) for state in states]


def _local(value: str | None, zone: str | None) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(value).astimezone(ZoneInfo(zone) if zone else None)
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}"


def cmd_pipelines(args: argparse.Namespace) -> int:
    rows = _listing(open_orchestrator(args), args.all)
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
        flags = ("archived", "paused", "active")
        state = next((flag for flag in flags if row[flag]), "not applied")
        last = styled(row["last_status"]) if row["last_status"] else "-"
        table.add_row(
            escape(row["name"]),
            escape(words),
            _local(row["next_run_at"], schedule["timezone"] if schedule else None),
            last,
            state,
            str(row["missed_ticks"]),
        )
    hidden = "" if args.all else " (archived ones: --all)"
    out.print(table if rows else f"no pipelines{hidden}; `jupyter orch apply FILE` registers one")
    return EXIT_OK


def cmd_ticks(args: argparse.Namespace) -> int:
    ticks = open_orchestrator(args).store.ticks(args.name, limit=args.limit)
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


#: What pause, resume, archive and unarchive print after the pipeline's name.
FLAG_NOTES = {
    "pause": "",
    "resume": " (slots that passed while paused are not caught up)",
    "archive": " (it does not fire; `jupyter orch pipelines --all` lists it; its runs stay "
    "until retention deletes them)",
    "unarchive": " (slots that passed while archived are not caught up)",
}


def cmd_pause(args: argparse.Namespace) -> int:
    """pause, resume, archive, unarchive."""
    orch = open_orchestrator(args)
    cancelled: list[str] = []
    if args.command in ("archive", "unarchive"):
        from ..backfills import archive

        cancelled = archive(orch, args.name, args.command == "archive")
    else:
        orch.pause(args.name, args.command == "pause")
    done = {"resume": "resumed", "unarchive": "unarchived"}.get(args.command, args.command + "d")
    out.print(f"{done} {escape(args.name)}{FLAG_NOTES[args.command]}")
    for backfill_id in cancelled:
        out.print(f"cancelled its backfill {backfill_id}")
    state = orch.store.pipeline_state(args.name)
    if not state.active and args.command in ("pause", "resume"):
        err.print(
            f"[yellow]note:[/] {escape(args.name)} was never applied, so it does not fire "
            "either way; `jupyter orch apply FILE` activates its schedule and triggers"
        )
    elif args.command == "resume" and state.archived:
        err.print(f"[yellow]note:[/] {escape(args.name)} is archived: `unarchive` it to fire")
    return EXIT_OK


def cmd_trigger(args: argparse.Namespace) -> int:
    orch = open_orchestrator(args)
    run = orch.trigger(args.name, parameters=run_parameters(args), profile=args.profile)
    if args.json:
        print(json.dumps(mask_json(run.to_dict()), indent=2))
    else:
        out.print(f"queued run {run.id} of {escape(run.pipeline)} version {run.version}")
    _warn_without_scheduler(orch)
    return EXIT_OK


def _warn_without_scheduler(orch: Any) -> None:
    now = utcnow()
    live = [i for i in orch.store.instances(SCHEDULER_KINDS) if i.alive(now, ALIVE_WITHIN_S)]
    if not live:
        err.print(
            "[yellow]warning:[/] no scheduler is running on this store, so nothing will fire or "
            "start; run `jupyter orch scheduler` (or start Jupyter Server with jupyter-orch)"
        )
