"""The store's interface, as those who use it see it: one small protocol per need, and
``StoreProtocol``, all of them (what ``Orchestrator.store`` holds). ``Store``
(``store/repository.py``) is the SQLAlchemy implementation; mypy checks it satisfies them.

Who uses what:

- the run coordinator (runner.py): ``RunRecords``
- whoever delivers notifications (notify/delivery.py): ``Outbox``
- the scheduler (scheduling/): ``Instances``, ``Leases``, ``Admission``, ``Recovery``
  (``ReaperStore`` for the reaper), ``ScheduleState`` and ``RunQueue`` (``LeaderStore`` for the
  leader), and the coordinator's ``RunRecords`` for the runs it executes
- the service layer (service.py, catalog.py, notebook_schedules.py, scheduling/webhooks.py, the
  CLI): ``PipelineCatalog``, ``RunQueue``, ``Requests``, ``RunQueries``, ``ScheduleState``;
  backfills.py and whoever feeds backfills: ``Backfills``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..records import AttemptRecord, RunRecord, RunStatus, StepStatus, Trigger
from .backfill_types import Backfills
from .types import (
    ActivityEntry,
    CapturedFile,
    FinishedRun,
    Instance,
    KeyedRun,
    LogLine,
    NewRun,
    Notification,
    PipelineState,
    PipelineVersion,
    Registration,
    RequestKey,
    RunningRun,
    Tick,
    VersionInfo,
)


class RunRecords(Protocol):
    """What the run coordinator reads and writes while it drives one run."""

    def get_run(self, run_id: str) -> RunRecord: ...

    def update_run(self, run_id: str, **fields: Any) -> None: ...

    def update_step(self, run_id: str, name: str, **fields: Any) -> None: ...

    def add_items(self, run_id: str, step: str, items: Sequence[Any]) -> list[StepStatus]: ...

    def save_attempt(
        self,
        run_id: str,
        step: str,
        attempt: AttemptRecord,
        *,
        step_status: StepStatus | None = None,
    ) -> None: ...

    def set_attempt_processes(
        self, run_id: str, step: str, number: int, processes: dict[str, Any]
    ) -> None: ...

    def settle_run(
        self,
        run_id: str,
        status: RunStatus,
        error: str | None,
        now: datetime,
        *,
        steps: Mapping[str, StepStatus],
        attempt_error: dict[str, Any],
    ) -> None: ...

    def add_logs(self, run_id: str, lines: Iterable[LogLine]) -> None: ...

    def secret_variables(self) -> frozenset[str]: ...

    def queue_long_running(self, run_id: str, now: datetime) -> int: ...


class RunQueries(Protocol):
    """Runs and their logs as listings show them."""

    def get_runs(self, run_ids: Sequence[str]) -> list[RunRecord]: ...

    def list_runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 20,
        trigger: str | None = None,
    ) -> list[RunRecord]: ...

    def run_ids_page(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before: str | None = None,
        search: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        trigger: str | None = None,
    ) -> list[str]: ...

    def get_logs(self, run_id: str, *, after_id: int = 0) -> list[LogLine]: ...


class RunQueue(Protocol):
    """What queues runs and cancels them."""

    def create_run(
        self,
        *,
        pipeline: str,
        version: int,
        trigger: Trigger,
        parameters: dict[str, Any],
        steps: Sequence[tuple[str, Sequence[str]]],
        runs_dir: str,
        rerun_of: str | None = None,
        exact: bool = False,
        run_id: str | None = None,
        scheduled_for: datetime | None = None,
        event: dict[str, Any] | None = None,
        overlap_limit: int | None = None,
        tick_slot: datetime | None = None,
        reused: Sequence[tuple[str, str, AttemptRecord]] = (),
        items: Sequence[tuple[str, int, Any]] = (),
    ) -> RunRecord: ...

    def queue_run(
        self,
        new: NewRun,
        *,
        overlap_limit: int | None = None,
        tick_slot: datetime | None = None,
    ) -> RunRecord: ...

    def request_cancel(self, run_id: str, now: datetime) -> str: ...


class Requests(Protocol):
    """Requests that create one run however often they arrive (store/requests.py)."""

    def keyed_run(self, pipeline: str, key: RequestKey) -> RunRecord | None: ...

    def queue_keyed_run(
        self, new: NewRun, key: RequestKey, *, overlap_limit: int | None = None
    ) -> KeyedRun: ...


class PipelineCatalog(Protocol):
    """Pipelines and their versions."""

    def register(
        self,
        name: str,
        path: str,
        source: str,
        definition: dict[str, Any],
        *,
        replace: bool = False,
        files: Sequence[CapturedFile] = (),
        created_by: str | None = None,
        summary: str | None = None,
        based_on: int | None = None,
    ) -> Registration: ...

    def get_version(self, name: str, version: int | None = None) -> PipelineVersion: ...

    def list_versions(self, name: str) -> list[VersionInfo]: ...

    def read_blob(self, digest: str) -> bytes:
        """A stored file content by its sha256; NotFoundError when none is stored."""
        ...

    def delete_pipeline(self, name: str) -> None: ...


class ScheduleState(Protocol):
    """Pipelines as the scheduler sees them: applied, paused, their next slot, ticks, event
    trigger states."""

    def set_pipeline_flags(
        self,
        name: str,
        *,
        active: bool | None = None,
        paused: bool | None = None,
        archived: bool | None = None,
    ) -> None: ...

    def pipeline_state(self, name: str, *, history: bool = False) -> PipelineState: ...

    def pipeline_states(
        self,
        *,
        active_only: bool = False,
        history: bool = True,
        name: str | None = None,
        archived: bool = True,
    ) -> list[PipelineState]: ...

    def set_next_run(
        self, name: str, next_run_at: datetime | None, schedule_key: str | None
    ) -> None: ...

    def record_missed(self, name: str, missed: Sequence[tuple[datetime, str]]) -> int: ...

    def ticks(self, name: str, *, limit: int = 50) -> list[Tick]: ...

    def event_states(self, name: str) -> dict[str, dict[str, Any]]: ...

    def create_event_runs(
        self,
        runs: Sequence[NewRun],
        *,
        event_key: tuple[str, str],
        state: dict[str, Any],
        overlap_limit: int | None = None,
    ) -> tuple[list[str], list[str]]: ...

    def finished_runs(
        self, pipeline: str, status: str, after: tuple[datetime, str] | None, *, limit: int = 100
    ) -> list[FinishedRun]: ...


class Instances(Protocol):
    """The processes that execute runs, and their heartbeats."""

    def register_instance(self, kind: str, now: datetime) -> Instance: ...

    def beat(self, instance_id: str, now: datetime) -> list[str]: ...

    def stop_instance(self, instance_id: str, now: datetime) -> None: ...

    def prune_instances(self, before: datetime) -> int: ...

    def instances(self, kinds: Iterable[str] | None = None) -> list[Instance]: ...

    def take_wakes(self, instance_id: str) -> list[tuple[str, str, str]]: ...

    def request_wake(self, run_id: str, step: str, action: str) -> None: ...


class Leases(Protocol):
    """Named leases (the scheduler's leader lease)."""

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: float) -> bool: ...

    def release_lease(self, name: str, holder: str) -> None: ...


class Admission(Protocol):
    """Queued runs start within the limits, first in first out."""

    def claim_queued(
        self, instance_id: str, *, capacity: int, global_limit: int, now: datetime
    ) -> list[str]: ...

    def claim_run(
        self, run_id: str, instance_id: str, *, global_limit: int, now: datetime
    ) -> bool: ...

    def release_unstarted(self, instance_id: str) -> list[str]: ...


class Recovery(Protocol):
    """Runs whose executor is gone: found, ended or queued again."""

    def running_runs(self) -> list[RunningRun]: ...

    def end_orphan(
        self, run_id: str, claimed_by: str | None, status: RunStatus, error: str, now: datetime
    ) -> bool: ...

    def requeue_orphan(
        self,
        run_id: str,
        claimed_by: str | None,
        *,
        error: str,
        retry_at: dict[str, datetime | None],
        now: datetime,
    ) -> bool: ...


class Outbox(Protocol):
    """Notifications: queued by the status changes above, delivered by ``notify.delivery``."""

    def due_notifications(
        self, now: datetime, *, run_ids: Sequence[str] | None = None, limit: int = 20
    ) -> list[str]: ...

    def claim_notification(
        self, notification_id: str, instance_id: str, now: datetime, lease: float
    ) -> Notification | None: ...

    def settle_notification(
        self,
        notification_id: str,
        instance_id: str,
        now: datetime,
        *,
        sent: bool,
        error: str | None = None,
        response: str | None = None,
        retry_at: datetime | None = None,
    ) -> None: ...

    def notifications(
        self, *, run_ids: Sequence[str] | None = None, pipeline: str | None = None
    ) -> list[Notification]: ...


class Retention(Protocol):
    """Pins, and deleting the runs retention lets go (``retention.py``)."""

    def set_pinned(self, run_id: str, pinned: bool) -> None: ...

    def expired_runs(
        self,
        pipeline: str,
        now: datetime,
        *,
        keep_last: int | None = None,
        max_age: float | None = None,
        limit: int = 500,
    ) -> list[tuple[str, str]]: ...

    def delete_runs(self, run_ids: Sequence[str]) -> list[str]: ...

    def pruned_folders(self, pipeline: str, *, limit: int = 500) -> list[tuple[str, str]]: ...

    def forget_pruned(self, run_ids: Sequence[str]) -> None: ...


class ActivityLog(Protocol):
    """The activity log: appended to, read newest first, removed only by age."""

    def add_activity(self, entry: ActivityEntry) -> None: ...

    def activity(
        self,
        *,
        pipeline: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[ActivityEntry]: ...

    def prune_activity(self, older_than: datetime) -> int: ...


class VersionStore(PipelineCatalog, ActivityLog, Protocol):
    """What recording versions needs: the catalog, and the activity log it notes them in."""


class LeaderStore(ScheduleState, RunQueue, ActivityLog, Protocol):
    """What the scheduler's leader needs: schedule state, and queueing the runs it fires."""


class ReaperStore(Recovery, Instances, RunRecords, PipelineCatalog, Protocol):
    """What the reaper needs: orphaned runs, instances to prune, runs and their versions."""


class StoreProtocol(
    RunRecords,
    RunQueries,
    RunQueue,
    Requests,
    Backfills,
    PipelineCatalog,
    ScheduleState,
    Instances,
    Leases,
    Admission,
    Recovery,
    Outbox,
    Retention,
    ActivityLog,
    Protocol,
):
    """The whole store."""
