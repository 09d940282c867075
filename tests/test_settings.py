"""Every shared setting is read the same way by the server (``OrchApp`` in a real Jupyter
Server, pytest-jupyter) and by the CLI: the same value from the same variable, the environment
before configuration files and a command line before both, on both sides, and one clear error
for a bad value on both sides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch import config as settings
from jupyter_orch.server.app import OrchApp
from jupyter_orch.sizes import parse_size

from .orch_server import call

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Row:
    """One setting: a value given through its variable, another through ``c.OrchApp``, what
    the running extension uses, what the CLI resolves, and what either should be."""

    env: str
    trait: str
    value: str  # ``{tmp}``: the test's own folder
    configured: Any
    server: Callable[[OrchApp], Any]
    cli: Callable[[Path], Any]  # given the root dir (the CLI's current directory)
    expect: Callable[[Any, Path], Any]


def _same(value: Any, root: Path) -> Any:
    return value


ROWS = [
    Row(
        "JUPYTER_ORCH_DB_URL",
        "db_url",
        "sqlite:///{tmp}/from-env.sqlite",
        "sqlite:///{tmp}/from-config.sqlite",
        lambda app: app.store.url,
        lambda root: settings.resolve_db_url(),
        _same,
    ),
    Row(
        "JUPYTER_ORCH_RUNS_DIR",
        "runs_dir",
        "env-runs",
        "config-runs",
        lambda app: app.orchestrator.runs_dir,
        lambda root: settings.resolve_runs_dir(root_dir=str(root)),
        lambda value, root: (root / value).resolve(),
    ),
    Row(
        "JUPYTER_ORCH_WORKERS",
        "max_workers",
        "3",
        2,
        lambda app: app.step_executor.max_workers,
        lambda root: settings.CliConfig().max_workers or None,
        lambda value, root: int(value),
    ),
    Row(
        "JUPYTER_ORCH_KERNEL_IDLE_TTL",
        "kernel_idle_ttl",
        "42.5",
        7.0,
        lambda app: app.step_executor.idle_ttl,
        lambda root: settings.CliConfig().kernel_idle_ttl,
        lambda value, root: float(value),
    ),
    Row(
        "JUPYTER_ORCH_MAX_CONCURRENT_RUNS",
        "max_concurrent_runs",
        "3",
        5,
        lambda app: app.scheduler.config.max_concurrent_runs,
        lambda root: settings.resolve_max_concurrent_runs(),
        lambda value, root: int(value),
    ),
    Row(
        "JUPYTER_ORCH_TIMEZONE",
        "default_timezone",
        "Europe/Berlin",
        "Asia/Tokyo",
        # the zone of the REST answers and the scheduler's firing
        lambda app: {app.catalog.default_timezone, app.scheduler.config.default_timezone},
        lambda root: {settings.resolve_default_timezone()},
        lambda value, root: {value},
    ),
    Row(
        "JUPYTER_ORCH_OUTPUT_CAP",
        "output_cap",
        "2MB",
        "512KiB",
        lambda app: app.step_executor.output_caps.output_bytes,
        lambda root: settings.CliConfig().new_executor().output_caps.output_bytes,
        lambda value, root: parse_size(value),
    ),
    Row(
        "JUPYTER_ORCH_NOTEBOOK_OUTPUT_CAP",
        "notebook_output_cap",
        "20MB",
        "1GiB",
        lambda app: app.step_executor.output_caps.notebook_bytes,
        lambda root: settings.CliConfig().new_executor().output_caps.notebook_bytes,
        lambda value, root: parse_size(value),
    ),
    Row(
        # Two names only: the variable and the file both give "dask" (the default is local);
        # the executor is made (with the next row's address), and connects on its first step
        "JUPYTER_ORCH_EXECUTOR",
        "executor",
        "dask",
        "dask",
        lambda app: type(app.step_executor).__name__,
        lambda root: type(settings.CliConfig().new_executor()).__name__,
        lambda value, root: {"dask": "DaskExecutor"}[value],
    ),
    Row(
        "JUPYTER_ORCH_DASK_ADDRESS",
        "dask_address",
        "tcp://127.0.0.1:8786",
        "tcp://dask-scheduler:8786",
        lambda app: app.dask_address,
        lambda root: settings.CliConfig().dask_address,
        _same,
    ),
]
IDS = [row.env for row in ROWS]


def test_the_table_covers_every_setting() -> None:
    assert {(row.env, row.trait) for row in ROWS} == {(s.env, s.trait) for s in settings.SETTINGS}
    for row in ROWS:  # a row that gave the default could not fail
        default = next(s for s in settings.SETTINGS if s.env == row.env).default()
        assert str(row.value) != str(default) and str(row.configured) != str(default)


@pytest.fixture
def environment() -> dict[str, str]:
    """``JUPYTER_ORCH_*`` variables for the server and the CLI; parametrized by the tests."""
    return {}


@pytest.fixture
def configured() -> dict[str, Any]:
    """``c.OrchApp`` values in the Jupyter config file both sides read."""
    return {}


@pytest.fixture
def jp_server_config(
    tmp_path: Path,
    jp_config_dir: Path,
    environment: dict[str, str],
    configured: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """No ``c.OrchApp`` here: every value comes from the environment or the config file."""
    for name in os.environ:
        if name.startswith("JUPYTER_ORCH_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    if configured:
        section = {
            k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in configured.items()
        }
        (jp_config_dir / "jupyter_server_config.json").write_text(json.dumps({"OrchApp": section}))
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_orch": True},
            "allow_unauthenticated_access": False,
        }
    }


@pytest.fixture(autouse=True)
def fresh_config() -> Iterator[None]:
    settings.jupyter_config.cache_clear()  # the config files are this test's own
    yield
    settings.jupyter_config.cache_clear()


def extension(serverapp: Any) -> OrchApp:
    app = serverapp.extension_manager.extension_points["jupyter_orch"].app
    assert isinstance(app, OrchApp)
    return app


def observed(row: Row, serverapp: Any, root: Path) -> tuple[Any, Any]:
    """(what the running server uses, what the CLI resolves) for this row's setting."""
    app = extension(serverapp)
    assert app.store is not None, app.availability.reason
    return row.server(app), row.cli(root)


def given(row: Row, value: Any, tmp_path: Path) -> Any:
    return value.format(tmp=tmp_path) if isinstance(value, str) else value


# Where a setting is given, and which of its values both sides must then use.
SOURCES = {
    "variable": (True, False, "value"),
    "variable-over-config-file": (True, True, "value"),
    "config-file": (False, True, "configured"),
}


@pytest.mark.parametrize(
    ("environment", "configured", "wins"),
    [
        (
            {row.env: row.value for row in ROWS} if by_env else {},
            {row.trait: row.configured for row in ROWS} if by_config else {},
            wins,
        )
        for by_env, by_config, wins in SOURCES.values()
    ],
    ids=list(SOURCES),
)
def test_the_server_and_the_cli_take_each_setting_from_the_same_place(
    wins: str, started: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    """The variables alone, the variables over a config file (the environment comes first),
    and a config file alone: the running server and the CLI use the same value of each setting
    (every setting given at once, one server per case)."""
    wrong = []
    for row in ROWS:
        server, cli = observed(row, started, jp_root_dir)
        expected = row.expect(given(row, getattr(row, wins), tmp_path), jp_root_dir)
        if (server, cli) != (expected, expected):
            wrong.append(f"{row.trait}: server {server!r}, CLI {cli!r}, expected {expected!r}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def jp_argv(request: pytest.FixtureRequest) -> list[str]:
    """The server's command line (pytest-jupyter passes it to ServerApp.initialize)."""
    return list(getattr(request, "param", []))


@pytest.mark.parametrize(
    ("environment", "configured", "jp_argv"),
    [
        (
            {"JUPYTER_ORCH_MAX_CONCURRENT_RUNS": "3"},
            {"max_concurrent_runs": 5},
            ["--OrchApp.max_concurrent_runs=6"],
        )
    ],
    indirect=["jp_argv"],
)
def test_the_servers_command_line_comes_before_the_environment(
    started: Any, jp_root_dir: Path
) -> None:
    app = extension(started)
    assert app.store is not None, app.availability.reason
    assert app.scheduler.config.max_concurrent_runs == 6
    assert settings.resolve_max_concurrent_runs(6) == 6  # the CLI's own option, likewise
    assert settings.resolve_max_concurrent_runs() == 3  # without it, the variable


BAD = [
    ({"JUPYTER_ORCH_WORKERS": "abc"}, {}, "JUPYTER_ORCH_WORKERS: 'abc' is not a whole number"),
    ({"JUPYTER_ORCH_WORKERS": "-1"}, {}, "JUPYTER_ORCH_WORKERS: '-1' is not a whole number"),
    ({"JUPYTER_ORCH_MAX_CONCURRENT_RUNS": "0"}, {}, "JUPYTER_ORCH_MAX_CONCURRENT_RUNS: '0'"),
    ({"JUPYTER_ORCH_KERNEL_IDLE_TTL": "nan"}, {}, "JUPYTER_ORCH_KERNEL_IDLE_TTL: 'nan' is not"),
    ({}, {"output_cap": "lots"}, "c.OrchApp.output_cap: 'lots' is not a size; write e.g. 512MB"),
    (
        {"JUPYTER_ORCH_TIMEZONE": "Mars/Base"},
        {},
        "JUPYTER_ORCH_TIMEZONE: unknown time zone 'Mars/Base'",
    ),
    (
        {},
        {"default_timezone": "Mars/Base"},
        "c.OrchApp.default_timezone: unknown time zone 'Mars/Base'",
    ),
    (
        {"JUPYTER_ORCH_TIMEZONE": "Mars/Base"},
        {"default_timezone": "UTC"},
        "JUPYTER_ORCH_TIMEZONE: unknown time zone 'Mars/Base'",
    ),
]


@pytest.mark.parametrize(("environment", "configured", "message"), BAD)
async def test_an_invalid_value_is_one_clear_error_on_both_sides(
    environment: dict[str, str],
    configured: dict[str, Any],
    message: str,
    started: Any,
    jp_fetch: Any,
    tmp_path: Path,
    jp_config_dir: Path,
) -> None:
    code, answer = await call(jp_fetch, "GET", "pipelines")
    assert code == 503
    assert answer["error"].startswith(f"jupyter-orch is misconfigured: {message}"), answer
    assert answer["error"].endswith("; fix it and restart the server")

    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.update(environment, JUPYTER_CONFIG_DIR=str(jp_config_dir))
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_orch.cli", "runs", "--db", f"sqlite:///{tmp_path}/c.db"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert not (tmp_path / "c.db").exists()  # nothing done


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"jupyter_config": 3}, 3),
        ({"jupyter_orch_config": 4}, 4),
        ({"jupyter_server_config": 5}, 5),
        ({"jupyter_orch_config": 4, "jupyter_server_config": 5}, 5),
        ({"jupyter_config": 3, "jupyter_orch_config": 4}, 3),  # the server's files win
    ],
)
def test_both_sides_read_the_same_config_files_in_the_same_order(
    files: dict[str, int], expected: int, jp_config_dir: Path, request: pytest.FixtureRequest
) -> None:
    for name, value in files.items():
        config = {"OrchApp": {"max_concurrent_runs": value}}
        (jp_config_dir / f"{name}.json").write_text(json.dumps(config))
    server = request.getfixturevalue("started")  # after the files are written
    app = extension(server)
    assert app.store is not None, app.availability.reason
    assert app.scheduler.config.max_concurrent_runs == expected
    assert settings.resolve_max_concurrent_runs() == expected
