"""The activity log: every change and every action, with who, when, what and from where.

Who is an ``Actor`` set for the work it does (``acting``): the REST handlers set the request's
user (the identities versions record) with origin ``api`` (``lab`` for the JupyterLab extension,
which says so in a header) and the client's address; the CLI sets its OS user (``cli``); the
scheduler ``scheduler``; a webhook delivery ``webhook:<delivery id>``. ``note`` records one
entry with the actor of the moment, its detail masked. An entry that cannot be written is a
warning in the log: the action it describes has happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .durations import parse_duration
from .errors import UserError
from .masking import mask_json, masked_logger
from .store.base import ActivityLog
from .store.types import ActivityEntry, utcnow

log = masked_logger("jupyter_orch.activity")

#: How long entries are kept by default: a year (``c.OrchApp.activity_max_age``).
ACTIVITY_MAX_AGE = 365 * 86400.0

#: The actions an entry may name.
ACTIONS = (
    "register",
    "edit",
    "apply",
    "pause",
    "resume",
    "archive",
    "unarchive",
    "delete",
    "rollback",
    "run",
    "rerun",
    "replay",
    "cancel",
    "retry_now",
    "fail_now",
    "pin",
    "unpin",
    "prune",
    "channel_test",
    "webhook",
)


@dataclass(frozen=True)
class Actor:
    who: str | None
    #: ``cli``, ``api``, ``lab``, ``scheduler`` or ``webhook``.
    origin: str
    address: str | None = None


SCHEDULER = Actor("scheduler", "scheduler")
_ACTOR: ContextVar[Actor | None] = ContextVar("jupyter_orch_actor", default=None)


@contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    """Record what happens inside as done by ``actor`` (threads started with
    ``asyncio.to_thread`` or ``contextvars.copy_context`` see it too)."""
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def act_as(actor: Actor) -> None:
    """What the current task does from now on, and what it starts, is ``actor``'s (a
    long-lived task of its own: the scheduler's rounds)."""
    _ACTOR.set(actor)


def current_actor() -> Actor | None:
    return _ACTOR.get()


def note(
    store: ActivityLog,
    action: str,
    *,
    pipeline: str | None = None,
    run_id: str | None = None,
    **detail: Any,
) -> None:
    """Record ``action`` by the actor of the moment (unknown: ``origin`` ``unknown``)."""
    actor = _ACTOR.get() or Actor(None, "unknown")
    entry = ActivityEntry(
        at=utcnow(),
        actor=actor.who,
        origin=actor.origin,
        action=action,
        pipeline=pipeline,
        run_id=run_id,
        detail=mask_json({k: v for k, v in detail.items() if v is not None}),
        address=actor.address,
    )
    try:
        store.add_activity(entry)
    except Exception as exc:
        log.warning("activity %s of %s not recorded: %s", action, pipeline or run_id, exc)


#: The most entries one page holds.
MAX_PAGE = 500


def since_moment(text: str | None, now: datetime) -> datetime | None:
    """``since`` as a moment: a duration back from ``now`` (``7d``, ``12h``) or an ISO 8601
    time (UTC when it names no zone); ``UserError`` naming the field otherwise."""
    if not text:
        return None
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"since: {text[:40]!r} is neither a duration (7d, 12h) nor an ISO 8601 time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def activity_page(
    store: ActivityLog,
    *,
    pipeline: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """``{"entries": [...], "next_cursor"}``: entries newest first; the cursor of the next
    (older) page, None on the last."""
    if cursor is not None and not (cursor.isdigit() and len(cursor) <= 18):
        raise UserError("cursor: give the next_cursor of the previous page")
    limit = max(1, min(limit, MAX_PAGE))
    entries = store.activity(
        pipeline=pipeline,
        actor=actor,
        since=since_moment(since, utcnow()),
        limit=limit + 1,
        before=int(cursor) if cursor else None,
    )
    more = len(entries) > limit
    entries = entries[:limit]
    return {
        "entries": [entry.to_dict() for entry in entries],
        "next_cursor": str(entries[-1].id) if more and entries else None,
    }
