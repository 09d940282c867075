"""The service layer: what the CLI, the REST handlers (through ``catalog.py``) and the
scheduler call to register pipelines, create runs and execute them. No SQL and no HTTP here;
no I/O of its own beyond the store and the executor."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_orch.inputs.parameters import parameter_problems

from .activity import ACTIVITY_MAX_AGE, note
from .connections import Connections
from .errors import ConflictError, NotFoundError, ParameterError, UserError
from .masking import mask_json
from .notify.delivery import DeliverySettings, Notifier
from .records import RunRecord, Trigger, iso
from .run_folders import RunsDir
from .store.types import KeyedRun, LogLine, NewRun, PipelineVersion, RequestKey, utcnow

if TYPE_CHECKING:  # imported where used: `jupyter orch runs` needs no loader, spec or runner
    from .executors.base import Executor
    from .pipelines.loader import LoadedPipeline
    from .spec import PipelineSpec
    from .spec_retention import RetentionSpec
    from .store.base import StoreProtocol
    from .store.types import PipelineState


def with_profile(
    spec: PipelineSpec, profile: str | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of ``profile`` (one of the pipeline's ``profiles:``), then ``overrides``."""
    if profile is None:
        return dict(overrides)
    if profile not in spec.profiles:
        known = ", ".join(sorted(spec.profiles)) or "none"
        raise ParameterError(
            f"profile: pipeline {spec.name!r} has no profile {profile!r} (profiles: {known})"
        )
    return {**spec.profiles[profile], **overrides}


def resolve_parameters(spec: PipelineSpec, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters: the pipeline's defaults, then the given values."""
    declared = sorted(spec.parameters)
    for name in overrides:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(f"parameter name {name!r} is not a Python identifier")
        if name not in spec.parameters:
            raise ParameterError(
                f"unknown parameter {name!r} for pipeline {spec.name!r} "
                f"(declared: {', '.join(declared) or 'none'}); declare it under `parameters:`"
            )
    resolved = {**spec.parameters, **overrides}
    problems = parameter_problems(resolved)
    if problems:
        raise ParameterError("; ".join(problems))
    return resolved


def loaded_from_version(version: PipelineVersion, root: Path | None = None) -> LoadedPipeline:
    """A stored version as it was registered; notebooks are checked when steps start (inside
    ``root`` when one is given)."""
    from .pipelines.loader import LoadedPipeline
    from .spec import PipelineSpec

    spec = PipelineSpec.from_stored(version.definition)
    return LoadedPipeline(spec=spec, path=Path(version.path), source=version.source, root=root)


class Orchestrator:
    """Registers pipelines, creates runs and executes them.

    ``root``: the folder the runs this process executes may read files in (the server's root
    dir, applied to every run it executes, whoever registered the pipeline); None for the CLI,
    whose files are its user's own.
    """

    def __init__(
        self,
        store: StoreProtocol,
        runs_dir: RunsDir,
        root: Path | None = None,
        connections: Connections | None = None,
        *,
        public_url: str | None = None,
        delivery: DeliverySettings | None = None,
        retention: RetentionSpec | None = None,
        activity_max_age: float | None = ACTIVITY_MAX_AGE,
    ) -> None:
        self.store = store
        self.runs_dir = runs_dir
        self.root = root
        #: The named connections query and export steps use (``c.OrchApp.connections`` and
        #: ``JUPYTER_ORCH_CONN_*``), and the notification channels; by default, the variables.
        self.connections = connections or Connections()
        #: Where notifications link to a run (``c.OrchApp.public_url``), and how they retry.
        self.public_url = public_url
        self.delivery = delivery or DeliverySettings()
        #: The retention of pipelines whose file says nothing (``c.OrchApp.retention``).
        self.retention = retention
        #: How long activity entries are kept, in seconds (``c.OrchApp.activity_max_age``).
        self.activity_max_age = activity_max_age

    def notifier(self, instance_id: str | None = None) -> Notifier:
        """Delivers this store's outbox through the configured channels."""
        return Notifier(
            self.store,
            self.connections.channels,
            self.runs_dir,
            instance_id=instance_id,
            public_url=self.public_url,
            settings=self.delivery,
        )

    def register(
        self, loaded: LoadedPipeline, *, replace: bool = False, created_by: str | None = None
    ) -> PipelineVersion:
        """Record the file and the files its steps name as the pipeline's newest version (if
        any of them changed); ``created_by``: who records it (``versions`` in the README).

        A name registered from another file is refused unless ``replace``, or unless that
        file no longer exists (a moved or deleted checkout cannot hold on to the name).
        """
        from .versions.record import record_version

        if not replace:
            try:
                current = self.store.get_version(loaded.spec.name)
            except NotFoundError:
                pass
            else:
                replace = current.path != str(loaded.path) and not Path(current.path).exists()
        return record_version(self.store, loaded, replace=replace, created_by=created_by).version

    def create_run(
        self,
        loaded: LoadedPipeline,
        version: int,
        *,
        parameters: Mapping[str, Any] | None = None,
        trigger: Trigger = Trigger.MANUAL,
    ) -> RunRecord:
        run = self.store.create_run(
            pipeline=loaded.spec.name,
            version=version,
            trigger=trigger,
            parameters=resolve_parameters(loaded.spec, parameters or {}),
            steps=[(s.name, s.needs) for s in loaded.spec.steps],
            runs_dir=str(self.runs_dir),
        )
        note(self.store, "run", pipeline=run.pipeline, run_id=run.id, trigger=trigger.value)
        return run

    def create_rerun(
        self,
        run_id: str,
        *,
        from_failed: bool,
        exact: bool = False,
        created_by: str | None = None,
    ) -> tuple[LoadedPipeline, RunRecord]:
        """A new run with the run's parameters: of the pipeline file and the files its steps
        name as they are now (a new version if any changed), or with ``exact``, of the run's own
        version, byte for byte.

        With ``from_failed``, steps that succeeded keep their outputs and only the rest runs.
        """
        original = self.store.get_run(run_id)
        if exact:
            version = self.store.get_version(original.pipeline, original.version)
            if version.predates_files:
                raise UserError(
                    f"run {run_id} ran version {version.version} of {original.pipeline!r}, "
                    "recorded before versions kept their files, so it cannot be replayed "
                    "exactly; rerun it with the current files instead (Rerun with current "
                    "files, or jupyter orch rerun without --exact)"
                )
        else:
            from .versions.fired import load_registered

            latest = self.store.get_version(original.pipeline)
            current = load_registered(
                original.pipeline, latest.path, root=self.root, connections=self.connections
            )
            version = self.register(current, created_by=created_by)
        loaded = loaded_from_version(version, self.root)
        from .run_items import reusable

        names = {step.name for step in loaded.spec.steps}
        reused, items = reusable(original, names) if from_failed else ([], [])
        run = self.store.create_run(
            pipeline=original.pipeline,
            version=version.version,
            trigger=Trigger.RERUN,
            parameters=resolve_parameters(loaded.spec, original.parameters),
            steps=[(s.name, s.needs) for s in loaded.spec.steps],
            runs_dir=str(self.runs_dir),
            rerun_of=original.id,
            exact=exact,
            reused=reused,
            items=items,
        )
        action = "replay" if exact else "rerun"
        note(self.store, action, pipeline=run.pipeline, run_id=run.id, of=original.id)
        return loaded, run

    # --- the scheduler's side ----------------------------------------------------------------

    def apply(
        self, loaded: LoadedPipeline, *, replace: bool = False, created_by: str | None = None
    ) -> PipelineVersion:
        """Register the file and activate its schedule and triggers."""
        version = self.register(loaded, replace=replace, created_by=created_by)
        self.store.set_pipeline_flags(loaded.spec.name, active=True)
        note(self.store, "apply", pipeline=loaded.spec.name, version=version.version)
        return version

    def trigger(
        self,
        name: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        trigger: Trigger = Trigger.MANUAL,
        event: dict[str, Any] | None = None,
        profile: str | None = None,
    ) -> RunRecord:
        """Queue a run of the pipeline's newest version; a scheduler starts it. ``profile``:
        one of its ``profiles:``, under ``parameters``."""
        new, overlap_limit = self._run_request(name, parameters, trigger, event, profile)
        run = self.store.queue_run(new, overlap_limit=overlap_limit)
        note(self.store, "run", pipeline=name, run_id=run.id, trigger=trigger.value)
        return run

    def trigger_once(
        self,
        name: str,
        key: RequestKey,
        *,
        parameters: Mapping[str, Any] | None = None,
        trigger: Trigger = Trigger.API,
        event: dict[str, Any] | None = None,
        profile: str | None = None,
    ) -> KeyedRun:
        """``trigger`` for a request that may arrive more than once or several times at once
        (an ``Idempotency-Key``, a webhook delivery): only the first creates a run, the others
        get it back; the key with another request is a ``ConflictError``."""
        seen = self.store.keyed_run(name, key)
        if seen is not None:  # before validating: a replay stays a replay if the pipeline changed
            return KeyedRun(seen, created=False)
        new, overlap_limit = self._run_request(name, parameters, trigger, event, profile)
        keyed = self.store.queue_keyed_run(new, key, overlap_limit=overlap_limit)
        if keyed.created:
            note(self.store, "run", pipeline=name, run_id=keyed.run.id, trigger=trigger.value)
        return keyed

    def _run_request(
        self,
        name: str,
        parameters: Mapping[str, Any] | None,
        trigger: Trigger,
        event: dict[str, Any] | None,
        profile: str | None = None,
    ) -> tuple[NewRun, int | None]:
        """A run of the newest version with validated parameters, and its overlap limit."""
        from .spec import Overlap

        if self.store.pipeline_state(name).archived:
            raise ConflictError(
                f"pipeline {name!r} is archived; unarchive it to run it "
                f"(jupyter orch unarchive {name})"
            )
        version = self.store.get_version(name)
        spec = loaded_from_version(version).spec
        limits = spec.limits
        new = NewRun(
            pipeline=name,
            version=version.version,
            trigger=trigger,
            parameters=resolve_parameters(spec, with_profile(spec, profile, parameters or {})),
            steps=tuple((s.name, s.needs) for s in spec.steps),
            runs_dir=str(self.runs_dir),
            event=event,
        )
        return new, limits.max_concurrent_runs if limits.overlap is Overlap.SKIP else None

    def cancel(self, run_id: str) -> str:
        """``dropped`` (it was queued: now cancelled), ``requested`` (its executor stops it
        and records it `cancelled`) or ``finished`` (it had ended; nothing changes)."""
        outcome = self.store.request_cancel(run_id, utcnow())
        if outcome != "finished":
            note(self.store, "cancel", pipeline=self._pipeline_of(run_id), run_id=run_id)
        return outcome

    def pause(self, name: str, paused: bool = True) -> None:
        self.store.set_pipeline_flags(name, paused=paused)
        note(self.store, "pause" if paused else "resume", pipeline=name)

    def archive(self, name: str, archived: bool = True) -> None:
        """An archived pipeline does not fire and listings hide it; its runs stay (callers
        archive through ``backfills.archive``, which cancels its running backfills too)."""
        self.store.set_pipeline_flags(name, archived=archived)
        note(self.store, "archive" if archived else "unarchive", pipeline=name)

    def delete(self, name: str) -> None:
        self.store.delete_pipeline(name)
        note(self.store, "delete", pipeline=name)

    def pin(self, run_id: str, pinned: bool = True) -> None:
        self.store.set_pinned(run_id, pinned)
        note(
            self.store,
            "pin" if pinned else "unpin",
            pipeline=self._pipeline_of(run_id),
            run_id=run_id,
        )

    def wake(self, run_id: str, step: str, action: str) -> None:
        """Retry now (``retry``) or Fail now (``fail``) a step waiting for its next attempt."""
        self.store.request_wake(run_id, step, action)
        name = self._pipeline_of(run_id)
        note(self.store, f"{action}_now", pipeline=name, run_id=run_id, step=step)

    def _pipeline_of(self, run_id: str) -> str | None:
        try:
            return self.store.get_run(run_id).pipeline
        except NotFoundError:
            return None

    async def execute(
        self,
        loaded: LoadedPipeline,
        run: RunRecord,
        executor: Executor,
        *,
        observer: Callable[[LogLine], None] | None = None,
    ) -> RunRecord:
        """Execute a run to its end in this process, without heartbeats (the CLI and the
        schedulers use ``RunHost.start_run``, which heartbeats and honours cancel requests)."""
        from .runner import RunCoordinator

        coordinator = RunCoordinator(
            self.store,
            executor,
            loaded,
            run,
            observer=observer,
            connections=self.connections,
            versions=self.store,
        )
        return await coordinator.execute()


def describe_pipeline(state: PipelineState, default_timezone: str, now: datetime) -> dict[str, Any]:
    """A pipeline as listings show it (the CLI's ``pipelines --json`` and the REST API), its
    credentials masked.

    The next run comes from the scheduler's own slot arithmetic; while no scheduler has
    stored one yet (just applied, or the schedule changed), it is computed the same way.
    """
    from .spec import PipelineSpec

    spec = PipelineSpec.from_stored(state.definition)
    schedule: dict[str, Any] | None = None
    next_run: datetime | None = None
    if spec.schedule is not None:
        cron = spec.schedule.cron_schedule(default_timezone)
        schedule = {
            "cron": spec.schedule.cron,
            "timezone": cron.timezone,
            "misfire": spec.schedule.misfire.value,
            "description": cron.describe(),
        }
        fresh = state.schedule_key == cron.key and state.next_run_at is not None
        next_run = state.next_run_at if fresh else cron.next_after(now)
    on = spec.on.model_dump(mode="json", exclude_defaults=True)
    return mask_json(
        {
            "name": state.name,
            "path": state.path,
            "version": state.version,
            "description": spec.description,
            "active": state.active,
            "paused": state.paused,
            "archived": state.archived,
            "schedule": schedule,
            "on": on,
            "next_run_at": iso(next_run) if state.fires else None,
            "last_status": state.last_status,
            "last_run_at": iso(state.last_run_at),
            "missed_ticks": state.missed_ticks,
        }
    )
