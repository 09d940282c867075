"""Where things are kept: the store URL and the runs folder (DESIGN.md "Where things are kept").

Precedence: an explicit value (``--db``) > the environment (``JUPYTER_ORCH_DB_URL``) >
Jupyter configuration (``c.OrchApp.db_url``, read from the same files as the server) >
the default. The same for ``runs_dir`` with ``JUPYTER_ORCH_RUNS_DIR``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG_SECTION = "OrchApp"
CONFIG_FILES = ("jupyter_server_config", "jupyter_orch_config")


@lru_cache(maxsize=1)
def jupyter_config() -> dict[str, Any]:
    """The ``OrchApp`` section of the user's Jupyter configuration files."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.application import Application

    merged = Config()
    # jupyter_config_path() lists the highest priority first; load lowest first.
    path = list(reversed(jupyter_config_path()))
    for name in CONFIG_FILES:
        for config in Application._load_config_files(name, path=path):
            merged.merge(config)
    section = merged.get(CONFIG_SECTION, {})
    return dict(section) if section else {}


def default_db_url() -> str:
    from jupyter_core.paths import jupyter_data_dir

    return f"sqlite:///{Path(jupyter_data_dir()) / 'orch' / 'orch.sqlite'}"


def resolve_db_url(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    if os.environ.get("JUPYTER_ORCH_DB_URL"):
        return os.environ["JUPYTER_ORCH_DB_URL"]
    configured = jupyter_config().get("db_url")
    return str(configured) if configured else default_db_url()


def resolve_runs_dir(explicit: str | None = None, *, root_dir: str | None = None) -> Path:
    """Absolute runs folder; the default is ``orch-runs`` under the root (the CLI: the cwd)."""
    value = explicit or os.environ.get("JUPYTER_ORCH_RUNS_DIR") or jupyter_config().get("runs_dir")
    base = Path(root_dir) if root_dir else Path.cwd()
    return (base / str(value or "orch-runs")).absolute()


def resolve_executor_settings() -> tuple[int | None, float]:
    """(worker processes, idle seconds before a warm kernel is shut down).

    ``JUPYTER_ORCH_WORKERS`` / ``c.OrchApp.max_workers`` (default: the CPU count) and
    ``JUPYTER_ORCH_KERNEL_IDLE_TTL`` / ``c.OrchApp.kernel_idle_ttl`` (default 600).
    """
    config = jupyter_config()
    workers = os.environ.get("JUPYTER_ORCH_WORKERS") or config.get("max_workers")
    ttl = os.environ.get("JUPYTER_ORCH_KERNEL_IDLE_TTL") or config.get("kernel_idle_ttl")
    return (int(workers) if workers else None), (float(ttl) if ttl else 600.0)


def _setting(env: str, key: str) -> Any:
    return os.environ.get(env) or jupyter_config().get(key)


def resolve_max_concurrent_runs(explicit: int | None = None) -> int:
    """Runs executing at once across every process sharing the store.

    ``--max-concurrent-runs`` > ``JUPYTER_ORCH_MAX_CONCURRENT_RUNS`` >
    ``c.OrchApp.max_concurrent_runs`` > 8.
    """
    value = explicit or _setting("JUPYTER_ORCH_MAX_CONCURRENT_RUNS", "max_concurrent_runs")
    return int(value) if value else 8


def resolve_default_timezone(explicit: str | None = None) -> str:
    """The zone of schedules that name none: ``JUPYTER_ORCH_TIMEZONE`` >
    ``c.OrchApp.default_timezone`` > UTC."""
    from .schedules import CronSchedule

    value = explicit or _setting("JUPYTER_ORCH_TIMEZONE", "default_timezone") or "UTC"
    return CronSchedule.check_timezone(str(value))
