"""What ``jupyter orch`` prints and how it exits: the consoles, status colours, problem and error
lines, the one-line warning handler, and the exit codes."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..errors import SpecError
from ..masking import mask_json, mask_text
from ..records import RunRecord, cell_label

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "upstream_failed": "yellow",
    "cancelled": "magenta",
    "skipped": "dim",
    "running": "cyan",
    "retrying": "yellow",
    "queued": "dim",
    "pending": "dim",
    "sent": "green",
}

#: The width of tables printed to a pipe or a file (with no ``COLUMNS``): wide enough that they
#: keep whole words, as ``docker ps`` does, rather than the 80 columns Rich assumes.
PIPE_WIDTH = 240


def _width(stream: Any) -> int | None:
    """None (Rich asks the terminal) for a terminal or when ``COLUMNS`` says; else PIPE_WIDTH."""
    if os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return PIPE_WIDTH


err = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))
out = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))


def styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def notification_line(item: Any) -> str:
    """One notification (``store.types.Notification``) as ``show`` and ``run`` print it."""
    step = f" of step {item.step}" if item.step else ""
    tries = f", {item.attempts} tr{'y' if item.attempts == 1 else 'ies'}" if item.attempts else ""
    said = f"{item.event}{step} to {item.channel}: {styled(item.status)}{tries}"
    if item.error:
        said += f" ({escape(item.error)})"
    return said


def display_path(path: str | None) -> str:
    if not path:
        return "-"
    try:
        return os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else path
    except ValueError:
        return path


def print_problems(exc: SpecError) -> None:
    count = len(exc.problems)
    err.print(f"[red]{escape(exc.file or 'pipeline')}: {count} problem{'s' * (count != 1)}[/]")
    for problem in exc.problems:
        err.print(f"  {escape(mask_text(str(problem)))}")


def print_error(console: Console, name: str, attempt: Any) -> None:
    error = mask_json(attempt.error or {})
    cell = cell_label(error)
    where = f" at {cell}" if cell else ""
    console.print(
        f"[red]{escape(name)}[/]{where}: {escape(str(error.get('ename')))}: {escape(str(error.get('evalue')))}"
    )
    if attempt.output_notebook:
        console.print(f"  see {escape(display_path(attempt.output_notebook))}")


class _OneLine(logging.Formatter):
    """Log records without their traceback: a terminal user is told what happened (the run
    log says it too); the traceback is for a server's log."""

    def format(self, record: logging.LogRecord) -> str:
        # The masking filter may already have put the (masked) traceback into the message
        lines = super().format(record).splitlines()
        return lines[0] if lines else ""

    def formatException(self, ei: Any) -> str:
        return ""


def warnings_in_one_line() -> None:
    """Warnings and errors of ours (a store refusing writes, an internal error) on stderr,
    one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("jupyter-orch %(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("jupyter_orch")
    logger.addHandler(handler)
    logger.propagate = False


def numbered(run: RunRecord) -> str:
    """``daily-sales-report #42``: a run as people tell runs apart (the id stays beside it)."""
    return f"{run.pipeline} #{run.number}" if run.number else run.pipeline


def item_note(run: RunRecord, step: Any) -> str:
    """`` (item "apac")`` for an item of a for-each step (``report[1]``), `` (2 of 3 items
    succeeded)`` for the for-each step itself, else nothing."""
    if step.parent is not None:
        shown = json.dumps(step.item, ensure_ascii=False)
        return f" (item {shown if len(shown) <= 60 else shown[:57] + '...'})"
    items = [s for s in run.steps if s.parent == step.name]
    if not items:
        return ""
    succeeded = sum(s.status.value == "succeeded" for s in items)
    return f" ({succeeded} of {len(items)} items succeeded)"
