"""What a notification says: what happened and where to look.

One ``Message`` per notification, built when it is delivered from the run as recorded (the
run has ended by then, except for ``long_running``): a subject, a plain-text body, an HTML body
(email), Markdown (Slack and chat channels) and the JSON a webhook receives (the run record).
Every text goes through the run's masking before it leaves.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..durations import format_duration
from ..masking import mask_json, mask_text
from ..records import RunRecord, StepStatus, duration_s
from ..store.types import Notification

#: Lines of an error's message a notification quotes.
ERROR_LINES = 6
_HEADLINE = {
    "failure": "failed",
    "success": "succeeded",
    "recovery": "recovered",
    "long_running": "is still running",
    "missed": "missed a scheduled run",
    "test": "test message",
}
_FAILED = (StepStatus.FAILED, StepStatus.TIMED_OUT)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    markdown: str
    data: dict[str, Any]
    #: Files for channels that take them (email).
    attachments: tuple[str, ...] = ()
    #: ``trigger`` or ``resolve`` for incident channels (PagerDuty).
    severity: str = "info"
    facts: tuple[tuple[str, str], ...] = field(default=())


def run_link(public_url: str | None, run_id: str) -> str:
    """Where a reader opens the run: the lab when the server's URL is known, else a command."""
    if public_url:
        return f"{public_url.rstrip('/')}/lab?orch-run={run_id}"
    return f"jupyter orch show {run_id}"


def _error_lines(error: dict[str, Any] | None) -> list[str]:
    if not error:
        return []
    head = f"{error.get('ename') or 'Error'}: {error.get('evalue') or ''}".strip()
    return head.splitlines()[:ERROR_LINES]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value else "-"


def build(
    notification: Notification,
    run: RunRecord | None,
    *,
    public_url: str | None = None,
    masked: Sequence[str] = (),
    now: datetime | None = None,
) -> Message:
    """The message of ``notification`` about ``run`` (None for a missed slot)."""
    event = notification.event
    headline = _HEADLINE.get(event, event)
    who = notification.pipeline + (f" step {notification.step}" if notification.step else "")
    facts: list[tuple[str, str]] = [("Pipeline", notification.pipeline)]
    detail_lines: list[str] = []
    if run is not None:
        end = run.ended_at or now
        facts += [
            ("Run", run.id),
            ("Status", run.status.value),
            ("Trigger", run.trigger.value),
            ("Started", _when(run.started_at)),
            ("Duration", format_duration(duration_s(run.started_at, end))),
        ]
        if run.scheduled_for:
            facts.append(("Scheduled for", _when(run.scheduled_for)))
        steps = [s for s in run.steps if not notification.step or s.name == notification.step]
        for step in steps:
            if step.status in _FAILED:
                last = step.last_attempt
                tries = len(step.attempts)
                detail_lines.append(
                    f"Step {step.name} {step.status.value} after {tries} attempt"
                    + ("s" if tries != 1 else "")
                )
                detail_lines += [
                    f"    {line}" for line in _error_lines(last.error if last else None)
                ]
        if run.error and not detail_lines:
            detail_lines.append(run.error)
        facts.append(("Open", run_link(public_url, run.id)))
    if notification.detail.get("slot"):
        facts += [
            ("Slot", str(notification.detail["slot"])),
            ("Reason", str(notification.detail.get("reason") or "")),
        ]
    subject = f"[jupyter-orch] {who} {headline}"
    if run is not None:
        subject += f" (run {run.id})"
    subject = mask_text(subject, masked)
    text_lines = [subject, ""] + [f"{k}: {v}" for k, v in facts]
    if detail_lines:
        text_lines += ["", *detail_lines]
    text = mask_text("\n".join(text_lines) + "\n", masked)
    facts = [(k, mask_text(v, masked)) for k, v in facts]
    details = [mask_text(line, masked) for line in detail_lines]
    data = {
        "event": event,
        "delivery_id": notification.id,
        "pipeline": notification.pipeline,
        "step": notification.step,
        "channel": notification.channel,
        "subject": subject,
        "text": text,
        "run": mask_json(run.to_dict(), masked) if run is not None else None,
        **({"slot": notification.detail["slot"]} if notification.detail.get("slot") else {}),
        **({"reason": notification.detail["reason"]} if notification.detail.get("reason") else {}),
    }
    return Message(
        subject=subject,
        text=text,
        html=_html(subject, facts, details),
        markdown=_markdown(facts, details),
        data=data,
        severity="critical" if event in ("failure", "long_running", "missed") else "info",
        facts=tuple(facts),
    )


def _html(subject: str, facts: list[tuple[str, str]], details: list[str]) -> str:
    """Lines rather than a table: apprise derives the email's plain-text part from this HTML,
    and a line per fact reads as ``Pipeline: nightly`` there too."""
    lines = "<br>".join(f"<b>{html.escape(k)}:</b> {_html_value(k, v)}" for k, v in facts)
    pre = f"<pre>{html.escape(chr(10).join(details))}</pre>" if details else ""
    return f"<html><body><h2>{html.escape(subject)}</h2>\n<p>{lines}</p>\n{pre}</body></html>"


def _html_value(key: str, value: str) -> str:
    if key == "Open" and value.startswith(("http://", "https://")):
        return f"<a href='{html.escape(value, quote=True)}'>{html.escape(value)}</a>"
    return html.escape(value)


def _markdown(facts: list[tuple[str, str]], details: list[str]) -> str:
    lines = [f"*{k}:* {v}" for k, v in facts]
    if details:
        lines += ["```", *details, "```"]
    return "\n".join(lines)


def custom(
    subject: str,
    body: str,
    *,
    attachments: Sequence[str] = (),
    data: dict[str, Any] | None = None,
    masked: Sequence[str] = (),
) -> Message:
    """A message an export step writes (``to: {notify: ...}``)."""
    subject, body = mask_text(subject, masked), mask_text(body, masked)
    return Message(
        subject=subject,
        text=body if body.endswith("\n") else body + "\n",
        html=f"<html><body><pre>{html.escape(body)}</pre></body></html>",
        markdown=body,
        data={"subject": subject, "text": body, **(data or {})},
        attachments=tuple(attachments),
    )
