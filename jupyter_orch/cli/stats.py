"""``jupyter orch stats NAME``: a pipeline's figures over its last runs, and their trend."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..durations import format_duration
from ..sizes import format_bytes
from ..stats import ACTIVE_MARGIN, pipeline_stats
from .orchestrator import open_orchestrator
from .output import EXIT_OK, out


def cmd_stats(args: argparse.Namespace) -> int:
    store = open_orchestrator(args).store
    store.get_version(args.name)  # NotFoundError (exit 2) for a pipeline never registered
    runs = store.list_runs(pipeline=args.name, limit=2 * args.last + ACTIVE_MARGIN)
    stats = pipeline_stats(args.name, runs, args.last)
    if args.json:
        print(json.dumps(stats, indent=2))
        return EXIT_OK
    if not stats["runs"]:
        out.print(f"{escape(args.name)}: no finished runs yet")
        return EXIT_OK
    before = stats["previous"]
    out.print(
        f"[bold]{escape(args.name)}[/]: last {stats['runs']} finished runs"
        + (f" (and the {before['runs']} before them)" if before["runs"] else "")
    )
    table = Table("", "runs", "duration median", "p95", "peak memory median", "max", "failed")
    table.add_row("whole run", *_cells(stats, before))
    by_name = {s["name"]: s for s in before["steps"]}
    for step in stats["steps"]:
        name = escape(step["name"]) + (
            " (slowest)" if step["name"] == stats["slowest_step"] else ""
        )
        table.add_row(name, *_cells(step, by_name.get(step["name"])))
    out.print(table)
    return EXIT_OK


def _cells(now: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """A row's figures, each followed by the figure of the runs before when there is one."""

    def trend(text: str, old: str | None) -> str:
        return f"{text} (was {old})" if old is not None and old != text else text

    def pick(data: dict[str, Any] | None, key: str, part: str | None, show: Any) -> str | None:
        if not data or (data.get("runs", data.get("count")) or 0) == 0:
            return None
        value = data[key][part] if part else data[key]
        return show(value) if value is not None else "-"

    cells = [str(now.get("runs", now.get("count")))]
    for key, part, show in (
        ("duration_s", "median", format_duration),
        ("duration_s", "p95", format_duration),
        ("peak_memory_bytes", "median", format_bytes),
        ("peak_memory_bytes", "max", format_bytes),
        ("failure_rate", None, lambda v: f"{100 * v:.0f}%"),
    ):
        cells.append(trend(pick(now, key, part, show) or "-", pick(before, key, part, show)))
    return cells
