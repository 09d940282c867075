"""What the scheduler holding the leader lease does on each tick: fire the schedule slots that
are due, and the event triggers whose watched thing changed.

Blocking code (store, files, other databases): the scheduler calls it in a thread. Exactly
once holds even if two processes ran this at the same moment: a slot's tick is unique per
pipeline, and an event's runs are stored with the trigger's new state in one transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jupyter_orch.activity import note
from jupyter_orch.connections import Connections
from jupyter_orch.errors import NotFoundError, OrchError
from jupyter_orch.masking import masked_logger
from jupyter_orch.records import Trigger
from jupyter_orch.run_folders import RunsDir
from jupyter_orch.scheduling.events import SqlWatcher, scan_files, sql_changed
from jupyter_orch.scheduling.misfire import plan_slots
from jupyter_orch.scheduling.schedules import CronSchedule
from jupyter_orch.spec import Overlap, PipelineSpec, SqlTrigger
from jupyter_orch.store.base import LeaderStore, VersionStore
from jupyter_orch.store.types import NewRun, OverlapSkipped, PipelineState, SlotTaken
from jupyter_orch.versions.fired import SCHEDULER, record_fired

log = masked_logger("jupyter_orch.scheduling.scheduler")


def new_run(
    state: PipelineState, spec: PipelineSpec, runs_dir: RunsDir, trigger: Trigger, **extra: Any
) -> NewRun:
    return NewRun(
        pipeline=spec.name,
        version=state.version,
        trigger=trigger,
        parameters=dict(spec.parameters),
        steps=tuple((s.name, s.needs) for s in spec.steps),
        runs_dir=str(runs_dir),
        **extra,
    )


def overlap_limit(spec: PipelineSpec) -> int | None:
    """The limit a new run is refused at, when the pipeline's overlap policy is ``skip``."""
    limits = spec.limits
    return limits.max_concurrent_runs if limits.overlap is Overlap.SKIP else None


#: Seconds between two reads of every pipeline when the activity log shows no change (a change
#: whose entry could not be written is seen then).
FULL_SCAN_INTERVAL = 300.0
#: When a pipeline whose firing failed is tried again.
RETRY_AFTER = timedelta(seconds=1)


@dataclass
class Leader:
    """Fires schedules and events for every applied, unpaused pipeline.

    Every pipeline is read and looked at only when one may have changed (a new entry of the
    activity log that is not about a run) and every ``full_scan_interval`` seconds; in
    between, a round reads only the pipelines whose next slot is due (a heap of next slots)
    and those watching events. Reading and validating 10,000 definitions every second took
    more than a core.
    """

    store: LeaderStore
    runs_dir: RunsDir
    default_timezone: str = "UTC"
    #: Seconds between scans of watched files (SQL triggers have their own ``every``).
    file_interval: float = 2.0
    monotonic: Callable[[], float] = time.monotonic
    #: Where a firing records the files on disk as a version first (None: it runs the latest
    #: recorded version as it is); ``root``: the folder those files must lie in.
    catalog: VersionStore | None = None
    root: Path | None = None
    full_scan_interval: float = FULL_SCAN_INTERVAL
    _sql: SqlWatcher = field(default_factory=SqlWatcher)
    _last_poll: dict[str, float] = field(default_factory=dict)
    #: (next slot, pipeline) of every scheduled pipeline seen; the pipelines watching events.
    _slots: list[tuple[datetime, str]] = field(default_factory=list)
    _watching: set[str] = field(default_factory=set)
    #: Each pipeline's definition as last validated, with its model and schedule.
    _parsed: dict[str, tuple[Any, PipelineSpec, CronSchedule | None]] = field(default_factory=dict)
    _newest_activity: int | None = None
    _scanned_at: float | None = None

    def tick(self, now: datetime) -> list[str]:
        """One round; returns the ids of the runs it queued."""
        if self._changed():
            self._slots, self._watching = [], set()
            self._scanned_at = self.monotonic()
            states = self.store.pipeline_states(active_only=True, history=False)
            self._parsed = {s.name: self._parsed[s.name] for s in states if s.name in self._parsed}
            return [run for state in states for run in self._fire(state, now)]
        due = set(self._watching)
        while self._slots and self._slots[0][0] <= now:
            due.add(heapq.heappop(self._slots)[1])
        queued: list[str] = []
        for name in sorted(due):
            try:  # read again: it may have been paused or fired by another leader since
                state = self.store.pipeline_state(name)
            except NotFoundError:
                continue
            if state.active and not state.paused and not state.archived:
                queued += self._fire(state, now)
        return queued

    def next_due(self) -> datetime | None:
        """The earliest next slot known, so that a round can start right then."""
        return self._slots[0][0] if self._slots else None

    def _fire(self, state: PipelineState, now: datetime) -> list[str]:
        # One pipeline's trouble (a database it watches is down) never stops the others.
        try:
            spec, cron = self._spec(state)
            if spec.on.polled:
                self._watching.add(spec.name)
            slot = state.next_run_at
            if cron is not None and state.schedule_key == cron.key and slot and slot > now:
                self._expect(spec.name, slot)  # not due: nothing to plan, nothing to write
                return self.fire_events(state, spec, now)
            return self.fire_schedule(state, spec, now) + self.fire_events(state, spec, now)
        except OrchError as exc:
            log.warning("%s: %s", state.name, exc)
        except Exception:
            log.exception("%s: firing failed", state.name)
        self._expect(state.name, now + RETRY_AFTER)  # tried again next round, as before
        return []

    def _spec(self, state: PipelineState) -> tuple[PipelineSpec, CronSchedule | None]:
        known = self._parsed.get(state.name)
        if known is not None and known[0] == state.definition:
            return known[1], known[2]
        spec = PipelineSpec.from_stored(state.definition)
        cron = spec.schedule.cron_schedule(self.default_timezone) if spec.schedule else None
        self._parsed[state.name] = (state.definition, spec, cron)
        return spec, cron

    def _expect(self, name: str, slot: datetime | None) -> None:
        if slot is not None:
            heapq.heappush(self._slots, (slot, name))

    def _changed(self) -> bool:
        """Whether every pipeline must be read again: first, every ``full_scan_interval``,
        or when the activity log has entries not about a run (apply, pause, edit, delete...)."""
        entries = self.store.activity(limit=1)
        newest = entries[0].id if entries else None
        seen, self._newest_activity = self._newest_activity, newest
        if (
            self._scanned_at is None
            or self.monotonic() - self._scanned_at >= self.full_scan_interval
        ):
            return True
        if newest == seen:
            return False
        recent = self.store.activity(limit=50)
        fresh = [e for e in recent if seen is None or (e.id or 0) > seen]
        return len(fresh) == len(recent) or any(e.run_id is None for e in fresh)

    def close(self) -> None:
        self._sql.close()

    def use_connections(self, connections: Connections) -> None:
        """The named connections SQL triggers may name (by default, the variables alone)."""
        self._sql.connections = connections

    def recorded(self, state: PipelineState) -> tuple[PipelineState, PipelineSpec]:
        """The pipeline as a run fired now runs it: the files on disk recorded as a version
        (when any changed since the latest one), or the latest recorded version when they
        cannot be (``versions/fired.py``)."""
        version = None
        if self.catalog is not None:
            version = record_fired(
                self.catalog,
                state.name,
                state.path,
                SCHEDULER,
                root=self.root,
                connections=self._sql.connections,
            )
        if version is not None and version.version != state.version:
            state = dataclasses.replace(
                state, version=version.version, definition=version.definition
            )
        return state, PipelineSpec.from_stored(state.definition)

    # --- schedules ------------------------------------------------------------------------------

    def fire_schedule(self, state: PipelineState, spec: PipelineSpec, now: datetime) -> list[str]:
        if spec.schedule is None:
            if state.next_run_at is not None:
                self.store.set_next_run(spec.name, None, None)
            return []
        cron = spec.schedule.cron_schedule(self.default_timezone)
        stored = state.next_run_at if state.schedule_key == cron.key else None
        plan = plan_slots(cron, spec.schedule, stored, now)
        missed = list(plan.missed)
        queued: list[str] = []
        # The slots are the applied schedule's; the runs run the files as they are now
        current, runs = self.recorded(state) if plan.run else (state, spec)
        for slot in plan.run:
            request = new_run(current, runs, self.runs_dir, Trigger.SCHEDULE, scheduled_for=slot)
            try:
                run = self.store.queue_run(
                    request, overlap_limit=overlap_limit(runs), tick_slot=slot
                )
            except SlotTaken:
                continue
            except OverlapSkipped as exc:
                missed.append((slot, str(exc)))
                continue
            log.info(
                "fired %s for %s (schedule %s): run %s",
                spec.name,
                slot.astimezone(ZoneInfo(cron.timezone)).isoformat(),
                cron.describe(),
                run.id,
            )
            queued.append(run.id)
            note(self.store, "run", pipeline=spec.name, run_id=run.id, trigger="schedule")
        if self.store.record_missed(spec.name, missed):
            for slot, reason in missed:
                log.info("missed %s slot %s: %s", spec.name, slot.isoformat(), reason)
        if plan.next_run_at != state.next_run_at or state.schedule_key != cron.key:
            self.store.set_next_run(spec.name, plan.next_run_at, cron.key)
        self._expect(spec.name, plan.next_run_at)
        return queued

    # --- events -----------------------------------------------------------------------------------

    def fire_events(self, state: PipelineState, spec: PipelineSpec, now: datetime) -> list[str]:
        on = spec.on
        if not on.polled:  # nothing to watch; a webhook is pushed to the server
            return []
        states = self.store.event_states(spec.name)
        queued: list[str] = []
        for status, watched in (
            ("succeeded", on.pipeline_succeeded),
            ("failed", on.pipeline_failed),
        ):
            for other in watched:
                queued += self._pipeline_finished(state, spec, states, other, status, now)
        if on.file and self._due("file:" + spec.name, self.file_interval):
            queued += self._files(state, spec, states)
        for sql in on.sql:
            queued += self._sql_changed(state, spec, states, sql)
        return queued

    def _due(self, key: str, every: float) -> bool:
        last = self._last_poll.get(key)
        if last is not None and self.monotonic() - last < every:
            return False
        self._last_poll[key] = self.monotonic()
        return True

    def _store_event_runs(
        self,
        state: PipelineState,
        spec: PipelineSpec,
        key: str,
        new_state: dict[str, Any],
        events: list[dict[str, Any]],
    ) -> list[str]:
        if events:
            state, spec = self.recorded(state)
        requests = [new_run(state, spec, self.runs_dir, Trigger.EVENT, event=e) for e in events]
        created, skipped = self.store.create_event_runs(
            requests,
            event_key=(spec.name, key),
            state=new_state,
            overlap_limit=overlap_limit(spec),
        )
        if created:
            log.info("fired %s on %s: runs %s", spec.name, events, ", ".join(created))
        for run_id in created:
            note(self.store, "run", pipeline=spec.name, run_id=run_id, trigger="event")
        for reason in skipped:
            log.info("event run of %s not created: %s", spec.name, reason)
        return created

    def _pipeline_finished(
        self,
        state: PipelineState,
        spec: PipelineSpec,
        states: dict[str, dict[str, Any]],
        other: str,
        status: str,
        now: datetime,
    ) -> list[str]:
        key = f"pipeline_{status}:{other}"
        seen = states.get(key)
        if seen is None:  # the baseline: runs that ended before the trigger was applied don't count
            return self._store_event_runs(
                state, spec, key, {"ended_at": now.isoformat(), "run_id": ""}, []
            )
        after = (datetime.fromisoformat(seen["ended_at"]), seen["run_id"])
        finished = self.store.finished_runs(other, status, after)
        if not finished:
            return []
        last = finished[-1]
        events = [{f"pipeline_{status}": other, "run_id": f.run_id} for f in finished]
        watermark = {"ended_at": last.ended_at.isoformat(), "run_id": last.run_id}
        return self._store_event_runs(state, spec, key, watermark, events)

    def _files(
        self, state: PipelineState, spec: PipelineSpec, states: dict[str, dict[str, Any]]
    ) -> list[str]:
        key = "file:" + "|".join(spec.on.file)
        base = Path(state.path).parent
        changes, files = scan_files(base, spec.on.file, states.get(key, {}).get("files"))
        if key in states and not changes and files == states[key].get("files"):
            return []
        events = [{"file": c.path, "change": c.kind} for c in changes]
        return self._store_event_runs(state, spec, key, {"files": files}, events)

    def _sql_changed(
        self,
        state: PipelineState,
        spec: PipelineSpec,
        states: dict[str, dict[str, Any]],
        sql: SqlTrigger,
    ) -> list[str]:
        digest = hashlib.sha256(f"{sql.connection}\n{sql.query}".encode()).hexdigest()[:16]
        key = f"sql:{digest}"
        if not self._due(f"{spec.name}:{key}", sql.every):
            return []
        value = self._sql.poll(sql.connection, sql.query)
        changed, new_state = sql_changed(states.get(key), value)
        if key in states and not changed:
            return []
        events = [{"sql": sql.query[:200], "value": value}] if changed else []
        return self._store_event_runs(state, spec, key, new_state, events)
