"""The HTML the notebook widgets show: runs as a table, a run's steps with links to their
output notebooks, a message. Plain strings, no ipywidgets; every value from the server is
escaped. Colours are JupyterLab's theme variables, so light and dark themes both work."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..durations import format_duration
from ..notebook_client import OrchClient

#: Each status's colour (run and step statuses share their words).
STATUS_COLOURS = {
    "succeeded": "var(--jp-success-color1, #388e3c)",
    "failed": "var(--jp-error-color1, #d32f2f)",
    "timed_out": "var(--jp-error-color1, #d32f2f)",
    "upstream_failed": "var(--jp-error-color2, #e57373)",
    "cancelled": "var(--jp-warn-color2, #ffb74d)",
    "running": "var(--jp-brand-color1, #1976d2)",
    "retrying": "var(--jp-warn-color1, #f57c00)",
    "queued": "var(--jp-ui-font-color2, #757575)",
    "pending": "var(--jp-ui-font-color2, #757575)",
    "skipped": "var(--jp-ui-font-color3, #9e9e9e)",
}
MESSAGE_COLOURS = {
    "error": "var(--jp-error-color1, #d32f2f)",
    "warning": "var(--jp-warn-color1, #f57c00)",
    "info": "var(--jp-brand-color1, #1976d2)",
}

STYLE = """<style>
.jp-orch-widget { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1); }
.jp-orch-runs { border-collapse: collapse; }
.jp-orch-runs th { font-weight: 600; color: var(--jp-ui-font-color2); }
.jp-orch-runs th, .jp-orch-runs td { padding: 3px 10px 3px 0; text-align: left;
  vertical-align: top; border-bottom: var(--jp-border-width, 1px) solid var(--jp-border-color2); }
.jp-orch-status { font-weight: 600; }
.jp-orch-step { margin-right: 10px; white-space: nowrap; }
.jp-orch-step-status { font-size: var(--jp-ui-font-size0); }
.jp-orch-run-error { color: var(--jp-error-color1); font-size: var(--jp-ui-font-size0); }
.jp-orch-widget a { color: var(--jp-content-link-color); }
.jp-orch-message { padding: 4px 8px; border-left: 3px solid; }
</style>"""

RUN_COLUMNS = ("Run", "Status", "Trigger", "Started", "Duration", "Steps")


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def browser_href(client: OrchClient, path: str) -> str:
    """The address that opens an output notebook (relative to the root dir) read-only in
    JupyterLab (the lab's ``?orch-output=``), as the page links it: without the host, which the
    kernel may know under another name than the browser (a proxy, JupyterHub)."""
    return f"{urlsplit(client.url).path}lab?{urlencode({'orch-output': path})}"


def notebook_path(run_id: str, attempt: Mapping[str, Any]) -> str | None:
    """Where the lab opens an attempt's output notebook: relative to the root, or, outside it,
    on the lab's ``OrchRuns`` drive (served by ``/orch/runs/{id}/notebooks/{name}``)."""
    name = attempt.get("output_notebook_name")
    return attempt.get("output_notebook") or (f"OrchRuns:{run_id}/{name}" if name else None)


def run_href(client: OrchClient, run_id: str) -> str:
    """The address that opens the run's detail in JupyterLab (the lab's ``?orch-run=``)."""
    return f"{urlsplit(client.url).path}lab?{urlencode({'orch-run': run_id})}"


def anchor(href: str | None, text: str, title: str = "") -> str:
    """``text`` linking to ``href`` in a new browser tab; plain text without one."""
    if not href:
        return escape(text)
    hint = f' title="{escape(title)}"' if title else ""
    return f'<a href="{escape(href)}" target="_blank" rel="noopener"{hint}>{escape(text)}</a>'


def status(word: str, css: str = "jp-orch-status") -> str:
    colour = STATUS_COLOURS.get(word, "inherit")
    return (
        f'<span class="{css}" data-status="{escape(word)}" style="color: {colour}">'
        f"{escape(word.replace('_', ' '))}</span>"
    )


def message(text: str, kind: str = "error") -> str:
    """A message box (``error``, ``warning`` or ``info``) in place of the table."""
    colour = MESSAGE_COLOURS.get(kind, "inherit")
    return (
        f'{STYLE}<div class="jp-orch-widget jp-orch-message" data-kind="{escape(kind)}" '
        f'style="border-color: {colour}">{escape(text)}</div>'
    )


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def started(run: Mapping[str, Any]) -> str:
    """When the run started (queued: when it was asked for), in the kernel's local time."""
    moment = _moment(run.get("started_at")) or _moment(run.get("created_at"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def duration(run: Mapping[str, Any], now: datetime) -> str:
    """Its duration; a running run's so far."""
    if run.get("duration_s") is not None:
        return format_duration(float(run["duration_s"]))
    begun = _moment(run.get("started_at"))
    if begun is None or run.get("ended_at"):
        return "-"
    return format_duration(max(0.0, (now - begun).total_seconds()))


def step(client: OrchClient, data: Mapping[str, Any], run_id: str) -> str:
    """A step's name (linking its last attempt's output notebook) and status."""
    attempts = data.get("attempts") or []
    notebook = notebook_path(run_id, attempts[-1]) if attempts else None
    name = str(data.get("name", "?"))
    word = str(data.get("status", ""))
    href = browser_href(client, notebook) if notebook else None
    title = f"open the output notebook of {name}: {notebook}" if notebook else ""
    return (
        f'<span class="jp-orch-step" data-step="{escape(name)}" data-status="{escape(word)}">'
        f"{anchor(href, name, title)} {status(word, 'jp-orch-step-status')}</span>"
    )


def run_row(client: OrchClient, run: Mapping[str, Any], now: datetime) -> str:
    word = str(run.get("status", ""))
    number = run.get("number")
    label = f"#{number}" if number is not None else str(run.get("id", "?"))
    error = run.get("error")
    run_id = str(run.get("id", ""))
    cells = [
        anchor(run_href(client, run_id), label, f"open run {run_id} in JupyterLab"),
        status(word) + (f'<div class="jp-orch-run-error">{escape(error)}</div>' if error else ""),
        escape(run.get("trigger", "")),
        escape(started(run)),
        escape(duration(run, now)),
        "".join(step(client, s, run_id) for s in run.get("steps") or []),
    ]
    columns = "".join(
        f'<td class="jp-orch-col-{name.lower()}">{cell}</td>'
        for name, cell in zip(RUN_COLUMNS, cells, strict=True)
    )
    return (
        f'<tr class="jp-orch-run" data-run-id="{escape(run_id)}" '
        f'data-status="{escape(word)}">{columns}</tr>'
    )


def runs_table(
    client: OrchClient, runs: Iterable[Mapping[str, Any]], now: datetime | None = None
) -> str:
    """The runs, one row each in the order given; a line saying so when there are none."""
    moment = now or datetime.now(timezone.utc)
    rows = "".join(run_row(client, run, moment) for run in runs)
    if not rows:
        return f'{STYLE}<div class="jp-orch-widget jp-orch-empty">No runs yet.</div>'
    head = "".join(f"<th>{name}</th>" for name in RUN_COLUMNS)
    return (
        f'{STYLE}<table class="jp-orch-widget jp-orch-runs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def title(text: str, detail: str = "") -> str:
    extra = f' <span style="color: var(--jp-ui-font-color2)">{escape(detail)}</span>'
    return (
        f'{STYLE}<div class="jp-orch-widget jp-orch-title"><b>{escape(text)}</b>'
        f"{extra if detail else ''}</div>"
    )
