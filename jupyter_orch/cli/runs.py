"""``jupyter orch runs``, ``show``, ``logs`` and ``cancel``: runs in the store."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.table import Table

from ..durations import format_duration
from ..masking import mask_json, mask_text
from ..sizes import format_bytes
from .orchestrator import open_orchestrator
from .output import (
    EXIT_OK,
    display_path,
    item_note,
    notification_line,
    numbered,
    out,
    print_error,
    styled,
)


def cmd_runs(args: argparse.Namespace) -> int:
    runs = open_orchestrator(args).store.list_runs(
        pipeline=args.pipeline, status=args.status, limit=args.limit, trigger=args.trigger
    )
    if args.json:
        print(json.dumps([mask_json(r.to_dict()) for r in runs], indent=2))
        return EXIT_OK
    table = Table(show_edge=False)
    # Run ids whole whatever the width (a pipe is 80 columns): scripts read them
    table.add_column("run", no_wrap=True, min_width=max((len(r.id) for r in runs), default=3))
    for column in ("pipeline", "version", "status", "trigger", "started", "duration"):
        table.add_column(column)
    for run in runs:
        data = run.to_dict()
        started = f"{run.started_at.astimezone():%Y-%m-%d %H:%M:%S}" if run.started_at else "-"
        table.add_row(
            run.id,
            escape(numbered(run)),
            str(run.version),
            styled(run.status.value),
            run.trigger.value,
            started,
            format_duration(data["duration_s"]),
        )
    out.print(table if runs else "no runs")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store = open_orchestrator(args).store
    run = store.get_run(args.run_id)
    notifications = store.notifications(run_ids=[run.id])
    data = mask_json(run.to_dict())
    data["notifications"] = [n.to_json() for n in notifications]
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    out.print(
        f"[bold]run {run.id}[/]  pipeline {escape(numbered(run))} v{run.version}  {styled(run.status.value)}"
    )
    out.print(f"trigger {run.trigger.value}  parameters {escape(json.dumps(data['parameters']))}")
    out.print(
        f"started {data['started_at']}  ended {data['ended_at']}  duration {format_duration(data['duration_s'])}"
    )
    if run.rerun_of:
        out.print(f"rerun of {run.rerun_of}")
    if run.error:
        out.print(f"error: {escape(data['error'])}")
    for step in run.steps:
        needs = f" (needs {', '.join(step.needs)})" if step.needs else ""
        reused = f" reused from {step.reused_from}" if step.reused_from else ""
        out.print(
            f"\n[bold]{escape(step.name)}[/]{escape(needs + item_note(run, step))}: "
            f"{styled(step.status.value)}{reused}"
        )
        for attempt in step.attempts:
            a = mask_json(attempt.to_dict())
            used = ""
            if attempt.resources:
                peak = format_bytes(attempt.resources.get("peak_memory_bytes") or 0)
                used = f", peak memory {peak}, {attempt.resources.get('cpu_seconds', 0):.1f}s CPU"
            out.print(
                f"  attempt {attempt.number}: {styled(attempt.status.value)} in {format_duration(a['duration_s'])}{used}"
            )
            if attempt.outputs:
                out.print(f"    outputs: {escape(json.dumps(a['outputs']))}")
            if attempt.output_notebook:
                out.print(f"    output notebook: {escape(display_path(attempt.output_notebook))}")
            if attempt.error:
                print_error(out, "    error", attempt)
                for tb_line in (a["error"].get("traceback") or [])[-6:]:
                    out.print(f"      {escape(tb_line.rstrip())}")
    if notifications:
        out.print("\n[bold]notifications[/]")
    for item in notifications:
        out.print("  " + notification_line(item), markup=True)
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    lines = open_orchestrator(args).store.get_logs(args.run_id)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "ts": ln.ts.isoformat(),
                        "step": ln.step,
                        "stream": ln.stream,
                        "message": mask_text(ln.message),
                    }
                    for ln in lines
                ],
                indent=2,
            )
        )
        return EXIT_OK
    for ln in lines:
        where = f" [{ln.step}]" if ln.step and ln.stream != "orch" else ""
        stream = "" if ln.stream == "orch" else f" {ln.stream}"
        out.print(
            f"{ln.ts.astimezone():%Y-%m-%d %H:%M:%S}{escape(where)}{stream} - "
            f"{escape(mask_text(ln.message))}"
        )
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace) -> int:
    from ..store.backfills import is_backfill_id

    if is_backfill_id(args.run_id):
        from .backfill import cancel_backfill_command

        return cancel_backfill_command(args)
    orch = open_orchestrator(args)
    outcome = orch.cancel(args.run_id)
    if outcome == "dropped":
        out.print(f"cancelled run {args.run_id} (it had not started)")
    elif outcome == "requested":
        out.print(f"cancelling run {args.run_id}: its steps are being stopped")
    else:
        status = orch.store.get_run(args.run_id).status.value
        out.print(f"run {args.run_id} had already finished: {styled(status)}")
    return EXIT_OK


def cmd_wake(args: argparse.Namespace) -> int:
    """retry-now, fail-now: end a retrying step's wait."""
    action = "retry" if args.command == "retry-now" else "fail"
    open_orchestrator(args).wake(args.run_id, args.step, action)
    what = "its next attempt starts" if action == "retry" else "its retries are given up"
    out.print(f"{escape(args.step)} of run {args.run_id}: {what} at the run's next heartbeat")
    return EXIT_OK
