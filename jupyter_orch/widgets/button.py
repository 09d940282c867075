"""``RunButton``: run a pipeline from a notebook, with a form of its parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
from traitlets import TraitError

from ..notebook_client import NoServerError, OrchAPIError, OrchClient
from . import render
from .base import OrchWidget, pipeline_path

#: The profile dropdown's choice for "the pipeline's own defaults".
NO_PROFILE = ""
FINISHED = {"succeeded", "failed", "timed_out", "cancelled"}


def parameter_field(name: str, value: Any, label_width: str = "initial") -> widgets.ValueWidget:
    """An input for a parameter, by its default's type; JSON text for anything else (lists,
    objects, null)."""
    common: dict[str, Any] = {"description": name, "style": {"description_width": label_width}}
    if isinstance(value, bool):
        field: widgets.ValueWidget = widgets.Checkbox(value=value, indent=False, **common)
    elif isinstance(value, int):
        field = widgets.IntText(value=value, **common)
    elif isinstance(value, float):
        field = widgets.FloatText(value=value, **common)
    elif isinstance(value, str):
        field = widgets.Text(value=value, **common)
    else:
        field = widgets.Textarea(value=json.dumps(value), rows=2, **common)
        field.add_class("jp-orch-json")
    field.add_class("jp-orch-parameter")
    return field


def set_field(name: str, field: widgets.ValueWidget, value: Any) -> None:
    """Show ``value`` in the parameter's field (JSON text in a text area); ValueError naming
    the parameter when the field cannot show it (text in a number's field)."""
    try:
        field.value = json.dumps(value) if isinstance(field, widgets.Textarea) else value
    except TraitError as exc:
        raise ValueError(f"parameters: {name}: {value!r} does not fit its field ({exc})") from None


def field_value(name: str, field: widgets.ValueWidget) -> Any:
    """The parameter's value in its field; ValueError naming it for JSON that is not."""
    if not isinstance(field, widgets.Textarea):  # only JSON values get a text area
        return field.value
    try:
        return json.loads(field.value)
    except ValueError as exc:
        raise ValueError(f"{name}: not JSON ({exc})") from None


class RunButton(OrchWidget):
    """A form of a pipeline's parameters and a Run button that starts a run of it.

    The form has one field per parameter of the pipeline (text, whole number, number, a
    checkbox, or JSON text, by the default's type) and a profile choice when the pipeline has
    profiles. Run asks the REST API of the server the kernel runs under for a run with the
    values that differ from the defaults (or the chosen profile's), then follows the run until
    it ends. The server's answer to a bad value is shown in the widget.

    Parameters
    ----------
    pipeline
        The pipeline's name, e.g. ``"daily-sales-report"``.
    parameters
        Values to put in the form instead of the defaults.
    profile
        The profile chosen at first.
    client
        The server to ask; by default the one that launched this kernel.
    interval
        Seconds between two looks at the run started, until it ends.
    """

    def __init__(
        self,
        pipeline: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        profile: str | None = None,
        client: OrchClient | None = None,
        interval: float = 1.0,
    ) -> None:
        super().__init__(pipeline, client, "jp-orch-RunButton")
        self.interval = interval
        #: The last run this button started, as the REST API last showed it.
        self.last_run: dict[str, Any] | None = None
        self.fields: dict[str, widgets.ValueWidget] = {}
        self.defaults: dict[str, Any] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.profile = widgets.Dropdown(description="profile", options=[("(defaults)", "")])
        self.profile.add_class("jp-orch-profile")
        self.button = widgets.Button(description="Run", icon="play", button_style="primary")
        self.button.add_class("jp-orch-run-button")
        self.button.on_click(lambda _: self.start_run())
        self.form = widgets.VBox()
        self.form.add_class("jp-orch-form")
        self.children = (self.header, self.form, self.body)
        self._loaded = self._load()
        if self._loaded:
            self._fill(dict(parameters or {}), profile)

    def _load(self) -> bool:
        """The pipeline's parameters and profiles from the server; a message when it fails."""
        try:
            detail = self.client.get(pipeline_path(self.pipeline))
            version = self.client.get(
                pipeline_path(self.pipeline, "versions", str(detail["version"]))
            )
        except (NoServerError, OrchAPIError) as exc:
            self.show_problem(exc)
            return False
        description = str(detail.get("description") or "")
        self.header.value = render.title(f"Run {self.pipeline}", description)
        self.defaults = dict(detail.get("parameters") or {})
        self.profiles = dict((version.get("definition") or {}).get("profiles") or {})
        return True

    def _fill(self, presets: dict[str, Any], profile: str | None) -> None:
        unknown = sorted(set(presets) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise ValueError(
                f"parameters: pipeline {self.pipeline!r} has no parameter "
                f"{', '.join(map(repr, unknown))} (parameters: {known})"
            )
        if profile is not None and profile not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ValueError(
                f"profile: pipeline {self.pipeline!r} has no profile {profile!r} "
                f"(profiles: {known})"
            )
        width = f"{min(30, max(map(len, [*self.defaults, 'profile']))) + 2}ch"  # aligned inputs
        self.fields = {n: parameter_field(n, v, width) for n, v in self.defaults.items()}
        parts: list[widgets.Widget] = list(self.fields.values())
        if self.profiles:
            self.profile.options = [("(defaults)", NO_PROFILE)] + [(p, p) for p in self.profiles]
            self.profile.value = profile or NO_PROFILE
            self.profile.style.description_width = width
            self._apply_profile(NO_PROFILE)
            self.profile.observe(lambda change: self._apply_profile(change["old"]), names="value")
            parts.insert(0, self.profile)
        for name, value in presets.items():
            set_field(name, self.fields[name], value)
        self.form.children = (*parts, self.button)

    def baseline(self) -> dict[str, Any]:
        """What a run gets without any value in the request: the defaults, then the profile."""
        return {**self.defaults, **self.profiles.get(self.profile.value or "", {})}

    def _apply_profile(self, before: str) -> None:
        """The chosen profile's values fill their fields; those the profile chosen ``before``
        set go back to the defaults, and the other fields keep what they show."""
        baseline = self.baseline()
        for name in {**self.profiles.get(before, {}), **self.profiles.get(self.profile.value, {})}:
            if name in self.fields:
                set_field(name, self.fields[name], baseline.get(name))

    def request_body(self) -> dict[str, Any]:
        """The request the Run button sends: the values that differ from the baseline."""
        baseline = self.baseline()
        values = {name: field_value(name, field) for name, field in self.fields.items()}
        body: dict[str, Any] = {
            "parameters": {k: v for k, v in values.items() if v != baseline.get(k)},
            "trigger": "manual",
        }
        if self.profile.value:
            body["profile"] = self.profile.value
        return body

    def start_run(self) -> dict[str, Any] | None:
        """Start a run with the form's values (what Run does); the run, None if it failed."""
        if not self._loaded:
            return None  # the form never loaded; its message says why
        try:
            body = self.request_body()
        except ValueError as exc:
            self.show(render.message(str(exc)))
            return None
        self.button.disabled = True
        try:
            run: dict[str, Any] = self.client.post(pipeline_path(self.pipeline, "runs"), body)
        except (NoServerError, OrchAPIError) as exc:
            self.show_problem(exc)
            return None
        finally:
            self.button.disabled = False
        self.stop()  # a run started before is not followed any more
        self._pollers.clear()
        self._show_run(run)
        self.poll(self._follow, self.interval)
        return run

    def close(self) -> None:
        for part in (*self.fields.values(), self.profile, self.button):
            part.close()
        super().close()

    def _show_run(self, run: dict[str, Any]) -> None:
        with self._lock:
            self.last_run = run
            self.show(render.runs_table(self.client, [run]))

    def _follow(self) -> bool:
        """Refresh the last run; False (stop) once it has ended."""
        run = self.last_run
        if run is None:
            return False
        try:
            fresh: dict[str, Any] = self.client.get(f"orch/runs/{run['id']}")
        except (NoServerError, OrchAPIError) as exc:
            self.show_problem(exc)
            return True
        self._show_run(fresh)
        return fresh.get("status") not in FINISHED
