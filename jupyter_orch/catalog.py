"""What the REST API does with pipelines and runs, in JSON shapes, paths relative to the
server's root dir. Blocking (store, files): handlers call it in a thread. No HTTP here."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from jupyter_orch.inputs.files import FileProblem, read_text
from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
from jupyter_orch.inputs.paths import relative_to_root, resolve_in_root
from jupyter_orch.inputs.yaml_load import bounded_yaml, load_yaml
from jupyter_orch.pipelines.loader import LoadedPipeline, load_pipeline, load_pipeline_text

from .artifact_views import add_step_artifacts
from .backfills import archive
from .errors import ConflictError, NameTaken, NotFoundError, ParameterError, SpecError, UserError
from .health import health
from .masking import mask_json, mask_text
from .records import RunRecord, RunStatus, Trigger, iso
from .run_notebooks import notebook_fields
from .service import Orchestrator, describe_pipeline
from .spec import PipelineSpec
from .stats import ACTIVE_MARGIN, pipeline_stats
from .store.types import RequestKey, RequestKind, utcnow
from .version_views import version_diff_json, version_json, versions_json

#: Largest page of runs one request returns.
MAX_PAGE = 200
RUN_STATUS_WORDS = tuple(s.value for s in RunStatus)
TRIGGER_WORDS = tuple(t.value for t in Trigger)
API_TRIGGERS = {"manual": Trigger.MANUAL, "api": Trigger.API}


def problems_json(exc: SpecError, root: Path) -> list[dict[str, Any]]:
    return [
        {
            "field": p.path,
            "message": mask_text(p.message),
            "line": p.line,
            "file": relative_to_root(root, p.file),
        }
        for p in exc.problems
    ]


def _name_in_file(path: Path) -> str | None:
    """The ``name:`` a pipeline file gives, read without validating anything else."""
    try:
        data = load_yaml(read_text(path, MAX_YAML_FILE_BYTES), "safe")
    except (FileProblem, YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


class Catalog:
    """Pipelines and runs as the REST API shows and changes them. Every answer has its
    credentials masked (``masking.py``); the store keeps the real text."""

    def __init__(self, orch: Orchestrator, root: Path, default_timezone: str = "UTC") -> None:
        self.orch = orch
        self.store = orch.store
        self.root = root.resolve()
        self.default_timezone = default_timezone
        self.connections = orch.connections

    # --- pipelines ------------------------------------------------------------------------------

    def _load(self, body: Mapping[str, Any]) -> tuple[LoadedPipeline, str | None]:
        """The pipeline a request names: a file under the root, or YAML text to save there.
        Every path the pipeline names must stay under the root too."""
        path = resolve_in_root(self.root, body.get("path", ""))
        text = body.get("yaml")
        if text is None:
            return load_pipeline(
                path, thorough=True, root=self.root, connections=self.connections
            ), None
        if not isinstance(text, str):
            raise UserError("yaml: give the pipeline file's text as a string")
        return (
            load_pipeline_text(
                text, path, thorough=True, root=self.root, connections=self.connections
            ),
            text,
        )

    def validate(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            loaded, _ = self._load(body)
        except SpecError as exc:
            return {"valid": False, "problems": problems_json(exc, self.root)}
        return {"valid": True, "problems": [], "name": loaded.spec.name}

    def register(self, body: Mapping[str, Any], created_by: str | None = None) -> dict[str, Any]:
        """Validate, save the text (if given), register and activate; the pipeline's detail.
        ``created_by``: who asks (a new version records it)."""
        loaded, text = self._load(body)
        if text is not None:
            self._save(loaded, text)
        replace = body.get("replace", False)
        if not isinstance(replace, bool):
            raise UserError(f"replace: give true or false, not {replace!r}")
        try:
            self.orch.apply(loaded, replace=replace, created_by=created_by)
        except NameTaken as exc:  # the files as the user knows them, and the API's way out
            shown = [
                relative_to_root(self.root, p) or "a file outside the root"
                for p in (exc.registered, exc.new)
            ]
            raise NameTaken(exc.name, *shown, api=True) from None
        return self.detail(loaded.spec.name)

    def _save(self, loaded: LoadedPipeline, text: str) -> None:
        """Write the file atomically; an existing file is replaced only if it defines the same
        pipeline (an edit), never another file."""
        target = loaded.path
        if target.exists():
            current: str | None
            try:
                current = load_pipeline(
                    target, root=self.root, connections=self.connections
                ).spec.name
            except SpecError:
                # A broken file (a bad hand edit) may still be fixed by saving its own pipeline
                current = _name_in_file(target)
            if current != loaded.spec.name:
                raise ConflictError(
                    f"path: {relative_to_root(self.root, str(target))} exists and is not the "
                    f"pipeline {loaded.spec.name!r}; choose another path"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)

    def listing(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """The pipelines; the archived ones too with ``archived``."""
        now = utcnow()
        return [
            self._with_relative_path(describe_pipeline(state, self.default_timezone, now))
            for state in self.store.pipeline_states(archived=archived)
        ]

    def _with_relative_path(self, data: dict[str, Any]) -> dict[str, Any]:
        data["path"] = relative_to_root(self.root, data["path"])
        return data

    def detail(self, name: str) -> dict[str, Any]:
        state = self.store.pipeline_state(name, history=True)
        data = self._with_relative_path(describe_pipeline(state, self.default_timezone, utcnow()))
        spec = PipelineSpec.from_stored(state.definition)
        data["parameters"] = mask_json(dict(spec.parameters))
        data["steps"] = [mask_json(self._step_json(spec, step.name)) for step in spec.steps]
        data["limits"] = spec.limits.model_dump(mode="json", exclude_none=True)
        return data

    def _step_json(self, spec: PipelineSpec, name: str) -> dict[str, Any]:
        step = spec.step(name)
        data = step.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["needs"] = list(step.needs)
        data["kind"] = step.kind
        return data

    def versions(self, name: str) -> list[dict[str, Any]]:
        return versions_json(self.store, self.root, name)

    def version(self, name: str, number: int) -> dict[str, Any]:
        return version_json(self.store, self.root, name, number)

    def version_diff(self, name: str, a: int, b: int) -> dict[str, Any]:
        return version_diff_json(self.store, name, a, b)

    def patch(
        self, name: str, body: Mapping[str, Any], created_by: str | None = None
    ) -> dict[str, Any]:
        unknown = ", ".join(sorted(set(body) - {"paused", "archived", "schedule"}))
        if unknown or not body:
            wanted = "give `paused` or `archived` (true or false), or `schedule`"
            raise UserError(f"{wanted}; unknown: {unknown}" if unknown else wanted)
        for flag in ("paused", "archived"):
            if flag in body and not isinstance(body[flag], bool):
                raise UserError(f"{flag}: give true or false, not {body[flag]!r}")
        if "schedule" in body:
            self._change_schedule(name, body["schedule"], created_by)
        if "paused" in body:
            self.orch.pause(name, body["paused"])
        if "archived" in body:
            archive(self.orch, name, body["archived"])  # and cancel its running backfills
        return self.detail(name)

    def _change_schedule(self, name: str, schedule: Any, created_by: str | None) -> None:
        """A new version: the file's ``schedule`` key rewritten (comments kept), registered."""
        version = self.store.get_version(name)
        path = self._own_file(name, Path(version.path))
        yaml = bounded_yaml()
        data = load_yaml(self._current_text(path, version.source), yaml=yaml)
        if schedule is None:
            data.pop("schedule", None)
        else:
            data["schedule"] = schedule
        out = io.StringIO()
        yaml.dump(data, out)
        loaded = load_pipeline_text(
            out.getvalue(), path, thorough=False, root=self.root, connections=self.connections
        )
        self._save(loaded, out.getvalue())
        self.orch.apply(loaded, created_by=created_by)

    def _own_file(self, name: str, path: Path) -> Path:
        """The pipeline's file, when the server may rewrite it: under the root (a pipeline
        applied from elsewhere with the CLI is changed there)."""
        if relative_to_root(self.root, str(path)) is None:
            raise UserError(
                f"schedule: pipeline {name!r} was registered from a file outside the server's "
                "root folder; edit that file and apply it again with `jupyter orch apply`"
            )
        return path

    def _current_text(self, path: Path, registered: str) -> str:
        """The file's text now, or the registered text when the file is gone."""
        try:
            return read_text(path, MAX_YAML_FILE_BYTES)
        except FileProblem as exc:
            if exc.missing:
                return registered
            shown = relative_to_root(self.root, str(path))
            raise ConflictError(f"path: {shown} {exc.reason}; cannot change its schedule") from None

    def delete(self, name: str) -> None:
        self.orch.delete(name)

    # --- runs -----------------------------------------------------------------------------------

    def run_json(self, run: RunRecord) -> dict[str, Any]:
        data = mask_json(run.to_dict())
        data["run_dir"] = relative_to_root(self.root, run.run_dir)
        for step in data["steps"]:
            for attempt in step["attempts"]:
                attempt.update(notebook_fields(self.root, attempt["output_notebook"]))
        return data

    def trigger(
        self, name: str, body: Mapping[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise ParameterError("parameters: give an object of name: value")
        kind = body.get("trigger", "api")
        if not isinstance(kind, str) or kind not in API_TRIGGERS:
            raise UserError(f"trigger: {kind!r} is not one of manual, api")
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, str):
            raise UserError("profile: give the name of one of the pipeline's profiles")
        if idempotency_key is not None:
            request: dict[str, Any] = {"parameters": parameters, "trigger": kind}
            if profile is not None:  # requests made before profiles keep their hash
                request["profile"] = profile
            key = RequestKey.of(RequestKind.IDEMPOTENCY, idempotency_key, request)
            keyed = self.orch.trigger_once(
                name, key, parameters=parameters, trigger=API_TRIGGERS[kind], profile=profile
            )
            return self.run_json(keyed.run)
        return self.run_json(
            self.orch.trigger(
                name, parameters=parameters, trigger=API_TRIGGERS[kind], profile=profile
            )
        )

    def runs(
        self,
        *,
        pipeline: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
        search: str | None = None,
        since: str | None = None,
        until: str | None = None,
        trigger: str | None = None,
    ) -> dict[str, Any]:
        """A page of runs, newest first; ``search`` text, a ``since``/``until`` range of
        creation times (ISO 8601; without a zone, UTC), a ``trigger`` (test runs only so)."""
        limit = max(1, min(limit, MAX_PAGE))
        if status is not None and status not in RUN_STATUS_WORDS:
            raise UserError(f"status: {status!r} is not one of {', '.join(RUN_STATUS_WORDS)}")
        if search is not None and len(search) > MAX_SEARCH:
            raise UserError(f"q: give at most {MAX_SEARCH} characters")
        if trigger is not None and trigger not in TRIGGER_WORDS:
            raise UserError(f"trigger: {trigger!r} is not one of {', '.join(TRIGGER_WORDS)}")
        ids = self.store.run_ids_page(
            pipeline=pipeline,
            status=status,
            limit=limit + 1,
            before=cursor,
            search=search or None,
            since=_moment("since", since),
            until=_moment("until", until),
            trigger=trigger,
        )
        page = ids[:limit]
        return {
            "runs": [self.run_json(run) for run in self.store.get_runs(page)],
            "next_cursor": page[-1] if len(ids) > limit else None,
        }

    def run(self, run_id: str) -> dict[str, Any]:
        """The run; each step with ``artifacts``, ``kind`` and ``for_each`` (from its version)."""
        run = self.store.get_run(run_id)
        data = self.run_json(run)
        add_step_artifacts(data, run, self.root)
        data["notifications"] = [n.to_json() for n in self.store.notifications(run_ids=[run.id])]
        try:
            definition = self.store.get_version(run.pipeline, run.version).definition
        except NotFoundError:
            return data
        specs = {step.name: step for step in PipelineSpec.from_stored(definition).steps}
        for step in data["steps"]:  # an item's kind is its for-each step's
            if (own := specs.get(step.get("parent") or step["name"])) is not None:
                step["kind"] = own.kind
                if own.for_each is not None and "parent" not in step:
                    step["for_each"] = True  # one with no items says why it was skipped
        return data

    def health(self) -> dict[str, Any]:
        return health(self.store, utcnow())

    def stats(self, name: str, last: int) -> dict[str, Any]:
        """``GET /orch/pipelines/{name}/stats``: the figures of its last ``last`` runs."""
        self.store.get_version(name)  # NotFoundError: a 404
        runs = self.store.list_runs(pipeline=name, limit=2 * last + ACTIVE_MARGIN)
        return pipeline_stats(name, runs, last)

    def logs(self, run_id: str, *, after: int = 0) -> list[dict[str, Any]]:
        """The run's log lines after the line with id ``after`` (0: all of them)."""
        return [
            {
                "id": line.id,
                "ts": iso(line.ts),
                "step": line.step,
                "stream": line.stream,
                "message": mask_text(line.message),
            }
            for line in self.store.get_logs(run_id, after_id=after)
        ]

    def cancel(self, run_id: str) -> dict[str, Any]:
        outcome = self.orch.cancel(run_id)
        return {"outcome": outcome, "run": self.run(run_id)}

    def pin(self, run_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``{"pinned": bool}``: kept whatever retention says, or not any more."""
        pinned = body.get("pinned", True)
        if not isinstance(pinned, bool):
            raise UserError(f"pinned: give true or false, not {pinned!r}")
        self.orch.pin(run_id, pinned)
        return self.run(run_id)

    def wake(self, run_id: str, step: str, action: str) -> dict[str, Any]:
        """Ask the run's executor to end the step's retry wait (at its next heartbeat)."""
        self.orch.wake(run_id, step, action)
        return self.run(run_id)

    def rerun(
        self, run_id: str, body: Mapping[str, Any], actor: str | None = None
    ) -> dict[str, Any]:
        """``from_failed``; ``exact``: replay the run's own version, else the files as they are
        now (recorded as a version by ``actor`` if they changed)."""
        flags = {}
        for field in ("from_failed", "exact"):
            flags[field] = body.get(field, False)
            if not isinstance(flags[field], bool):
                raise UserError(f"{field}: give true or false, not {flags[field]!r}")
        _, run = self.orch.create_rerun(run_id, **flags, created_by=actor)
        return self.run_json(run)


#: The longest search text of the runs page.
MAX_SEARCH = 200


def _moment(field: str, text: str | None) -> datetime | None:
    """An ISO 8601 time of a query argument (UTC when it names no zone); 400 naming it."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{field}: {text[:40]!r} is not a time; give ISO 8601, e.g. 2026-12-01T00:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
