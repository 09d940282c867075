"""The notification outbox: rows written in the transaction of the status change that causes
them, claimed and settled by whichever process delivers (``notify.delivery``).

Which notifications a change makes is read from the run's own version (its ``notify:``), so a
run alerts as the pipeline said when it started. A row's key (run or slot, step, event,
channel) is unique: a failure after retries alerts once, and a status change recorded twice
(two schedulers, a reaper racing a coordinator) never queues a message twice.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..masking import masked_logger
from ..records import FAILED_RUN_STATUSES, RunStatus, StepStatus, Trigger
from .sessions import StoreSessions, of_trigger
from .tables import NotificationRow, PipelineRow, PipelineVersionRow, RunRow, StepRunRow
from .types import Notification

#: A notification's statuses (DESIGN's words). One being sent is ``pending`` with a claim
#: (``claimed_by``, ``claimed_until``): when the claim runs out, another process resends it.
PENDING, SENT, FAILED = "pending", "sent", "failed"
_FAILED_RUN = [status.value for status in FAILED_RUN_STATUSES]
_STEP_EVENTS = {
    StepStatus.FAILED.value: "failure",
    StepStatus.TIMED_OUT.value: "failure",
    StepStatus.SUCCEEDED.value: "success",
}


log = masked_logger("jupyter_orch.store.outbox")
F = TypeVar("F", bound=Callable[..., None])


def targets_of(notify: Any, event: str, *, step: bool = False) -> list[dict[str, Any]]:
    """``spec_notify.targets_of``, imported when a run ends: reading runs needs no pydantic."""
    from ..spec_notify import targets_of as read

    return read(notify, event, step=step)


def _never_fails(queue: F) -> F:
    """Queue in a savepoint of the caller's transaction; a fault of ours here (a definition we
    cannot read, a row the database refuses) is logged and the status change it rides on is
    recorded all the same: a notification never changes a run's outcome."""

    @functools.wraps(queue)
    def guarded(session: Session, *args: Any) -> None:
        try:
            with session.begin_nested():
                queue(session, *args)
        except Exception:
            log.exception("queueing notifications (%s) failed", queue.__name__)

    return cast(F, guarded)


def _definition(session: Session, pipeline_id: int, version: int | None) -> dict[str, Any]:
    query = select(PipelineVersionRow.definition).where(
        PipelineVersionRow.pipeline_id == pipeline_id
    )
    if version is None:
        query = query.join(
            PipelineRow,
            and_(
                PipelineRow.id == PipelineVersionRow.pipeline_id,
                PipelineRow.latest_version == PipelineVersionRow.version,
            ),
        )
    else:
        query = query.where(PipelineVersionRow.version == version)
    found = session.scalar(query)
    return found if isinstance(found, dict) else {}


def _queue(
    session: Session,
    pipeline_id: int,
    origin: str,
    wanted: Iterable[tuple[str | None, str, dict[str, Any]]],
    now: datetime,
    *,
    run_id: str | None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Insert one row per (step, event, target) not queued before; how many were new. A test
    run (``jupyter orch test``) notifies nobody."""
    if (
        run_id is not None
        and session.scalar(select(RunRow.trigger).where(RunRow.id == run_id)) == Trigger.TEST.value
    ):
        return 0
    rows: dict[str, tuple[str | None, str, dict[str, Any]]] = {}
    for step, event, target in wanted:
        key = f"{origin}|{step or ''}|{event}|{target['channel']}"
        rows.setdefault(key, (step, event, target))
    if not rows:
        return 0
    known = set(
        session.scalars(select(NotificationRow.key).where(NotificationRow.key.in_(list(rows))))
    )
    fresh = [(key, value) for key, value in rows.items() if key not in known]
    session.add_all(
        NotificationRow(
            id=secrets.token_hex(16),
            key=key,
            pipeline_id=pipeline_id,
            run_id=run_id,
            step=step,
            event=event,
            channel=target["channel"],
            detail={"to": target.get("to") or [], **(detail or {})},
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for key, (step, event, target) in fresh
    )
    return len(fresh)


def _previous_failed(session: Session, row: RunRow) -> bool:
    """Whether the run of the same pipeline that finished last before ``row`` failed
    (cancelled runs are left out: nobody alerted for them; so are backfill runs, which
    re-run past slots and say nothing about the pipeline's health now)."""
    previous = session.scalar(
        select(RunRow.status)
        .where(
            RunRow.pipeline_id == row.pipeline_id,
            RunRow.id != row.id,
            of_trigger(None),
            RunRow.trigger != Trigger.BACKFILL.value,
            RunRow.ended_at.is_not(None),
            RunRow.status.in_([*_FAILED_RUN, RunStatus.SUCCEEDED.value]),
        )
        .order_by(RunRow.ended_at.desc(), RunRow.id.desc())
        .limit(1)
    )
    return previous in _FAILED_RUN


@_never_fails
def queue_run_end(session: Session, row: RunRow, now: datetime) -> None:
    """The notifications of a run that just ended (``row.status`` is its final status), and
    of its steps' final outcomes: in the caller's transaction."""
    definition = _definition(session, row.pipeline_id, row.version)
    notify = definition.get("notify")
    events = []
    if row.status in _FAILED_RUN:
        events.append("failure")
    elif row.status == RunStatus.SUCCEEDED.value:
        events.append("success")
        recovery = targets_of(notify, "recovery") and row.trigger != Trigger.BACKFILL.value
        if recovery and _previous_failed(session, row):
            events.append("recovery")
    wanted: list[tuple[str | None, str, dict[str, Any]]] = [
        (None, event, t) for event in events for t in targets_of(notify, event)
    ]
    steps = {s.get("name"): s.get("notify") for s in definition.get("steps") or []}
    if any(steps.values()):
        finals = session.execute(
            select(StepRunRow.name, StepRunRow.status).where(StepRunRow.run_id == row.id)
        ).all()
        wanted += step_targets(steps, finals)
    _queue(session, row.pipeline_id, row.id, wanted, now, run_id=row.id)


@_never_fails
def queue_step_end(session: Session, run_id: str, step: str, status: str, now: datetime) -> None:
    """A step's own ``notify:`` for its final outcome, in the caller's transaction."""
    if status not in _STEP_EVENTS:
        return
    row = session.get(RunRow, run_id)
    if row is None:
        return
    definition = _definition(session, row.pipeline_id, row.version)
    notify_of = {s.get("name"): s.get("notify") for s in definition.get("steps") or []}
    if notify_of.get(step):
        wanted = step_targets(notify_of, [(step, status)])
        _queue(session, row.pipeline_id, run_id, wanted, now, run_id=run_id)


def step_targets(
    notify_of: dict[Any, Any], finals: Iterable[tuple[str, str]]
) -> list[tuple[str | None, str, dict[str, Any]]]:
    wanted: list[tuple[str | None, str, dict[str, Any]]] = []
    for name, status in finals:
        event = _STEP_EVENTS.get(status)
        if event and notify_of.get(name):
            wanted += [(name, event, t) for t in targets_of(notify_of[name], event, step=True)]
    return wanted


@_never_fails
def queue_missed(
    session: Session, pipeline_id: int, missed: Sequence[tuple[datetime, str]], now: datetime
) -> None:
    """``on_missed`` for slots just recorded missed (in ``record_missed``'s transaction)."""
    targets = targets_of(_definition(session, pipeline_id, None).get("notify"), "missed")
    for slot, reason in missed:
        detail = {"slot": slot.isoformat(), "reason": reason}
        wanted = [(None, "missed", t) for t in targets]
        origin = f"slot:{pipeline_id}:{slot.isoformat()}"
        _queue(session, pipeline_id, origin, wanted, now, run_id=None, detail=detail)


def _due(now: datetime) -> Any:
    return and_(
        NotificationRow.status == PENDING,
        NotificationRow.next_attempt_at <= now,
        or_(NotificationRow.claimed_until.is_(None), NotificationRow.claimed_until < now),
    )


def _notification(row: NotificationRow, pipeline: str) -> Notification:
    return Notification(
        id=row.id,
        pipeline=pipeline,
        run_id=row.run_id,
        step=row.step,
        event=row.event,
        channel=row.channel,
        detail=dict(row.detail or {}),
        status=row.status,
        attempts=row.attempts,
        error=row.error,
        response=row.response,
        created_at=row.created_at,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
        claimed_until=row.claimed_until,
    )


class OutboxMixin(StoreSessions):
    """Mixed into ``Store``: the outbox."""

    def queue_long_running(self, run_id: str, now: datetime) -> int:
        """``on_long_running``: once per run, while it still runs."""
        with self._sessions.begin() as session:
            row = session.get(RunRow, run_id, with_for_update=True)
            if row is None or row.status != RunStatus.RUNNING.value:
                return 0
            notify = _definition(session, row.pipeline_id, row.version).get("notify")
            wanted = [(None, "long_running", t) for t in targets_of(notify, "long_running")]
            return _queue(session, row.pipeline_id, run_id, wanted, now, run_id=run_id)

    def due_notifications(
        self, now: datetime, *, run_ids: Sequence[str] | None = None, limit: int = 20
    ) -> list[str]:
        """Ids of notifications to send now: pending and due, unclaimed or claimed by a process
        whose claim ran out (it died while sending)."""
        query = (
            select(NotificationRow.id)
            .where(_due(now))
            .order_by(NotificationRow.next_attempt_at)
            .limit(limit)
        )
        if run_ids is not None:
            query = query.where(NotificationRow.run_id.in_(list(run_ids)))
        with self._reads() as session:
            return list(session.scalars(query))

    def claim_notification(
        self, notification_id: str, instance_id: str, now: datetime, lease: float
    ) -> Notification | None:
        """Take one for sending (counted as an attempt); None when another process has it."""
        with self._sessions.begin() as session:
            claimed = session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == notification_id, _due(now))
                .values(
                    claimed_by=instance_id,
                    claimed_until=now + timedelta(seconds=lease),
                    attempts=NotificationRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            found = session.execute(
                select(NotificationRow, PipelineRow.name)
                .join(PipelineRow, PipelineRow.id == NotificationRow.pipeline_id)
                .where(NotificationRow.id == notification_id)
            ).one()
            return _notification(found[0], found[1])

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
    ) -> None:
        """Record a try: ``sent``; else pending again until ``retry_at``, or ``failed`` when
        there is none (no try left). Only the process holding the claim writes."""
        if sent:
            values: dict[str, Any] = {"status": SENT, "sent_at": now, "error": None}
        elif retry_at is not None:
            values = {"status": PENDING, "next_attempt_at": retry_at, "error": error}
        else:
            values = {"status": FAILED, "error": error}
        with self._sessions.begin() as session:
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == notification_id,
                    NotificationRow.claimed_by == instance_id,
                    NotificationRow.status == PENDING,
                )
                .values(**values, response=response, claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    def notifications(
        self, *, run_ids: Sequence[str] | None = None, pipeline: str | None = None
    ) -> list[Notification]:
        """Notifications of these runs (or of a pipeline's missed slots), oldest first."""
        query = (
            select(NotificationRow, PipelineRow.name)
            .join(PipelineRow, PipelineRow.id == NotificationRow.pipeline_id)
            .order_by(NotificationRow.created_at, NotificationRow.key)
        )
        if run_ids is not None:
            query = query.where(NotificationRow.run_id.in_(list(run_ids)))
        if pipeline is not None:
            query = query.where(PipelineRow.name == pipeline)
        with self._reads() as session:
            return [_notification(row, name) for row, name in session.execute(query)]
