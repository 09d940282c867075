"""Tables. Only fields we query become indexed columns; the rest is JSON."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class PipelineRow(Base):
    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(Text)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Applied: its schedule and triggers fire (``jupyter orch apply``); a plain ``run`` is not.
    active: Mapped[bool] = mapped_column(Boolean, server_default=false())
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Archived: does not fire, and listings hide it (its runs stay until retention).
    archived: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Runs made so far: the next run's number is one more (``daily-sales-report #42``).
    runs_made: Mapped[int] = mapped_column(Integer, server_default="0")
    #: The next slot of the schedule, and the schedule it was computed from (cron|zone).
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    schedule_key: Mapped[str | None] = mapped_column(String(300), nullable=True)


class PipelineVersionRow(Base):
    __tablename__ = "pipeline_versions"
    __table_args__ = (UniqueConstraint("pipeline_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Who recorded it (the Jupyter user, the CLI's OS user, ``scheduler``, ``webhook:<id>``).
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: What changed against the version before, in words.
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)


class BlobRow(Base):
    """One distinct file content, stored once whichever versions name it (zlib-compressed)."""

    __tablename__ = "blobs"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class VersionFileRow(Base):
    """A file a version's steps name: its path as the pipeline names it, and its content."""

    __tablename__ = "pipeline_version_files"
    __table_args__ = (Index("ix_pipeline_version_files_version", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("pipeline_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(ForeignKey("blobs.digest"))


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_pipeline_created", "pipeline_id", "created_at"),
        # The runs page filtered by status or pipeline, newest (largest id) first: ending in
        # the id, the index gives the page's rows in its order, and the page stops at its limit
        # whatever the history (migration 0018).
        Index("ix_runs_status_newest", "status", "id"),
        Index("ix_runs_pipeline_newest", "pipeline_id", "id"),
        Index("ix_runs_created", "created_at"),
        # A unique index, not a constraint: SQLite adds it without rebuilding the table. NULL
        # keys (runs without an Idempotency-Key) never collide.
        Index("uq_runs_pipeline_idempotency_key", "pipeline_id", "idempotency_key", unique=True),
        Index("ix_runs_pipeline_number", "pipeline_id", "number"),
        Index("ix_runs_backfill", "backfill_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_dir: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    rerun_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: A rerun that replays its run's own version (``rerun --exact``).
    exact: Mapped[bool] = mapped_column(Boolean, server_default=false())
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: What fired an `event` run (the pipeline run, file or value), as JSON.
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: The instance (scheduler, server or CLI process) executing the run.
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: The ``Idempotency-Key`` of the request that created the run, and its body's sha256.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Kept whatever retention says.
    pinned: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Its number among the pipeline's runs, from 1 (None: made before numbers, never here).
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The backfill that queued it (``backfills.id``; kept when the backfill row goes).
    backfill_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class BackfillRow(Base):
    """A backfill: one run per slot of a pipeline's schedule in a range, queued a few at a
    time (``cursor`` of ``slots`` so far), as the runs before them end."""

    __tablename__ = "backfills"
    __table_args__ = (Index("ix_backfills_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    #: ``running`` until its last run ends, then ``succeeded``, ``failed`` or ``cancelled``.
    status: Mapped[str] = mapped_column(String(20))
    #: The bounds as given (``2024-03-01``), the zone they are read in, the instants they name.
    range_from: Mapped[str] = mapped_column(String(64))
    range_to: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The slots it runs, oldest first (ISO 8601, UTC), and how many of them are queued.
    slots: Mapped[list[Any]] = mapped_column(JSON)
    cursor: Mapped[int] = mapped_column(Integer, server_default="0")
    #: Slots left out because a run already succeeded for them.
    skipped: Mapped[int] = mapped_column(Integer, server_default="0")
    max_parallel: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    rerun_succeeded: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Its runs retention deleted, by status (``{"failed": 1}``): they still count.
    pruned: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)


class StepRunRow(Base):
    __tablename__ = "step_runs"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    needs: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    reused_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: When a `retrying` step makes its next attempt (kept so a restart neither adds nor loses one).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: A person's request to end a retry's wait: ``retry`` (now) or ``fail`` (give up).
    wake: Mapped[str | None] = mapped_column(String(10), nullable=True)
    #: While a notebook step runs: the cell (k of n), its first line, when it began.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: An item of a for-each step (``report[0]``): that step, the item's index and value.
    parent: Mapped[str | None] = mapped_column(String(200), nullable=True)
    item_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    item: Mapped[Any] = mapped_column(JSON, nullable=True)


class StepAttemptRow(Base):
    __tablename__ = "step_attempts"
    __table_args__ = (UniqueConstraint("step_run_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_run_id: Mapped[int] = mapped_column(ForeignKey("step_runs.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output_notebook: Mapped[str | None] = mapped_column(Text, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: {"host", "worker", "kernel_group"}: what the reaper kills if the attempt is orphaned.
    processes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: {"peak_memory_bytes", "cpu_seconds"} of its process tree.
    resources: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: [{"path", "size", "modified_at", ...}]: the files it wrote (records.AttemptRecord).
    artifacts: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    #: The datasets it read and wrote: ``{"inputs": [...], "outputs": [...]}``.
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class LogLineRow(Base):
    __tablename__ = "log_lines"
    __table_args__ = (Index("ix_log_lines_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[str | None] = mapped_column(String(200), nullable=True)
    stream: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)


class ScheduleTickRow(Base):
    """One slot of a schedule: `fired` (with its run) or `missed` (with the reason)."""

    __tablename__ = "schedule_ticks"
    __table_args__ = (UniqueConstraint("pipeline_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrunedFolderRow(Base):
    """A run folder whose run retention deleted: written with the deletion, removed once the
    folder is gone. A prune killed in between leaves it for the next prune to finish."""

    __tablename__ = "pruned_folders"

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(200), index=True)
    run_dir: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InstanceRow(Base):
    """A process that executes runs (scheduler, server or CLI), with its heartbeat."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LeaseRow(Base):
    """A named lease (the scheduler leader's) and the row admission locks on PostgreSQL."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EventStateRow(Base):
    """What an event source saw last (file signatures, a query's value, a watermark)."""

    __tablename__ = "event_states"
    __table_args__ = (UniqueConstraint("pipeline_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDeliveryRow(Base):
    """A webhook delivery id a pipeline accepted, with the run it created (replays return it)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "delivery_id"),
        UniqueConstraint("pipeline_id", "signed_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    #: sha256 of the delivery's run request: the same id with another body is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    #: sha256 of the delivery's signature: a signed request resent under a new delivery id is
    #: a replay as well.
    signed_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRow(Base):
    """The outbox: one message to one channel, written in the transaction of the status change
    that causes it, sent by whichever process claims it first (``key`` keeps it unique)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_run", "run_id"),
    )

    #: The delivery id: a resend after a crash carries the same one.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: run id (or ``slot:<iso>`` for a missed slot), step, event and channel.
    key: Mapped[str] = mapped_column(String(400), unique=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=True
    )
    step: Mapped[str | None] = mapped_column(String(200), nullable=True)
    event: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(100))
    #: {"to": [...], "slot": ..., "reason": ...}: what the message needs beyond the run.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The process sending it, and until when its claim holds (then another may resend).
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What the channel answered (a status code, a message id), masked.
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ActivityRow(Base):
    """What someone or something did, append-only; removed only by its own age setting
    (``activity_max_age``). No foreign keys: an entry outlives the pipeline or run it names."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_at", "at"),
        Index("ix_activity_pipeline", "pipeline", "id"),
        Index("ix_activity_actor", "actor", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Who: the identities versions record (a Jupyter user, ``token:<8 hex>``, the OS user of
    #: the CLI, ``scheduler``, ``webhook:<delivery id>``); None when it cannot be told.
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: From where: ``cli``, ``api`` (REST), ``lab`` (the JupyterLab extension), ``scheduler``,
    #: ``webhook``; and the client's address for the REST API.
    origin: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(100), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    pipeline: Mapped[str | None] = mapped_column(String(200), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: What else says what happened (a version number, a parameter set, a count), masked.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
