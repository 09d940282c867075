"""What crosses the store's interface: the records and requests its methods take and return,
and its two errors. Plain data, importable without SQLAlchemy."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from ..errors import ConflictError, UserError
from ..records import AttemptRecord, RunRecord, Trigger

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_run_id() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class VersionFile:
    """A file a version's steps name: its path as the pipeline names it, its kind (``notebook``,
    ``sql``, ``python``), and the sha256 of its stored content (a notebook without outputs)."""

    path: str
    kind: str
    digest: str


@dataclass(frozen=True)
class CapturedFile:
    """A file read for a new version: what the version lists, and the content to keep."""

    file: VersionFile
    data: bytes


@dataclass(frozen=True)
class PipelineVersion:
    pipeline: str
    version: int
    path: str
    source: str
    definition: dict[str, Any]
    created_at: datetime
    created_by: str | None = None
    summary: str | None = None
    #: Empty for versions recorded before versions kept files (and for pipelines naming none).
    files: tuple[VersionFile, ...] = ()

    @property
    def predates_files(self) -> bool:
        """Recorded before versions kept files: no files and no summary (later ones have one)."""
        return not self.files and self.summary is None


@dataclass(frozen=True)
class LogLine:
    ts: datetime
    step: str | None
    stream: str
    message: str
    #: Its place in the run's log (increasing); None until stored.
    id: int | None = None


@dataclass(frozen=True)
class NewRun:
    """What a trigger asks for: a run of one version with its parameters."""

    pipeline: str
    version: int
    trigger: Trigger
    parameters: dict[str, Any]
    steps: tuple[tuple[str, Sequence[str]], ...]
    runs_dir: str
    rerun_of: str | None = None
    #: A rerun replaying its run's own version (``rerun --exact``).
    exact: bool = False
    run_id: str | None = None
    scheduled_for: datetime | None = None
    event: dict[str, Any] | None = None
    #: The backfill whose slot ``scheduled_for`` is (store/backfills.py).
    backfill_id: str | None = None
    #: Set by ``queue_keyed_run`` for a request with an ``Idempotency-Key`` (store/requests.py).
    idempotency_key: str | None = None
    request_hash: str | None = None
    #: Steps a rerun from the failed step keeps: (step, the run it comes from, its attempt).
    #: Stored succeeded with the run, in its transaction, so no scheduler sees the run
    #: without them and runs them again.
    reused: tuple[tuple[str, str, AttemptRecord], ...] = ()
    #: Items of for-each steps a rerun keeps (step, index, item): their rows, made with the
    #: run so that ``reused`` can hold them.
    items: tuple[tuple[str, int, Any], ...] = ()


class SlotTaken(ConflictError):
    """The schedule slot was fired already (by this or another scheduler)."""


class OverlapSkipped(ConflictError):
    """The pipeline is at its concurrent-run limit and its overlap policy is ``skip``."""


@dataclass(frozen=True)
class Registration:
    version: PipelineVersion
    created: bool  # False when the content matched the latest version


@dataclass(frozen=True)
class Instance:
    """A process that executes runs: ``scheduler``, ``server`` or ``cli``."""

    id: str
    kind: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None = None

    def alive(self, now: datetime, stale_after: float) -> bool:
        """Still beating, as far as the store can tell."""
        return self.stopped_at is None and (now - self.heartbeat_at).total_seconds() <= stale_after


@dataclass(frozen=True)
class PipelineState:
    """A pipeline as listings and the scheduler see it."""

    name: str
    path: str
    version: int
    definition: dict[str, Any]
    active: bool
    paused: bool
    next_run_at: datetime | None
    schedule_key: str | None
    archived: bool = False
    last_status: str | None = None
    last_run_at: datetime | None = None
    missed_ticks: int = 0

    @property
    def fires(self) -> bool:
        """Its schedule and triggers fire: applied, neither paused nor archived."""
        return self.active and not self.paused and not self.archived


@dataclass(frozen=True)
class Tick:
    pipeline: str
    slot: datetime
    status: str  # fired | missed
    run_id: str | None
    reason: str | None


@dataclass(frozen=True)
class RunningRun:
    """A `running` run, with the instance executing it and its running attempts' processes."""

    run_id: str
    pipeline: str
    version: int
    claimed_by: str | None
    instance: Instance | None
    heartbeat_at: datetime | None
    cancel_requested: bool
    processes: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class FinishedRun:
    run_id: str
    pipeline: str
    status: str
    ended_at: datetime


@dataclass(frozen=True)
class VersionInfo:
    version: int
    path: str
    content_hash: str
    created_at: datetime
    created_by: str | None = None
    summary: str | None = None
    files: tuple[VersionFile, ...] = ()


#: Visible ASCII, as UUIDs, ULIDs and the delivery ids of common senders are.
REQUEST_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class RequestKind(str, Enum):
    IDEMPOTENCY = "Idempotency-Key"
    DELIVERY = "X-Orch-Delivery"


def request_hash(request: Any) -> str:
    """sha256 of the request's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RequestKey:
    """What makes a request unique within its pipeline, and the hash of what it asks for."""

    kind: RequestKind
    value: str
    request_hash: str
    #: sha256 of a delivery's signature: the same signed request resent under another
    #: delivery id is a replay too (the signature does not cover the id).
    signed_hash: str | None = None

    def __post_init__(self) -> None:
        if not REQUEST_KEY.match(self.value):
            raise UserError(
                f"{self.kind.value}: give 1 to 200 visible ASCII characters (a UUID, say)"
            )

    @classmethod
    def of(
        cls, kind: RequestKind, value: str, request: Any, *, signed_hash: str | None = None
    ) -> RequestKey:
        return cls(kind, value, request_hash(request), signed_hash)


@dataclass(frozen=True)
class KeyedRun:
    run: RunRecord
    #: False when the key was seen before: ``run`` is the one its first request created.
    created: bool


@dataclass(frozen=True)
class Notification:
    """One message to one channel (the outbox), with how its delivery went."""

    id: str
    pipeline: str
    run_id: str | None
    step: str | None
    event: str
    channel: str
    #: ``to`` (recipients), and ``slot`` and ``reason`` of a missed slot.
    detail: dict[str, Any]
    status: str
    attempts: int
    error: str | None
    response: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None = None
    #: Set while a process sends it (``pending``): until when its claim holds.
    claimed_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "step": self.step,
            "channel": self.channel,
            "to": list(self.detail.get("to") or []),
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "response": self.response,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            **({"slot": self.detail["slot"]} if self.detail.get("slot") else {}),
        }


@dataclass(frozen=True)
class ActivityEntry:
    """One change or action in the activity log (``activity.py`` says what each field holds)."""

    at: datetime
    actor: str | None
    origin: str
    action: str
    pipeline: str | None = None
    run_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    address: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "origin": self.origin,
            "address": self.address,
            "action": self.action,
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "detail": self.detail,
        }
