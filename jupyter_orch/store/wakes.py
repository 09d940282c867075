"""Retry now, Fail now: a person ends a retrying step's wait. The request waits in the step's
row until the executor of its run takes it at its next heartbeat."""

from __future__ import annotations

from sqlalchemy import select, update

from ..errors import ConflictError, NotFoundError, UserError
from ..records import StepStatus
from .sessions import StoreSessions
from .tables import RunRow, StepRunRow

#: What a request may ask: the next attempt now, or no more attempts.
WAKES = ("retry", "fail")


class WakesMixin(StoreSessions):
    """Mixed into ``Store``."""

    def request_wake(self, run_id: str, step: str, action: str) -> None:
        """Ask the run's executor to end the step's wait (``action``: retry or fail);
        ``ConflictError`` unless the step is waiting for a retry."""
        if action not in WAKES:
            raise UserError(f"action: {action!r} is not one of {', '.join(WAKES)}")
        with self._sessions.begin() as session:
            row = session.scalar(
                select(StepRunRow)
                .where(StepRunRow.run_id == run_id, StepRunRow.name == step)
                .with_for_update()
            )
            if row is None:
                raise NotFoundError(f"no step {step!r} in run {run_id!r}")
            if row.status != StepStatus.RETRYING.value:
                raise ConflictError(
                    f"step {step!r} is {row.status}, not waiting for a retry; nothing to cut short"
                )
            row.wake = action

    def take_wakes(self, instance_id: str) -> list[tuple[str, str, str]]:
        """(run, step, action) of the requests for runs this instance executes, taken. Asked at
        every heartbeat: a read, and a write only when there is something to take."""
        wanted = (
            select(StepRunRow.id, StepRunRow.run_id, StepRunRow.name, StepRunRow.wake)
            .join(RunRow, RunRow.id == StepRunRow.run_id)
            .where(StepRunRow.wake.is_not(None), RunRow.claimed_by == instance_id)
        )
        with self._reads() as session:
            if session.execute(wanted.limit(1)).first() is None:
                return []
        with self._sessions.begin() as session:
            rows = session.execute(wanted).all()
            if rows:
                session.execute(
                    update(StepRunRow)
                    .where(StepRunRow.id.in_([row.id for row in rows]))
                    .values(wake=None)
                )
        return [(row.run_id, row.name, str(row.wake)) for row in rows]
