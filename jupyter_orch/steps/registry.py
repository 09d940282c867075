"""Step kinds by name, as the run coordinator looks them up.

A function, not a table filled at import time: a coordinator given its own mapping (a test, a
deployment with a kind of its own) sees nothing else.
"""

from __future__ import annotations

from jupyter_orch.spec import StepSpec

from .base import StepKind
from .calls import ExportStep, FunctionStep, QueryStep
from .notebook import NotebookStep


def step_kinds() -> dict[str, StepKind]:
    """The kinds every coordinator knows."""
    kinds: list[StepKind] = [NotebookStep(), QueryStep(), FunctionStep(), ExportStep()]
    return {kind.name: kind for kind in kinds}


def kind_of(step: StepSpec) -> str:
    """The name of the kind that runs ``step`` (``notebook``, ``query``, ``function``...)."""
    return step.kind
