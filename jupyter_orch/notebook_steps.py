"""Develop a step in a notebook on the inputs it had in a real run::

    import jupyter_orch
    jupyter_orch.use_step("daily-sales-report", "totals", run="last")

sets the step's parameters in the notebook's session as the pipeline passed them in that run,
upstream steps' outputs resolved from the run's records (``run="last_succeeded"``, or a run
id; ``params={...}`` overrides). It asks the REST API of the Jupyter server the kernel runs
under (``notebook_client``), never the store. Secrets and connections work as in a run:
``jupyter_orch.secret`` and ``jupyter_orch.connection`` read this kernel's environment and the
Jupyter config, as the scheduler does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .notebook_client import OrchClient


class StepInputs(dict[str, Any]):
    """The parameters ``use_step`` set, with where they came from."""

    def __init__(self, answer: Mapping[str, Any]) -> None:
        super().__init__(answer.get("parameters") or {})
        self.pipeline: str = answer["pipeline"]
        self.step: str = answer["step"]
        self.run: dict[str, Any] = dict(answer.get("run") or {})
        self.upstream_missing: list[str] = list(answer.get("upstream_missing") or [])
        self.unset_secrets = [n for n in answer.get("secrets") or [] if not os.environ.get(n)]

    def describe(self) -> str:
        run = self.run
        lines = [
            f"{self.pipeline} > {self.step}: the parameters of run #{run.get('number')} "
            f"({run.get('status')}, version {run.get('version')}, {run.get('id')})"
        ]
        lines += [f"  {name} = {value!r}" for name, value in self.items()]
        if not self:
            lines.append("  (the step has no parameters)")
        if self.upstream_missing:
            lines.append(f"  note: {', '.join(self.upstream_missing)} did not succeed in that run")
        if self.unset_secrets:
            lines.append(
                f"  note: secret(s) {', '.join(self.unset_secrets)} are not set in this kernel's "
                "environment; jupyter_orch.secret() will not find them"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.describe())


def use_step(
    pipeline: str,
    step: str,
    run: str = "last",
    *,
    params: Mapping[str, Any] | None = None,
    profile: str | None = None,
    namespace: dict[str, Any] | None = None,
) -> StepInputs:
    """Set ``step``'s parameters, as ``run`` of ``pipeline`` passed them, in ``namespace``
    (default: the notebook's, or the caller's globals outside IPython); returns them.

    ``run``: ``"last"``, ``"last_succeeded"`` or a run id. ``params``: values over the run's
    parameters (a pipeline parameter is applied before the step's templates are rendered).
    ``profile``: one of the pipeline's ``profiles:``, under ``params``.
    """
    client = OrchClient.discover()
    body: dict[str, Any] = {"run": run, "params": dict(params or {})}
    if profile is not None:
        body["profile"] = profile
    answer = client.post(
        f"orch/pipelines/{quote(pipeline, safe='')}/steps/{quote(step, safe='')}/inputs", body
    )
    inputs = StepInputs(answer)
    target = namespace if namespace is not None else _session_namespace()
    target.update(inputs)
    return inputs


def _session_namespace() -> dict[str, Any]:
    """The notebook's namespace (IPython's user namespace), else the globals of the nearest
    caller outside this package (``jupyter_orch.use_step`` is a wrapper: not its module's)."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    ip = get_ipython() if get_ipython is not None else None
    if ip is not None:
        return ip.user_ns
    frame = sys._getframe(1)
    while frame.f_back is not None and _ours(frame.f_globals.get("__name__")):
        frame = frame.f_back
    return frame.f_globals


def _ours(module: object) -> bool:
    return isinstance(module, str) and (
        module == "jupyter_orch" or module.startswith("jupyter_orch.")
    )
