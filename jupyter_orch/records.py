"""What happened: runs, steps and attempts as immutable data with their status words.

The status words are stored strings, chosen once (DESIGN.md "Words").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class RunStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class StepStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    CANCELLED = "cancelled"


class AttemptStatus(str, Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class Trigger(str, Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    API = "api"
    WEBHOOK = "webhook"
    EVENT = "event"
    RERUN = "rerun"
    #: One slot of a backfill (``jupyter orch backfill``): like ``schedule`` for notifications
    #: and events, except that ``on_recovery`` ignores it.
    BACKFILL = "backfill"
    #: ``jupyter orch test``: hidden from default listings, no notifications, events or stats.
    TEST = "test"


#: Runs that count against concurrency limits and keep their pipeline from being deleted.
ACTIVE_RUN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})
FINISHED_RUN_STATUSES = frozenset(RunStatus) - ACTIVE_RUN_STATUSES
#: Steps a run ended outside its coordinator (a cancel, an orphan) leaves `cancelled`.
UNFINISHED_STEP_STATUSES = frozenset({StepStatus.PENDING, StepStatus.RUNNING, StepStatus.RETRYING})
FINISHED_STEP_STATUSES = frozenset(StepStatus) - UNFINISHED_STEP_STATUSES
#: Step outcomes that make a run `failed` and dependants `upstream_failed`.
FAILED_STEP_STATUSES = frozenset({StepStatus.FAILED, StepStatus.TIMED_OUT})
#: Runs that alert ``on_failure`` and count as failures in stats.
FAILED_RUN_STATUSES = frozenset({RunStatus.FAILED, RunStatus.TIMED_OUT})
#: The only step outcomes a `succeeded` run may hold: a step cancelled or never settled in a
#: run that was not cancelled means something went wrong, so the run cannot read succeeded.
SUCCESSFUL_STEP_STATUSES = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})
FINISHED_ATTEMPT_STATUSES = frozenset(AttemptStatus) - {AttemptStatus.RUNNING}


#: The stream under which a notebook step's progress (cell k of n) reaches the run log: kept
#: on the step (``progress``), never a line of the log.
PROGRESS_STREAM = "progress"


def cell_label(error: dict[str, Any]) -> str | None:
    """The failing cell as its notebook shows it, ``In [4]``; else ``cell 5``, counting from 1
    (a cell that never ran has no count); None when the error names no cell."""
    count, index = error.get("exec_count"), error.get("cell_index")
    if isinstance(count, int) and not isinstance(count, bool):
        return f"In [{count}]"
    if isinstance(index, int) and not isinstance(index, bool):
        return f"cell {index + 1}"
    return None


def error_record(ename: str, evalue: str) -> dict[str, Any]:
    """An attempt's error for faults outside the notebook (same keys as papermill's)."""
    return {"ename": ename, "evalue": evalue, "traceback": [], "cell_index": None}


def internal_error(exc: BaseException) -> dict[str, Any]:
    """An attempt's error for a fault of jupyter-orch itself (not of the notebook)."""
    return error_record("InternalError", describe_exception(exc))


def describe_exception(exc: BaseException) -> str:
    """``TypeName: message`` on one line, for records and logs."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def duration_s(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


@dataclass(frozen=True)
class AttemptRecord:
    number: int
    status: AttemptStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    output_notebook: str | None = None
    #: What its processes used: ``{"peak_memory_bytes", "cpu_seconds"}`` (None: not measured,
    #: an attempt that never started a process, or one recorded before this was kept).
    resources: dict[str, Any] | None = None
    #: The files it created or changed in the run's artifacts folder (and an export's file):
    #: ``{"path"`` (absolute), ``"name"`` (in the folder), ``"size"``, ``"modified_at"``, and
    #: ``"concurrent"``: other steps that ran as it was written, if it may be theirs}.
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    #: The datasets it read and wrote, ``{"inputs": [...], "outputs": [...]}``: tables as
    #: ``connection.schema.table``, files relative to the root dir (None: none known).
    lineage: dict[str, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status.value,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "duration_s": duration_s(self.started_at, self.ended_at),
            "outputs": self.outputs,
            "error": self.error,
            "output_notebook": self.output_notebook,
            "resources": self.resources,
            "lineage": self.lineage,
        }


@dataclass(frozen=True)
class StepRecord:
    name: str
    needs: tuple[str, ...]
    status: StepStatus
    attempts: tuple[AttemptRecord, ...] = ()
    reused_from: str | None = None
    #: When a `retrying` step makes its next attempt.
    next_attempt_at: datetime | None = None
    #: While it runs a notebook: the cell (``cell`` of ``cells``), its first line (``source``),
    #: when it began (``started_at``, Unix seconds).
    progress: dict[str, Any] | None = None
    #: An item of a for-each step (``report[0]``): that step, the item's index and value.
    parent: str | None = None
    item_index: int | None = None
    item: Any = None

    @property
    def last_attempt(self) -> AttemptRecord | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def outputs(self) -> dict[str, Any]:
        last = self.last_attempt
        return dict(last.outputs) if last is not None else {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "needs": list(self.needs),
            "status": self.status.value,
            "attempts": [a.to_dict() for a in self.attempts],
        }
        if self.reused_from:
            data["reused_from"] = self.reused_from
        if self.status is StepStatus.RETRYING and self.next_attempt_at is not None:
            data["next_attempt_at"] = iso(self.next_attempt_at)
        if self.status is StepStatus.RUNNING and self.progress is not None:
            data["progress"] = self.progress
        if self.parent is not None:
            data.update(parent=self.parent, item_index=self.item_index, item=self.item)
        return data


@dataclass(frozen=True)
class RunRecord:
    id: str
    pipeline: str
    version: int
    status: RunStatus
    trigger: Trigger
    parameters: dict[str, Any]
    run_dir: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    rerun_of: str | None = None
    #: A rerun that replays its run's own version byte for byte (``rerun --exact``).
    exact: bool = False
    steps: tuple[StepRecord, ...] = ()
    #: The schedule slot a `schedule` run is for (UTC).
    scheduled_for: datetime | None = None
    #: What fired an `event` run, e.g. {"pipeline_succeeded": "load", "run_id": "..."}.
    event: dict[str, Any] | None = None
    #: Kept whatever retention says (``jupyter orch pin``).
    pinned: bool = False
    #: Its number among the pipeline's runs (``daily-sales-report #42``), from 1.
    number: int | None = None
    #: The backfill that made it (``jupyter orch backfill``).
    backfill_id: str | None = None

    def with_status(self, status: RunStatus, **changes: Any) -> RunRecord:
        return dataclasses.replace(self, status=status, **changes)

    def step(self, name: str) -> StepRecord:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "pipeline": self.pipeline,
            "version": self.version,
            "status": self.status.value,
            "trigger": self.trigger.value,
            "parameters": self.parameters,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "duration_s": duration_s(self.started_at, self.ended_at),
            "error": self.error,
            "rerun_of": self.rerun_of,
            "exact": self.exact,
            "scheduled_for": iso(self.scheduled_for),
            "backfill_id": self.backfill_id,
            "event": self.event,
            "run_dir": self.run_dir,
            "pinned": self.pinned,
            "steps": [s.to_dict() for s in self.steps],
        }
