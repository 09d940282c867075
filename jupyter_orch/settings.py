"""Every setting the server and the CLI share, read the same way on both sides.

Precedence, the same for the server and the CLI:

1. an explicit value: a CLI option (``--db``, ``--runs-dir``, ``--max-concurrent-runs``); on
   the server, configuration given on its command line (``--OrchApp.db_url=...``) is this;
2. Jupyter configuration ``c.OrchApp.<trait>`` in the Jupyter config path (``.py`` or
   ``.json``): ``jupyter_server_config`` > ``jupyter_config`` > ``jupyter_orch_config``, as
   the server merges them; the CLI reads the same files;
3. the environment variable;
4. the default.

Configuration comes before the environment because that is how a traitlets application reads
the environment (Jupyter Server's ``JUPYTER_PORT`` and ``JUPYTER_TOKEN`` too): in a ``@default``
method, consulted only when no configuration sets the trait. The server cannot tell a value on
its command line from one in a config file, so the other order would let the environment
override ``--OrchApp.x=...``; the CLI follows the server's rule so that both always agree.

Each trait of ``OrchApp`` (``c.OrchApp.<trait>``), its variable, its value and default:

- ``db_url``, ``JUPYTER_ORCH_DB_URL``: the store's SQLAlchemy URL;
  ``sqlite:///<jupyter data dir>/orch/orch.sqlite``.
- ``runs_dir``, ``JUPYTER_ORCH_RUNS_DIR``: the folder of output notebooks, relative to the
  server's root dir (for the CLI, to the current directory); ``orch-runs``.
- ``max_workers``, ``JUPYTER_ORCH_WORKERS``: worker processes, 0 for one per CPU; 0.
- ``kernel_idle_ttl``, ``JUPYTER_ORCH_KERNEL_IDLE_TTL``: seconds an idle warm kernel lives; 600.
- ``max_concurrent_runs``, ``JUPYTER_ORCH_MAX_CONCURRENT_RUNS``: runs executing at once across
  every process sharing the store, at least 1; 8.
- ``default_timezone``, ``JUPYTER_ORCH_TIMEZONE``: the IANA zone of schedules naming none; UTC.

An empty variable counts as unset. An invalid value raises ``SettingError`` naming where it was
given (the variable, ``c.OrchApp.x`` or the option): the CLI exits 2, the server answers 503.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import UserError

CONFIG_SECTION = "OrchApp"
#: The files holding ``c.OrchApp``, lowest priority first, as the server merges them: the
#: extension's own file, then the server's files (jupyter_config, jupyter_server_config), whose
#: config ``ExtensionApp`` applies over its own.
CONFIG_FILES = ("jupyter_orch_config", "jupyter_config", "jupyter_server_config")

T = TypeVar("T")


class SettingError(UserError):
    """A setting has an invalid value; the message names where it was given."""


@lru_cache(maxsize=1)
def jupyter_config() -> dict[str, Any]:
    """The ``OrchApp`` section of the user's Jupyter configuration files."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.application import Application

    reader = Application()
    for name in CONFIG_FILES:
        reader.load_config_file(name, path=jupyter_config_path())
    section = reader.config.get(CONFIG_SECTION)
    return dict(section) if section else {}


# --- values -------------------------------------------------------------------------------------


def _text(text: str) -> str:
    if not text:
        raise ValueError("give a value")
    return text


def _whole(minimum: int, meaning: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ValueError(f"{text!r} is not a whole number of at least {minimum}{meaning}")
        return number

    return parse


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{text!r} is not a number of seconds (0 or more)")
    return seconds


def _zone(text: str) -> str:
    from jupyter_orch.scheduling.schedules import CronSchedule

    return CronSchedule.check_timezone(text)  # its ValueError says what to give


def default_db_url() -> str:
    from jupyter_core.paths import jupyter_data_dir

    return f"sqlite:///{Path(jupyter_data_dir()) / 'orch' / 'orch.sqlite'}"


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its trait on ``OrchApp``, its variable, how a value is read, its default."""

    trait: str
    env: str
    parse: Callable[[str], T]  # raises ValueError saying what to give
    default: Callable[[], T]
    #: The CLI option giving it explicitly, if any.
    option: str | None = None

    def read(self, value: object, source: str) -> T:
        try:
            return self.parse(str(value).strip())
        except ValueError as exc:
            raise SettingError(f"{source}: {exc}") from None

    def env_or_default(self) -> T:
        """The value when no configuration gives one: the server's trait default."""
        text = os.environ.get(self.env, "")
        return self.read(text, self.env) if text else self.default()

    def resolve(self, explicit: object = None) -> T:
        """The CLI's value: ``explicit`` > ``c.OrchApp.<trait>`` > the variable > default."""
        if explicit is not None and explicit != "":
            return self.read(explicit, self.option or self.trait)
        configured = jupyter_config().get(self.trait)
        if configured is not None:
            return self.read(configured, f"c.{CONFIG_SECTION}.{self.trait}")
        return self.env_or_default()


DB_URL = Setting("db_url", "JUPYTER_ORCH_DB_URL", _text, default_db_url, "--db")
RUNS_DIR = Setting("runs_dir", "JUPYTER_ORCH_RUNS_DIR", _text, lambda: "orch-runs", "--runs-dir")
MAX_WORKERS = Setting(
    "max_workers", "JUPYTER_ORCH_WORKERS", _whole(0, " (0: one per CPU)"), lambda: 0
)
KERNEL_IDLE_TTL = Setting(
    "kernel_idle_ttl", "JUPYTER_ORCH_KERNEL_IDLE_TTL", _seconds, lambda: 600.0
)
MAX_CONCURRENT_RUNS = Setting(
    "max_concurrent_runs",
    "JUPYTER_ORCH_MAX_CONCURRENT_RUNS",
    _whole(1),
    lambda: 8,
    "--max-concurrent-runs",
)
DEFAULT_TIMEZONE = Setting("default_timezone", "JUPYTER_ORCH_TIMEZONE", _zone, lambda: "UTC")

SETTINGS: tuple[Setting[Any], ...] = (
    DB_URL,
    RUNS_DIR,
    MAX_WORKERS,
    KERNEL_IDLE_TTL,
    MAX_CONCURRENT_RUNS,
    DEFAULT_TIMEZONE,
)


def check_all() -> None:
    """Read every setting once, so that an invalid one stops a command before it does anything."""
    for setting in SETTINGS:
        setting.resolve()


def runs_path(value: str, base: str | Path) -> Path:
    """The runs folder ``value`` (``~`` expanded) relative to ``base``, absolute."""
    return (Path(base) / Path(value).expanduser()).resolve()


# --- the CLI's resolution -----------------------------------------------------------------------


def resolve_db_url(explicit: str | None = None) -> str:
    return DB_URL.resolve(explicit)


def resolve_runs_dir(explicit: str | None = None, *, root_dir: str | None = None) -> Path:
    """Absolute runs folder; relative to ``root_dir`` (the CLI: the current directory)."""
    return runs_path(RUNS_DIR.resolve(explicit), root_dir or Path.cwd())


def resolve_executor_settings() -> tuple[int | None, float]:
    """(worker processes, None for the CPU count; idle seconds before a warm kernel stops)."""
    return MAX_WORKERS.resolve() or None, KERNEL_IDLE_TTL.resolve()


def resolve_max_concurrent_runs(explicit: int | None = None) -> int:
    """Runs executing at once across every process sharing the store."""
    return MAX_CONCURRENT_RUNS.resolve(explicit)


def resolve_default_timezone(explicit: str | None = None) -> str:
    """The zone of schedules that name none."""
    return DEFAULT_TIMEZONE.resolve(explicit)
