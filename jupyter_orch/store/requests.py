"""Requests that create one run however often they arrive, and however many arrive at once: an
API request's ``Idempotency-Key`` and a webhook's delivery id (or its signature).

The first request under a key creates the run; a later one with the same body gets that run
back; one with another body is a ``ConflictError``. On SQLite write transactions run one at a
time (``BEGIN IMMEDIATE``); on PostgreSQL the pipeline's row is locked before the key is looked
up. Either way the unique index is the last word: a request that loses a race on it reads the
winner's run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import ConflictError, NotFoundError
from ..records import RunRecord
from .run_rows import insert_run
from .runs import RunsMixin
from .tables import PipelineRow, RunRow, WebhookDeliveryRow
from .types import KeyedRun, NewRun, RequestKey, RequestKind


class RequestsMixin(RunsMixin):
    """Mixed into ``Store``."""

    def keyed_run(self, pipeline: str, key: RequestKey) -> RunRecord | None:
        """The run a request under ``key`` created, or None if none did yet.

        Raises ``ConflictError`` if that request asked for something else.
        """
        with self._reads() as session:
            pipeline_id = session.scalar(select(PipelineRow.id).where(PipelineRow.name == pipeline))
            run_id = None if pipeline_id is None else _seen(session, pipeline_id, key)
        return None if run_id is None else self.get_run(run_id)

    def queue_keyed_run(
        self, new: NewRun, key: RequestKey, *, overlap_limit: int | None = None
    ) -> KeyedRun:
        """Store a queued run for a request, unless a request under ``key`` did: then its run.

        Raises ``ConflictError`` if the key was used for another request, and what
        ``queue_run`` raises.
        """
        if key.kind is RequestKind.IDEMPOTENCY:
            new = replace(new, idempotency_key=key.value, request_hash=key.request_hash)
        try:
            with self._sessions.begin() as session:
                pipeline_id = session.scalar(
                    select(PipelineRow.id).where(PipelineRow.name == new.pipeline).with_for_update()
                )
                if pipeline_id is None:
                    raise NotFoundError(f"no pipeline named {new.pipeline!r}")
                seen = _seen(session, pipeline_id, key)
                if seen is None:
                    run_id = insert_run(session, new, overlap_limit=overlap_limit)
                    if key.kind is RequestKind.DELIVERY:
                        session.add(
                            WebhookDeliveryRow(
                                pipeline_id=pipeline_id,
                                delivery_id=key.value,
                                run_id=run_id,
                                request_hash=key.request_hash,
                                signed_hash=key.signed_hash,
                                received_at=datetime.now(timezone.utc),
                            )
                        )
                    session.flush()
        except IntegrityError:
            # Lost a race on the unique index (the lock above makes this rare): the winner's run.
            existing = self.keyed_run(new.pipeline, key)
            if existing is None:
                raise
            return KeyedRun(existing, created=False)
        # Read after the commit: on SQLite a second transaction inside the first would wait on it.
        if seen is not None:
            return KeyedRun(self.get_run(seen), created=False)
        return KeyedRun(self.get_run(run_id), created=True)


def _seen(session: Session, pipeline_id: int, key: RequestKey) -> str | None:
    """The run id stored under the key; ``ConflictError`` if it was for another request."""
    if key.kind is RequestKind.IDEMPOTENCY:
        found = session.execute(
            select(RunRow.id, RunRow.request_hash).where(
                RunRow.pipeline_id == pipeline_id, RunRow.idempotency_key == key.value
            )
        ).first()
        what = f"Idempotency-Key {key.value!r} was sent before with another request"
    else:
        found = session.execute(
            select(WebhookDeliveryRow.run_id, WebhookDeliveryRow.request_hash).where(
                WebhookDeliveryRow.pipeline_id == pipeline_id,
                WebhookDeliveryRow.delivery_id == key.value,
            )
        ).first()
        if found is None and key.signed_hash is not None:
            resent = session.scalar(
                select(WebhookDeliveryRow.run_id).where(
                    WebhookDeliveryRow.pipeline_id == pipeline_id,
                    WebhookDeliveryRow.signed_hash == key.signed_hash,
                )
            )
            return None if resent is None else str(resent)
        what = f"delivery {key.value!r} was received before with other parameters"
    if found is None:
        return None
    run_id, stored_hash = found
    if stored_hash != key.request_hash:
        raise ConflictError(f"{what} (run {run_id}); use a new key for a new request")
    return str(run_id)
