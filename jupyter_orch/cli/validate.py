"""``jupyter orch validate``: every problem in a pipeline file, without a store, a kernel or an
event loop (a module of its own, so that it imports none of what ``run`` needs)."""

from __future__ import annotations

import argparse

from ..errors import SpecError
from ..masking import mask_json
from ..pipelines.loader import load_pipeline
from .orchestrator import cli_connections
from .output import EXIT_OK, EXIT_USAGE, out, print_problems


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        loaded = load_pipeline(args.file, thorough=True, connections=cli_connections())
    except SpecError as exc:
        if args.json:
            problems = [mask_json(p.__dict__) for p in exc.problems]
            out.print_json(data={"valid": False, "problems": problems})
        print_problems(exc)
        return EXIT_USAGE
    if args.json:
        out.print_json(data={"valid": True, "problems": []})
    else:
        n = len(loaded.spec.steps)
        out.print(f"[green]ok[/]: pipeline {loaded.spec.name!r} ({n} step{'s' * (n != 1)})")
    return EXIT_OK
