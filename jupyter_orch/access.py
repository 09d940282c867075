"""Connections and secrets inside a step, as a notebook or a function reads them::

    import jupyter_orch
    engine = jupyter_orch.connection("warehouse")        # a SQLAlchemy engine
    url = jupyter_orch.connection_url("warehouse")       # for other libraries
    token = jupyter_orch.secret("SLACK_TOKEN")

A step gets the connections its pipeline grants (those its steps name and those under
``connections:``) and the secrets it lists (``secrets:``), through its environment. Run
interactively, outside a pipeline, ``connection`` also finds the names the Jupyter config defines
(``c.OrchApp.connections``), so a notebook works the same before it is scheduled.

Cheap to import (kernels import ``jupyter_orch``): SQLAlchemy is imported when used.
"""

from __future__ import annotations

import os
from typing import Any

#: As ``connections.SECRET_PREFIX`` and ``CONN_PREFIX``, without importing SQLAlchemy.
SECRET_PREFIX = "JUPYTER_ORCH_SECRET_"
_CONN_PREFIX = "JUPYTER_ORCH_CONN_"
_engines: dict[str, Any] = {}


def secret(name: str) -> str:
    """The value of the secret ``name``, which the pipeline lists under ``secrets:``."""
    value = os.environ.get(SECRET_PREFIX + name)
    if value is None:
        if os.environ.get("JUPYTER_ORCH_RUN_ID") is None and os.environ.get(name):
            return os.environ[name]  # interactive: the variable itself
        raise KeyError(
            f"secret {name!r} is not available to this step: list it under `secrets:` in the "
            f"pipeline file, and set the environment variable {name} where the scheduler runs"
        )
    return value


def connection_url(name: str) -> str:
    """The SQLAlchemy URL of the connection ``name``."""
    value = os.environ.get(_CONN_PREFIX + name.upper())
    if value:
        return value
    if os.environ.get("JUPYTER_ORCH_RUN_ID") is None:
        from jupyter_orch.config import jupyter_config
        from jupyter_orch.connections import Connections

        configured = jupyter_config().get("connections") or {}
        return Connections(dict(configured)).url(name)
    raise KeyError(
        f"connection {name!r} is not granted to this step: name it in a step or list it under "
        "`connections:` in the pipeline file (and define it where the scheduler runs)"
    )


def connection(name: str, **options: Any) -> Any:
    """A SQLAlchemy engine for the connection ``name`` (one per name and options)."""
    import sqlalchemy as sa

    key = f"{name}\x00{sorted(options.items())!r}"
    if key not in _engines:
        _engines[key] = sa.create_engine(connection_url(name), **options)
    return _engines[key]
