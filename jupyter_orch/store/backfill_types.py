"""What crosses the store's interface for backfills: the request, the record, and the
protocol of the store's part that keeps them (store/backfills.py). Plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from .types import NewRun


class BackfillStatus(str, Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NewBackfill:
    """What ``jupyter orch backfill`` asks for: runs of one version for ``slots``."""

    pipeline: str
    version: int
    range_from: str
    range_to: str
    timezone: str
    start: datetime
    end: datetime
    slots: tuple[datetime, ...]
    skipped: int
    max_parallel: int
    parameters: dict[str, Any]
    rerun_succeeded: bool = False
    created_by: str | None = None

    def summary(self) -> dict[str, Any]:
        """What a backfill and its preview (``dry_run``) both say of it."""
        slots = self.slots
        return {
            "pipeline": self.pipeline,
            "version": self.version,
            "from": self.range_from,
            "to": self.range_to,
            "timezone": self.timezone,
            "first_slot": slots[0].isoformat() if slots else None,
            "last_slot": slots[-1].isoformat() if slots else None,
            "skipped": self.skipped,
            "max_parallel": self.max_parallel,
        }


#: The most runs of one backfill at once (``--max-parallel``, ``max_parallel``).
MAX_PARALLEL = 100


@dataclass(frozen=True)
class BackfillRecord:
    """A backfill and how far it got: ``runs`` counts its runs by status."""

    id: str
    new: NewBackfill
    status: BackfillStatus
    cursor: int
    created_at: datetime
    ended_at: datetime | None = None
    runs: Mapping[str, int] = field(default_factory=dict)

    @property
    def pipeline(self) -> str:
        return self.new.pipeline

    @property
    def active(self) -> int:
        """Its runs queued or running now."""
        return self.runs.get("queued", 0) + self.runs.get("running", 0)

    def counts(self) -> dict[str, int]:
        """``total`` runs it makes; ``succeeded``, ``failed`` (or timed out), ``cancelled``,
        ``running``, ``queued``; ``left``: not ended yet (queued, running or not queued yet)."""
        failed = self.runs.get("failed", 0) + self.runs.get("timed_out", 0)
        out = {
            "total": len(self.new.slots),
            "succeeded": self.runs.get("succeeded", 0),
            "failed": failed,
            "cancelled": self.runs.get("cancelled", 0),
            "running": self.runs.get("running", 0),
            "queued": self.runs.get("queued", 0),
        }
        out["left"] = out["total"] - out["succeeded"] - failed - out["cancelled"]
        return out

    def to_dict(self) -> dict[str, Any]:
        new = self.new
        return {
            "id": self.id,
            "status": self.status.value,
            **new.summary(),
            "start": new.start.isoformat(),
            "end": new.end.isoformat(),
            "parameters": new.parameters,
            "rerun_succeeded": new.rerun_succeeded,
            "created_by": new.created_by,
            "created_at": self.created_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "runs": self.counts(),
        }


class Backfills(Protocol):
    """Backfills, and the runs they queue a few at a time (store/backfills.py)."""

    def succeeded_slots(self, pipeline: str, start: datetime, end: datetime) -> set[datetime]: ...

    def create_backfill(
        self, new: NewBackfill, *, now: datetime | None = None
    ) -> BackfillRecord: ...

    def get_backfill(self, backfill_id: str) -> BackfillRecord: ...

    def list_backfills(
        self, *, pipeline: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[BackfillRecord]: ...

    def backfill_runs(self, backfill_id: str, *, status: str | None = None) -> list[str]: ...

    def queue_backfill_runs(
        self, backfill_id: str, cursor: int, runs: Sequence[NewRun]
    ) -> list[str]: ...

    def settle_backfill(self, backfill_id: str, now: datetime) -> BackfillStatus | None: ...

    def cancel_backfill(self, backfill_id: str, now: datetime) -> list[str]: ...
