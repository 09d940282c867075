"""papermill's options have a home (issue 21): ``report_mode`` and ``start_timeout`` as step
policy keys, ``-f FILE`` and ``-r NAME VALUE`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from jupyter_orch.pipelines.notebooks import installed_kernels
from jupyter_orch.records import RunStatus
from jupyter_orch.service import Orchestrator

from .conftest import run_pipeline, write_notebook, write_pipeline

pytestmark = pytest.mark.slow

RECORD = "import jupyter_orch\nfor k in ('a', 'b', 'c'):\n    jupyter_orch.record(k, globals()[k])"


def _orch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    return subprocess.run(
        [sys.executable, "-m", "jupyter_orch.cli", *args, "--db", db,
         "--runs-dir", str(tmp_path / "runs"), "--json"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )  # fmt: skip


def test_report_mode_hides_the_input_cells_as_papermill_does(
    tmp_path: Path, orch: Orchestrator
) -> None:
    notebook = write_notebook(tmp_path / "r.ipynb", "x = 1", "print(x)")
    path = write_pipeline(
        tmp_path, "name: report\nsteps: [{name: r, notebook: r.ipynb, report_mode: true}]\n"
    )
    run = run_pipeline(orch, path, workers=1)
    ours = nbformat.read(run.steps[0].attempts[-1].output_notebook, as_version=4)
    theirs_path = tmp_path / "papermill.ipynb"
    subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), str(theirs_path), "--report-mode"],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    theirs = nbformat.read(theirs_path, as_version=4)

    def hidden(nb: nbformat.NotebookNode) -> list[bool]:
        return [bool(c.metadata.get("jupyter", {}).get("source_hidden")) for c in nb.cells]

    assert hidden(ours) == hidden(theirs)
    assert any(hidden(ours)) and hidden(ours)[-1] is True  # the code cells are hidden


@pytest.fixture
def slow_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A kernelspec whose kernel takes 60 s to start (its process sleeps first)."""
    spec = tmp_path / "jupyter" / "kernels" / "slowstart"
    spec.mkdir(parents=True)
    argv = [
        sys.executable, "-c",
        "import sys, time; time.sleep(60); from ipykernel import kernelapp; "
        "kernelapp.launch_new_instance(argv=['-f', sys.argv[1]])",
        "{connection_file}",
    ]  # fmt: skip
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Slow start", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    installed_kernels.cache_clear()
    yield "slowstart"
    installed_kernels.cache_clear()


def test_a_kernel_slower_than_start_timeout_fails_the_step_and_leaves_nothing(
    tmp_path: Path, orch: Orchestrator, slow_kernel: str
) -> None:
    write_notebook(tmp_path / "s.ipynb", None, "x = 1", kernel=slow_kernel)
    path = write_pipeline(
        tmp_path, "name: slow\nsteps: [{name: s, notebook: s.ipynb, start_timeout: 3s}]\n"
    )
    started = time.monotonic()
    run = run_pipeline(orch, path, workers=1)
    assert time.monotonic() - started < 40
    assert run.status is RunStatus.FAILED
    error = run.steps[0].attempts[-1].error or {}
    assert error.get("ename") == "KernelStartTimeout"
    assert "did not start within 3 s (start_timeout)" in error.get("evalue", "")
    # the executor is closed: the kernel that was still starting is gone with it
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "time.sleep(60)" in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []


def test_parameters_from_a_file_then_p_then_r_as_papermill_merges_them(tmp_path: Path) -> None:
    write_notebook(tmp_path / "p.ipynb", "a = 0\nb = 0\nc = 0", RECORD)
    path = write_pipeline(
        tmp_path,
        "name: params\nparameters: {a: 0, b: 0, c: 0}\nsteps: [{name: p, notebook: p.ipynb}]\n",
    )
    (tmp_path / "params.yaml").write_text("a: 1\nb: [1, 2]\nc: from-file\n")
    result = _orch(tmp_path, "run", str(path), "-f", "params.yaml", "-p", "b=7", "-r", "c", "007")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["parameters"] == {"a": 1, "b": 7, "c": "007"}
    assert run["steps"][0]["attempts"][-1]["outputs"] == {"a": 1, "b": 7, "c": "007"}


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "does not exist"), ("[1, 2]", "give a YAML mapping"), ("a: [", "not valid YAML")],
)
def test_a_bad_parameters_file_is_exit_2_naming_it(
    tmp_path: Path, content: str | None, says: str
) -> None:
    write_notebook(tmp_path / "p.ipynb", "a = 0", "x = 1")
    path = write_pipeline(
        tmp_path, "name: params\nparameters: {a: 0}\nsteps: [{name: p, notebook: p.ipynb}]\n"
    )
    if content is not None:
        (tmp_path / "bad.yaml").write_text(content)
    result = _orch(tmp_path, "run", str(path), "-f", "bad.yaml")
    assert result.returncode == 2
    assert "-f bad.yaml" in result.stderr and says in result.stderr
