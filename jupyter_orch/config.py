"""``OrchConfig``: every setting of jupyter-orch, one traitlets ``Configurable`` read the same
way by the server (``OrchApp`` is one) and the CLI (``CliConfig``).

Precedence, the same for the server and the CLI:

1. an explicit value: a CLI option (``--db``, ``--runs-dir``, ``--max-concurrent-runs``); on
   the server, configuration given on its command line (``--OrchApp.db_url=...``);
2. the environment variable (``JUPYTER_ORCH_*``);
3. Jupyter configuration ``c.OrchApp.<trait>`` in the Jupyter config path (``.py`` or
   ``.json``): ``jupyter_server_config`` > ``jupyter_config`` > ``jupyter_orch_config``, as
   the server merges them; the CLI reads the same files;
4. the default.

A variable beats a config file, so that one deployment's environment (a container, a CI job)
can point a shared configuration elsewhere. Traitlets alone would not do it: a ``@default``
method is consulted only when no configuration sets the trait, so the server applies the
variables after its configuration has loaded (``apply_environment``), except to a trait its
command line gives.

The settings are the traits of ``OrchConfig`` (``c.OrchApp.<trait>``); those tagged ``env``
have a variable, and their help says it and the default. ``executor`` names the executor of
steps (``local``, ``dask``); ``executor_class`` may name a class of one's own.

An empty variable counts as unset. An invalid value raises ``SettingError`` naming where it was
given (the variable, ``c.OrchApp.x`` or the option): the CLI exits 2, the server answers 503.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Float, Int, TraitError, TraitType, Unicode, default
from traitlets.config import Configurable

from .config_notify import NotifySettings
from .config_retention import RetentionSettings
from .config_values import CONFIG_SECTION, Setting, jupyter_config
from .config_values import parse_seconds as _seconds
from .config_values import parse_size_text as _size
from .config_values import parse_text as _text
from .config_values import whole_number as _whole
from .connections import Connections
from .errors import SettingError
from .executors.base import Executor, OutputCaps
from .executors.choice import (
    ExecutorType,
    build_executor,
    check_dask_address,
    executor_name,
)
from .run_folders import RemoteRuns, RunsDir, is_remote
from .sizes import parse_size

# --- values -------------------------------------------------------------------------------------


def _zone(text: str) -> str:
    from jupyter_orch.scheduling.schedules import CronSchedule

    return CronSchedule.check_timezone(text)  # its ValueError says what to give


def default_db_url() -> str:
    from jupyter_core.paths import jupyter_data_dir

    return f"sqlite:///{Path(jupyter_data_dir()) / 'orch' / 'orch.sqlite'}"


# --- the configuration object -------------------------------------------------------------------


class OrchConfig(NotifySettings, RetentionSettings, Configurable):
    """Every setting of jupyter-orch. ``OrchApp``, the server extension, is one (users write
    ``c.OrchApp.<trait>``); the CLI reads the same traits through ``CliConfig``.

    A trait tagged ``env`` is a shared setting: its variable, how a text value is read
    (``parse``), and the CLI option giving it explicitly (``option``), if any.
    """

    # The shared settings, in the order they are checked (the first invalid one is reported)
    db_url = Unicode(
        config=True,
        help="SQLAlchemy URL of the store (default: JUPYTER_ORCH_DB_URL, then "
        "sqlite:///<jupyter data dir>/orch/orch.sqlite)",
    ).tag(env="JUPYTER_ORCH_DB_URL", parse=_text, option="--db", computed_default=default_db_url)
    runs_dir = Unicode(
        "orch-runs",
        config=True,
        help="Folder for output notebooks and artifacts, relative to the server's root dir, "
        "or absolute (outside the root the lab opens them through the server's own route), "
        "or an fsspec URL such as s3://bucket/orch-runs (staged under "
        "JUPYTER_ORCH_RUNS_STAGING) (default: JUPYTER_ORCH_RUNS_DIR, then orch-runs)",
    ).tag(env="JUPYTER_ORCH_RUNS_DIR", parse=_text, option="--runs-dir")
    max_workers = Int(
        0,
        config=True,
        help="Worker processes executing notebook steps, 0 for the CPU count (default: "
        "JUPYTER_ORCH_WORKERS, then 0)",
    ).tag(env="JUPYTER_ORCH_WORKERS", parse=_whole(0, " (0: one per CPU)"))
    kernel_idle_ttl = Float(
        600.0,
        config=True,
        help="Seconds before an idle warm kernel, and an idle worker, are shut down (default: "
        "JUPYTER_ORCH_KERNEL_IDLE_TTL, then 600)",
    ).tag(env="JUPYTER_ORCH_KERNEL_IDLE_TTL", parse=_seconds)
    max_concurrent_runs = Int(
        8,
        config=True,
        help="Runs executing at once across every process sharing the store (default: "
        "JUPYTER_ORCH_MAX_CONCURRENT_RUNS, then 8)",
    ).tag(env="JUPYTER_ORCH_MAX_CONCURRENT_RUNS", parse=_whole(1), option="--max-concurrent-runs")
    default_timezone = Unicode(
        "UTC",
        config=True,
        help="Time zone of schedules that name none, an IANA name (default: "
        "JUPYTER_ORCH_TIMEZONE, then UTC)",
    ).tag(env="JUPYTER_ORCH_TIMEZONE", parse=_zone)
    output_cap = Unicode(
        "1MB",
        config=True,
        help="Largest output an output notebook keeps (a cell's stdout or stderr, a display, "
        "a result), e.g. 1MB or 512KiB; past it, a marker says how much was cut (default: "
        "JUPYTER_ORCH_OUTPUT_CAP, then 1MB)",
    ).tag(env="JUPYTER_ORCH_OUTPUT_CAP", parse=_size)
    notebook_output_cap = Unicode(
        "50MB",
        config=True,
        help="Largest sum of the outputs one output notebook keeps (default: "
        "JUPYTER_ORCH_NOTEBOOK_OUTPUT_CAP, then 50MB)",
    ).tag(env="JUPYTER_ORCH_NOTEBOOK_OUTPUT_CAP", parse=_size)
    executor = Unicode(
        "local",
        config=True,
        help="Where steps run: 'local' (worker processes on this machine) or 'dask' (workers of "
        "the Dask cluster at dask_address) (default: JUPYTER_ORCH_EXECUTOR, then local)",
    ).tag(env="JUPYTER_ORCH_EXECUTOR", parse=executor_name)
    dask_address = Unicode(
        "",
        config=True,
        help="The Dask scheduler's address for executor 'dask', e.g. tcp://dask-scheduler:8786 "
        "(default: JUPYTER_ORCH_DASK_ADDRESS)",
    ).tag(env="JUPYTER_ORCH_DASK_ADDRESS", parse=_text)

    # The server's own settings
    scheduler_enabled = Bool(
        True,
        config=True,
        help="Run the scheduler in this server (fire schedules and events, execute queued runs)",
    )
    store_retry_max_delay = Float(
        30.0,
        config=True,
        help="Longest wait, in seconds, between attempts to open a store that cannot be opened",
    )
    executor_class = ExecutorType(
        klass=Executor,
        config=True,
        help="The executor of notebook steps: 'local' (worker processes on this machine), or "
        "the path of a subclass of jupyter_orch.executors.base.Executor taking max_workers "
        "and idle_ttl (default: local)",
    )

    connections = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        config=True,
        help="Named database connections for query and export steps, {name: SQLAlchemy URL}; "
        "values may contain ${ENV_VAR}. The variable JUPYTER_ORCH_CONN_<NAME> defines a name "
        "too, and wins over this",
    )

    # A shared setting no configuration gives takes its variable, else its default.
    @default("db_url")
    def _default_db_url(self) -> str:
        return self._unset("db_url")

    @default("runs_dir")
    def _default_runs_dir(self) -> str:
        return self._unset("runs_dir")

    @default("max_workers")
    def _default_max_workers(self) -> int:
        return self._unset("max_workers")

    @default("kernel_idle_ttl")
    def _default_kernel_idle_ttl(self) -> float:
        return self._unset("kernel_idle_ttl")

    @default("max_concurrent_runs")
    def _default_max_concurrent_runs(self) -> int:
        return self._unset("max_concurrent_runs")

    @default("default_timezone")
    def _default_default_timezone(self) -> str:
        return self._unset("default_timezone")

    @default("output_cap")
    def _default_output_cap(self) -> str:
        return self._unset("output_cap")

    @default("notebook_output_cap")
    def _default_notebook_output_cap(self) -> str:
        return self._unset("notebook_output_cap")

    @default("executor")
    def _default_executor(self) -> str:
        return self._unset("executor")

    @default("dask_address")
    def _default_dask_address(self) -> str:
        return self._unset("dask_address")

    @default("executor_class")
    def _default_executor_class(self) -> type[Executor]:
        from .executors.local import LocalExecutor  # imported when an executor is wanted

        return LocalExecutor

    def _unset(self, trait: str) -> Any:
        """The value of a shared setting no configuration gives: its variable, else its
        default. An invalid variable is reported by check_settings(), not here: traitlets and
        Jupyter Server read traits at times of their choosing, where an error would unload the
        extension."""
        setting = SETTING_OF[trait]
        try:
            return setting.env_or_default()
        except SettingError:
            return setting.default()

    def apply_environment(self, command_line: Mapping[str, Any]) -> None:
        """After configuration loads: a variable overrides ``c.OrchApp.<trait>`` from a config
        file, never a trait ``command_line`` (the server's own command line) gives. Then read
        every shared setting once; an invalid one raises ``SettingError`` naming the variable
        or ``c.OrchApp.<trait>``; then the executor."""
        configured = self.config.get(CONFIG_SECTION, {})
        for setting in SETTINGS:
            variable = None if setting.trait in command_line else setting.env_value()
            if variable is not None:
                setattr(self, setting.trait, variable)
            elif setting.trait in configured:
                value = getattr(self, setting.trait)
                setting.read(value, f"c.{CONFIG_SECTION}.{setting.trait}")
        check_dask_address(self.executor, self.dask_address)

    def named_connections(self) -> Connections:
        """The named connections: ``JUPYTER_ORCH_CONN_<NAME>`` over ``connections``."""
        return Connections(dict(self.connections), notify_channels=dict(self.notify_channels))

    def new_executor(self) -> Executor:
        """The executor of ``executor`` or ``executor_class``, with ``max_workers``,
        ``kernel_idle_ttl``, ``dask_address`` and the output caps."""
        executor = build_executor(
            self.executor_class,
            self.executor,
            dask_address=self.dask_address,
            max_workers=self.max_workers or None,
            idle_ttl=self.kernel_idle_ttl,
        )
        executor.output_caps = self.output_caps()
        return executor

    def output_caps(self) -> OutputCaps:
        """What one output, and one output notebook, may keep (``output_cap``...)."""
        return OutputCaps(parse_size(self.output_cap), parse_size(self.notebook_output_cap))


class CliConfig(OrchConfig):
    """The settings as ``jupyter orch`` reads them: an option given to the command (``options``,
    by trait; None or empty when not given) > the variable > ``c.OrchApp.<trait>`` in the
    Jupyter config files > the default, each read when first used. An invalid value raises
    ``SettingError`` naming where it was given."""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options

    def _unset(self, trait: str) -> Any:
        return SETTING_OF[trait].resolve(self.options.get(trait))

    def configured(self, name: str) -> Any:
        return jupyter_config().get(name)

    @default("connections")
    def _default_connections(self) -> dict[str, str]:
        configured = jupyter_config().get("connections") or {}
        try:
            return dict(OrchConfig.connections.validate(self, configured) or {})
        except TraitError as exc:
            raise SettingError(f"c.{CONFIG_SECTION}.connections: {exc}") from None

    @default("executor_class")
    def _default_executor_class(self) -> type[Executor]:
        configured = jupyter_config().get("executor_class")
        if configured is None:
            return super()._default_executor_class()
        try:
            return OrchConfig.executor_class.validate(self, configured)
        except TraitError as exc:
            raise SettingError(str(exc)) from None


# --- settings -----------------------------------------------------------------------------------


def _setting(name: str, trait: TraitType[Any, Any]) -> Setting[Any]:
    tags = trait.metadata
    default = tags.get("computed_default") or (lambda: trait.default_value)
    return Setting(name, tags["env"], tags["parse"], default, tags.get("option"))


#: The shared settings, from the traits tagged ``env``, in their order.
SETTINGS: tuple[Setting[Any], ...] = tuple(
    _setting(name, trait)
    for name, trait in vars(OrchConfig).items()
    if isinstance(trait, TraitType) and "env" in trait.metadata
)
SETTING_OF = {setting.trait: setting for setting in SETTINGS}


def check_all() -> None:
    """Read every setting once, so that an invalid one stops a command before it does anything."""
    for setting in SETTINGS:
        setting.resolve()


def runs_path(value: str, base: str | Path) -> RunsDir:
    """The runs folder ``value`` (``~`` expanded) relative to ``base``, absolute; a URL (an
    fsspec one: ``s3://bucket/runs``) as it is."""
    if is_remote(value):
        return RemoteRuns(value.rstrip("/"))
    return (Path(base) / Path(value).expanduser()).resolve()


# --- one setting as the CLI reads it ------------------------------------------------------------


def resolve_db_url(explicit: str | None = None) -> str:
    return CliConfig(db_url=explicit).db_url


def resolve_runs_dir(explicit: str | None = None, *, root_dir: str | None = None) -> RunsDir:
    """Absolute runs folder; relative to ``root_dir`` (the CLI: the current directory)."""
    return runs_path(CliConfig(runs_dir=explicit).runs_dir, root_dir or Path.cwd())


def resolve_max_concurrent_runs(explicit: int | None = None) -> int:
    """Runs executing at once across every process sharing the store."""
    return CliConfig(max_concurrent_runs=explicit).max_concurrent_runs


def resolve_default_timezone(explicit: str | None = None) -> str:
    """The zone of schedules that name none."""
    return CliConfig(default_timezone=explicit).default_timezone
