"""Whether jobs run on schedule: the schedulers alive on a store, and the applied pipelines
that nothing fires while none is (``GET /orch/health``, the sidebar's warning, the CLI's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from .records import iso
from .store.base import Instances, ScheduleState

#: A scheduler silent this long is taken for gone (they beat every few seconds).
SILENT_AFTER_S = 60.0
#: The processes that fire schedules and execute queued runs.
SCHEDULER_KINDS = ("scheduler", "server")
NO_SCHEDULER = (
    "Jobs not running on schedule: {count} applied pipeline{s} but no scheduler has been alive "
    "for a minute; start one with `jupyter orch scheduler` (or a Jupyter server with "
    "jupyter-orch) on this store"
)


class HealthStore(Instances, ScheduleState, Protocol):
    pass


def health(
    store: HealthStore, now: datetime, *, silent_after: float = SILENT_AFTER_S
) -> dict[str, Any]:
    """``status`` ``ok`` or ``degraded``, the live schedulers, and each problem with what to
    do about it."""
    live = [i for i in store.instances(SCHEDULER_KINDS) if i.alive(now, silent_after)]
    applied = [s.name for s in store.pipeline_states(history=False) if s.fires]
    problems = []
    if applied and not live:
        count = len(applied)
        problems.append(
            {
                "code": "no_scheduler",
                "message": NO_SCHEDULER.format(count=count, s="s" * (count != 1)),
                "pipelines": applied,
            }
        )
    return {
        "status": "degraded" if problems else "ok",
        "schedulers": [
            {"kind": i.kind, "host": i.host, "pid": i.pid, "heartbeat_at": iso(i.heartbeat_at)}
            for i in live
        ],
        "applied_pipelines": len(applied),
        "problems": problems,
    }
