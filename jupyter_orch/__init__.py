"""jupyter-orch: notebooks as scheduled, monitored, reliable pipeline steps.

Inside a notebook step, publish a small JSON value for later steps and conditions::

    import jupyter_orch
    jupyter_orch.record("records_count", 98)

This module stays cheap to import: kernels import it, so it pulls in nothing heavy.
"""

from __future__ import annotations

from ._version import __version__
from .outputs import OUTPUT_MIMETYPE, record

__all__ = ["OUTPUT_MIMETYPE", "__version__", "record"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-orch"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .server.app import OrchApp

    return [{"module": "jupyter_orch", "app": OrchApp}]
