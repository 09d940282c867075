"""jupyter-orch: notebooks as scheduled, monitored, reliable pipeline steps.

Inside a notebook step, publish a small JSON value for later steps and conditions, and reach
the connections and secrets the pipeline grants::

    import jupyter_orch
    jupyter_orch.record("records_count", 98)
    engine = jupyter_orch.connection("warehouse")
    token = jupyter_orch.secret("SLACK_TOKEN")

In an interactive notebook, develop a step on the inputs it had in a run (through the REST API
of the Jupyter server the kernel runs under)::

    jupyter_orch.use_step("daily-sales-report", "totals", run="last")

This module stays cheap to import: kernels import it, so it pulls in nothing heavy.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .access import connection, connection_url, secret
from .outputs import OUTPUT_MIMETYPE, lineage, record


def use_step(*args: Any, **kwargs: Any) -> Any:
    """Set a step's parameters in this session as a run passed them (``notebook_steps.use_step``)."""
    from .notebook_steps import use_step as set_inputs

    return set_inputs(*args, **kwargs)


__all__ = [
    "OUTPUT_MIMETYPE",
    "__version__",
    "connection",
    "connection_url",
    "lineage",
    "record",
    "secret",
    "use_step",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-orch"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .server.app import OrchApp

    return [{"module": "jupyter_orch", "app": OrchApp}]
