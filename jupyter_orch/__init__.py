"""jupyter-orch: notebooks as scheduled, monitored, reliable pipeline steps.

Inside a notebook step, publish a small JSON value for later steps and conditions, and reach
the connections and secrets the pipeline grants::

    import jupyter_orch
    jupyter_orch.record("records_count", 98)
    engine = jupyter_orch.connection("warehouse")
    token = jupyter_orch.secret("SLACK_TOKEN")

This module stays cheap to import: kernels import it, so it pulls in nothing heavy.
"""

from __future__ import annotations

from ._version import __version__
from .access import connection, connection_url, secret
from .outputs import OUTPUT_MIMETYPE, lineage, record

__all__ = [
    "OUTPUT_MIMETYPE",
    "__version__",
    "connection",
    "connection_url",
    "lineage",
    "record",
    "secret",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-orch"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .server.app import OrchApp

    return [{"module": "jupyter_orch", "app": OrchApp}]
