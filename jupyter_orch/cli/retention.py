"""``jupyter orch prune`` (retention by hand) and ``pin`` / ``unpin`` (runs it never deletes)."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape

from ..durations import parse_duration
from ..errors import UserError
from ..sizes import format_bytes
from ..store.types import utcnow
from .orchestrator import open_orchestrator
from .output import EXIT_OK, out


def cmd_prune(args: argparse.Namespace) -> int:
    from ..config import CliConfig
    from ..retention import prune

    older_than = None
    if args.older_than:
        try:
            older_than = parse_duration(args.older_than)
        except ValueError as exc:
            raise UserError(f"--older-than: {exc}") from None
    orch = open_orchestrator(args)
    if args.pipeline:
        orch.store.get_version(args.pipeline)  # NotFoundError (exit 2) for an unknown name
    default = CliConfig().default_retention()
    done = prune(
        orch.store,
        utcnow(),
        default=default,
        pipeline=args.pipeline,
        older_than=older_than,
        dry_run=args.dry_run,
        activity_max_age=orch.activity_max_age,
    )
    if args.json:
        print(json.dumps([p.to_json() for p in done], indent=2))
        return EXIT_OK
    verb = "would delete" if args.dry_run else "deleted"
    total = 0
    for pruned in done:
        if not (pruned.runs or pruned.orphans):
            continue
        total += pruned.freed_bytes
        out.print(
            f"{escape(pruned.pipeline)}: {verb} {len(pruned.runs)} runs"
            + (f" and {len(pruned.orphans)} orphan folders" if pruned.orphans else "")
            + f" ({format_bytes(pruned.freed_bytes)})"
        )
        for run_id in pruned.runs:
            out.print(f"  {run_id}")
    if total == 0 and not any(p.runs or p.orphans for p in done):
        rules = "" if default or older_than else " (no retention rule: see `retention:`)"
        out.print(f"nothing to prune{rules}")
    else:
        out.print(f"{'would free' if args.dry_run else 'freed'} {format_bytes(total)}")
    return EXIT_OK


def cmd_pin(args: argparse.Namespace) -> int:
    pinned = args.command == "pin"
    open_orchestrator(args).pin(args.run_id, pinned)
    state = "pinned: retention keeps it" if pinned else "unpinned: retention applies again"
    out.print(f"run {args.run_id} {state}")
    return EXIT_OK
