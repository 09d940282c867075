"""A pipeline's figures over its last runs: how long runs and steps take (median, p95), how
much memory they use (median, max), how often they fail, which step is slowest, and the same for
the runs before, to show the trend. Pure: it reads run records (``jupyter orch stats`` and
``GET /orch/pipelines/{name}/stats`` fetch them).

Only finished runs count; a cancelled run counts for durations but not as a failure or a
success. A step's duration is the time its attempts took (retries included); its peak memory the
largest of its attempts'; a run's peak the largest of its steps'.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from .records import (
    FAILED_RUN_STATUSES,
    FAILED_STEP_STATUSES,
    FINISHED_RUN_STATUSES,
    RunRecord,
    RunStatus,
    StepStatus,
    duration_s,
)

_ENDED_STEPS = FAILED_STEP_STATUSES | {StepStatus.SUCCEEDED}
#: Runs a page of stats reads beyond the ``2 * last`` finished ones (those still running).
ACTIVE_MARGIN = 50


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` 0.95 for p95); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def _durations(values: Sequence[float]) -> dict[str, float | None]:
    median = statistics.median(values) if values else None
    return {
        "median": round(median, 3) if median is not None else None,
        "p95": round(p95, 3) if (p95 := percentile(values, 0.95)) is not None else None,
    }


def _memory(values: Sequence[int]) -> dict[str, int | None]:
    return {
        "median": int(statistics.median(values)) if values else None,
        "max": max(values) if values else None,
    }


def _rate(failed: int, ended: int) -> float | None:
    return round(failed / ended, 4) if ended else None


def _step_figures(runs: Sequence[RunRecord], name: str) -> dict[str, Any]:
    durations: list[float] = []
    peaks: list[int] = []
    ended = failed = 0
    for run in runs:
        step = next((s for s in run.steps if s.name == name), None)
        items = [a for s in run.steps if s.parent == name for a in s.attempts]
        if step is None or not (step.attempts or items):
            continue
        if step.attempts:
            spent = [duration_s(a.started_at, a.ended_at) for a in step.attempts]
            if all(d is not None for d in spent):
                durations.append(sum(d for d in spent if d is not None))
        elif all(a.ended_at for a in items):  # a for-each step: its first item's start to
            starts = [a.started_at for a in items if a.started_at]  # its last one's end
            span = duration_s(min(starts), max(a.ended_at for a in items if a.ended_at))
            durations.append(span or 0.0)
        attempts = [*step.attempts, *items]
        used = [int(a.resources["peak_memory_bytes"]) for a in attempts if a.resources]
        if used:
            peaks.append(max(used))
        if step.status in _ENDED_STEPS:
            ended += 1
            failed += step.status in FAILED_STEP_STATUSES
    return {
        "name": name,
        "count": len(durations),
        "duration_s": _durations(durations),
        "peak_memory_bytes": _memory(peaks),
        "failure_rate": _rate(failed, ended),
    }


def figures(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """The figures of these finished runs, for the whole run and per step."""
    durations = [d for r in runs if (d := duration_s(r.started_at, r.ended_at)) is not None]
    peaks = []
    for run in runs:
        used = [
            int(a.resources["peak_memory_bytes"])
            for s in run.steps
            for a in s.attempts
            if a.resources
        ]
        if used:
            peaks.append(max(used))
    counted = [r for r in runs if r.status is not RunStatus.CANCELLED]
    # a for-each step's items count in its figures, not as steps of their own
    names = list(dict.fromkeys(s.name for r in runs for s in r.steps if s.parent is None))
    steps = [_step_figures(runs, name) for name in names]
    timed = [s for s in steps if s["duration_s"]["median"] is not None]
    slowest = max(timed, key=lambda s: s["duration_s"]["median"])["name"] if timed else None
    return {
        "runs": len(runs),
        "from": min((r.created_at for r in runs), default=None),
        "to": max((r.created_at for r in runs), default=None),
        "duration_s": _durations(durations),
        "peak_memory_bytes": _memory(peaks),
        "failure_rate": _rate(sum(r.status in FAILED_RUN_STATUSES for r in counted), len(counted)),
        "slowest_step": slowest,
        "steps": steps,
    }


def pipeline_stats(name: str, runs: Sequence[RunRecord], last: int) -> dict[str, Any]:
    """``runs``: the pipeline's runs, newest first (at least ``2 * last`` when there are): the
    figures of the ``last`` finished ones, and of the ``last`` before them (``previous``)."""
    finished = [r for r in runs if r.status in FINISHED_RUN_STATUSES]
    current, previous = finished[:last], finished[last : 2 * last]
    out = {"pipeline": name, "last": last, **figures(current), "previous": figures(previous)}
    for part in (out, out["previous"]):
        for key in ("from", "to"):
            part[key] = part[key].isoformat() if part[key] is not None else None
    return out
