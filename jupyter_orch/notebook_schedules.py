"""What the REST API does for "schedule this notebook": preview a cron, read a notebook's
parameters, and write and register the one-step pipeline beside it. Blocking (files, store):
handlers call it in a thread. No HTTP here."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jupyter_orch.inputs.files import FileProblem, read_text
from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
from jupyter_orch.inputs.parameters import parameter_problems
from jupyter_orch.inputs.paths import relative_to_root, resolve_in_root
from jupyter_orch.pipelines.inspection import ParametersCell, inspect_parameters
from jupyter_orch.pipelines.notebook_pipeline import (
    NotebookPipeline,
    pipeline_file_for,
    pipeline_name_for,
)
from jupyter_orch.pipelines.notebooks import read_notebook_json
from jupyter_orch.scheduling.schedules import CronSchedule

from .catalog import Catalog
from .durations import parse_duration
from .errors import ConflictError, NotFoundError, Problem, SpecError, UserError
from .masking import mask_json
from .records import iso
from .spec import ScheduleSpec, check_pipeline_name
from .store.types import utcnow

MAX_PREVIEW = 50
PREVIEW_YEARS = (1900, 9000)


class RequestProblems(SpecError):
    """Problems in a request's fields (not in a file): a 400 listing each field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.args = ("; ".join(f"{p.path}: {p.message}" for p in problems),)


class ScheduleRequest(BaseModel):
    """The body of ``POST /orch/notebooks/schedule``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    #: A cron (or preset), or a mapping as under ``schedule:`` in a pipeline file; null: none
    #: ("once": the pipeline runs when asked, with ``run_now``).
    schedule: Any
    parameters: dict[str, Any] = Field(default_factory=dict)
    retries: int | None = Field(None, ge=0, le=100)
    timeout: str | int | float | None = None
    name: str | None = None
    run_now: bool = False


class NotebookScheduling:
    """Schedules for single notebooks, on top of the catalog of pipelines."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.root = catalog.root

    # --- GET /orch/schedules/preview ------------------------------------------------------------

    def preview(
        self,
        cron: str | None,
        timezone: str | None = None,
        count: str | int = 5,
        after: str | None = None,
    ) -> dict[str, Any]:
        """The cron in words and its next ``count`` run times after ``after`` (default: now)."""
        zone = timezone or self.catalog.default_timezone
        problems: list[Problem] = []
        if not cron:
            problems.append(Problem("cron", "give a cron such as '0 9 * * *' or a preset (@daily)"))
        else:
            _check(problems, "cron", CronSchedule.check_cron, cron)
        _check(problems, "timezone", CronSchedule.check_timezone, zone)
        number = _whole_number(count, 1, MAX_PREVIEW)
        if number is None:
            problems.append(Problem("count", f"give a whole number from 1 to {MAX_PREVIEW}"))
        start = _instant(after) if after else utcnow()
        if start is None:
            low, high = PREVIEW_YEARS
            message = f"give an ISO 8601 time with its offset or Z, in the years {low}-{high}"
            problems.append(Problem("after", message))
        if problems or number is None or start is None or cron is None:
            raise RequestProblems(problems)
        schedule = CronSchedule.parse(cron, zone)
        slots = schedule.upcoming(start, number)
        return {
            "cron": cron,
            "timezone": zone,
            "description": schedule.describe(),
            "next": [iso(slot) for slot in slots],
            "next_local": [slot.astimezone(ZoneInfo(zone)).isoformat() for slot in slots],
        }

    # --- GET /orch/notebooks/parameters ---------------------------------------------------------

    def parameters(self, path: str) -> dict[str, Any]:
        notebook = self._notebook(path)
        cell = self._inspect(notebook)
        return {
            "path": relative_to_root(self.root, str(notebook)),
            "kernel": cell.kernel,
            "language": cell.language,
            "has_parameters_cell": cell.has_parameters_cell,
            "parameters": mask_json([p.to_json() for p in cell.parameters]),
            "problem": cell.problem,
            "scheduled": self._scheduled(notebook),
        }

    def _scheduled(self, notebook: Path) -> dict[str, Any] | None:
        """The pipeline "Schedule this notebook" made for it (its file beside the notebook),
        as the dialog starts from when the notebook is scheduled again; None when there is none."""
        name = pipeline_name_for(notebook)
        try:
            registered = Path(self.catalog.store.get_version(name).path)
        except NotFoundError:
            return None
        file = pipeline_file_for(notebook)
        if registered.resolve() != file.resolve():
            return None
        detail = self.catalog.detail(name)
        for step in detail["steps"]:
            if (file.parent / step["notebook"]).resolve() == notebook.resolve():
                return {
                    "name": name,
                    "path": detail["path"],
                    "schedule": detail["schedule"],
                    "paused": detail["paused"],
                    "parameters": detail["parameters"],
                    "retries": step.get("retries"),
                    "timeout": step.get("timeout"),
                }
        return None

    def _notebook(self, path: str) -> Path:
        """The notebook a request names: inside the root, an existing ``.ipynb`` file."""
        notebook = resolve_in_root(self.root, path, field="path")
        if notebook.suffix.lower() != ".ipynb":
            raise UserError(f"path: {path!r} is not a notebook; give a path ending in .ipynb")
        if not notebook.is_file():
            raise NotFoundError(f"path: no notebook {path!r} under the server's root folder")
        return notebook

    def _inspect(self, notebook: Path) -> ParametersCell:
        relative = relative_to_root(self.root, str(notebook)) or notebook.name
        try:
            data = read_notebook_json(notebook, shown=relative)
        except ValueError as exc:
            raise UserError(f"path: {exc}") from None
        return inspect_parameters(data)

    # --- POST /orch/notebooks/schedule ----------------------------------------------------------

    def schedule(self, body: Mapping[str, Any], created_by: str | None = None) -> dict[str, Any]:
        """Write ``<stem>.pipeline.yaml`` beside the notebook, register and activate it.

        Every field is checked before anything is written; an existing file is updated only if
        it is this notebook's pipeline of the same name, never replaced when it is another.
        """
        request = ScheduleRequest.model_validate(dict(body))
        notebook = self._notebook(request.path)
        cell = self._inspect(notebook)
        pipeline = self._pipeline(request, notebook, cell)
        existing = self._existing_text(pipeline)
        self._check_name_is_free(pipeline)
        text = pipeline.render(existing)
        relative = relative_to_root(self.root, str(pipeline.path))
        detail = self.catalog.register({"yaml": text, "path": relative}, created_by)
        detail["created"] = existing is None
        detail["notebook"] = relative_to_root(self.root, str(notebook))
        if request.run_now:
            detail["run"] = self.catalog.trigger(pipeline.name, {"trigger": "manual"})
        return detail

    def _pipeline(
        self, request: ScheduleRequest, notebook: Path, cell: ParametersCell
    ) -> NotebookPipeline:
        problems: list[Problem] = []
        name = request.name or pipeline_name_for(notebook)
        _check(problems, "name", check_pipeline_name, name)
        schedule = self._schedule(request.schedule, problems)
        problems.extend(_parameter_problems(request.parameters, cell))
        problems.extend(_timeout_problems(request.timeout))
        if problems:
            raise RequestProblems(problems)
        return NotebookPipeline(
            name=name,
            notebook=notebook,
            schedule=schedule,
            parameters=dict(request.parameters),
            declared=tuple(cell.names),
            retries=request.retries,
            timeout=request.timeout,
        )

    def _schedule(self, value: Any, problems: list[Problem]) -> dict[str, Any] | None:
        """The schedule as the file will hold it; the server's default zone written out."""
        if value is None:
            return None
        if not isinstance(value, (str, dict)):
            hint = 'give a cron such as "0 9 * * *", {"cron": ..., "timezone": ...}, or null'
            problems.append(Problem("schedule", hint))
            return {}
        given = {"cron": value} if isinstance(value, str) else dict(value)
        if not given.get("timezone"):
            given["timezone"] = self.catalog.default_timezone
        try:
            ScheduleSpec.model_validate(given)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in ("schedule", *error["loc"]))
                problems.append(Problem(where, error["msg"].removeprefix("Value error, ")))
        return given

    def _existing_text(self, pipeline: NotebookPipeline) -> str | None:
        """The current file's text when it is this pipeline's; None when there is none."""
        target = pipeline.path
        if not target.exists():
            return None
        relative = relative_to_root(self.root, str(target))
        try:
            text = read_text(target, MAX_YAML_FILE_BYTES)
        except FileProblem:  # a FIFO there is refused, never waited on
            text = ""
        if not pipeline.owns(text):
            raise ConflictError(
                f"path: {relative} exists and is not the pipeline {pipeline.name!r} of this "
                "notebook; move or delete that file, or give `name` if it is this notebook's "
                "pipeline under another name"
            )
        return text

    def _check_name_is_free(self, pipeline: NotebookPipeline) -> None:
        """Refused before writing: the name belongs to another file that still exists."""
        try:
            current = self.catalog.store.get_version(pipeline.name)
        except NotFoundError:
            return
        other = Path(current.path)
        if other.resolve() != pipeline.path.resolve() and other.exists():
            raise ConflictError(
                f"name: pipeline {pipeline.name!r} is already defined by "
                f"{relative_to_root(self.root, current.path) or current.path}; give another `name`"
            )


def _timeout_problems(timeout: str | float | None) -> list[Problem]:
    if timeout is None:
        return []
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        return [Problem("timeout", str(exc))]
    if not 0 < seconds < math.inf:
        return [Problem("timeout", "give a duration above 0, e.g. 30m")]
    return []


def _parameter_problems(parameters: Mapping[str, Any], cell: ParametersCell) -> list[Problem]:
    values = parameter_problems(parameters)
    if values:
        return [Problem(*_field_and_message(problem)) for problem in values]
    unknown = sorted(set(parameters) - set(cell.names))
    if not unknown:
        return []
    if cell.problem:
        return [Problem("parameters", f"{cell.problem}, so it takes no parameters from here")]
    declared = ", ".join(cell.names) or "none"
    listed = ", ".join(repr(name) for name in unknown)
    return [
        Problem(
            "parameters",
            f"the notebook's parameters cell does not declare {listed} (declared: {declared})",
        )
    ]


def _field_and_message(problem: str) -> tuple[str, str]:
    """``"parameters.x: what to fix"`` as its field and its message."""
    field, _, message = problem.partition(": ")
    return field, message


def _check(problems: list[Problem], field: str, check: Callable[[str], str], value: str) -> None:
    try:
        check(value)
    except ValueError as exc:
        problems.append(Problem(field, str(exc)))


def _whole_number(value: str | int, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _instant(text: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (``Z`` accepted on Python 3.10 too)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.utcoffset() is None:
            return None
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    # Far from the edges of datetime's range, where reading it in a zone overflows.
    return moment if PREVIEW_YEARS[0] <= moment.year <= PREVIEW_YEARS[1] else None
