"""``jupyter orch`` starts fast: a command imports only what it uses. ``runs`` and the other
listings read a store (SQLAlchemy) and print (rich); ``validate`` reads a file (the loader).
An eager import at the top of a module (the CLI's, the service's, the store's, the config's)
brings back a second of start-up to every command, and these tests fail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from jupyter_orch import cli
from jupyter_orch.store.repository import Store

from .conftest import write_pipeline

#: Imported by a command that runs nothing: a pipeline's run, the loader, the migrations.
RUN_ONLY = (
    "alembic",
    "papermill",
    "nbformat",
    "nbclient",
    "jupyter_client",
    "jupyter_orch.runner",
    "jupyter_orch.executors.local",
    "jupyter_orch.scheduling.scheduler",
)
#: What reading a pipeline file needs, and a listing of runs does not.
LOADER = ("jupyter_orch.pipelines.loader", "jupyter_orch.spec", "pydantic", "jinja2", "croniter")
#: What a store needs, and reading a pipeline file does not.
STORE = ("sqlalchemy", "jupyter_orch.store.repository", "jupyter_orch.service", "asyncio")

PROBE = """
import contextlib, io, json, sys
from jupyter_orch.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(tmp_path: Path, *args: str) -> set[str]:
    """The modules (and their packages) ``jupyter orch ARGS`` has imported when it exits 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")  # no c.OrchApp of the machine's
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["code"] == 0, result.stderr
    return set(found["modules"])


def test_runs_imports_neither_the_loader_nor_what_runs_pipelines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    Store.open(url).close()  # a current schema: opening it again needs no migration
    modules = imported_by(tmp_path, "runs", "--db", url, "--runs-dir", str(tmp_path / "runs"))
    assert "jupyter_orch.store.repository" in modules  # the probe saw the command work
    assert sorted(set(RUN_ONLY + LOADER) & modules) == []


def test_validate_imports_neither_a_store_nor_what_runs_pipelines(tmp_path: Path) -> None:
    (tmp_path / "work.py").write_text("def noop(i: int = 0) -> None:\n    return None\n")
    steps = "".join(
        f"  - {{name: s{i}, python: work.py:noop, parameters: {{i: {i}}}"
        + (f", needs: [s{i - 1}]}}\n" if i else "}\n")
        for i in range(3)
    )
    path = write_pipeline(tmp_path, f"name: p\nsteps:\n{steps}")
    modules = imported_by(tmp_path, "validate", str(path))
    assert "jupyter_orch.pipelines.loader" in modules
    assert sorted(set(RUN_ONLY + STORE) & modules) == []


def test_every_command_names_a_function_that_exists() -> None:
    source = Path(cli.__file__).read_text(encoding="utf-8")
    targets = set(re.findall(r'lazy\("([a-z_]+):([a-z_]+)"\)', source))
    assert len(targets) >= 25
    for module, function in sorted(targets):
        assert callable(getattr(import_module(f"jupyter_orch.cli.{module}"), function))
