"""Every notebook papermill runs, we run the same way (issue 21).

Each case is a notebook written here, run twice: by the papermill CLI as users run it
(``python -m papermill in.ipynb out.ipynb -p ...``) and as a one-step pipeline by
``jupyter orch run --json``. Both runs must agree on the outcome (exit 0 and the run succeeded,
or a non-zero exit and the step failed) and on the output notebook's shape: where the injected
parameters cell sits, its tag and source, the error-cell markers, which cells hold errors, and
the papermill metadata's keys (not the timings).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .conftest import write_notebook, write_pipeline
from .helpers import command

pytestmark = pytest.mark.slow

Parameters = dict[str, "str | int"]


@dataclass(frozen=True)
class Case:
    """One behaviour: the notebook, the parameters both runs pass, the expected outcome."""

    cells: tuple[str, ...]
    parameters_cell: str | None = "who = 'nobody'\nn = 0"
    parameters: Parameters = field(default_factory=lambda: {"who": "world", "n": 3})
    succeeds: bool = True
    kernel: str = "python3"
    #: Passes the parameters as the step's own ``parameters:`` instead of ``-p`` on the run:
    #: a pipeline parameter reaches only a notebook whose parameters cell declares it.
    as_step_parameters: bool = False
    #: Changes the written notebook (old nbformat, other language_info...).
    edit: Callable[[nbformat.NotebookNode], None] | None = None
    #: Installs a kernelspec of this name in a JUPYTER_PATH of the test's own.
    custom_kernel: bool = False
    #: The injected cell's lines after ``# Parameters`` when not plain ``name = "value"``.
    injected: str | None = None
    #: ``SystemExit(0)``: papermill exits 0 but stops there: that cell is marked failed with
    #: the error in its outputs, the cells after it never run, and no error cells are added.
    stops_early: bool = False
    #: The text every stdout stream of the executed notebook joins to.
    stdout: str | None = None


def _as_nbformat_44(nb: nbformat.NotebookNode) -> None:
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]


def _r_language_info(nb: nbformat.NotebookNode) -> None:
    nb.metadata.language_info = {"name": "R", "version": "4.3.0", "file_extension": ".r"}


CASES: dict[str, Case] = {
    "sys_exit_0": Case(
        ("import sys\nprint('before')\nsys.exit(0)", "print('after')"),
        stops_early=True,
        stdout="before\n",
    ),
    "raise_system_exit_0": Case(
        ("print('before')\nraise SystemExit(0)", "print('after')"),
        stops_early=True,
        stdout="before\n",
    ),
    "raise_system_exit_1": Case(
        ("print('before')\nraise SystemExit(1)", "print('after')"), succeeds=False
    ),
    "keyboard_interrupt": Case(("raise KeyboardInterrupt", "print('after')"), succeeds=False),
    "line_magic_error": Case(("%time 1/0", "print('after')"), succeeds=False),
    "line_magic_run_missing": Case(("%run nonexistent.py", "print('after')"), succeeds=False),
    "nbformat_4_4_without_ids": Case(("print(who, n)",), edit=_as_nbformat_44),
    "no_parameters_cell": Case(("print(who, n)",), parameters_cell=None, as_step_parameters=True),
    "non_ascii": Case(
        ("print('héllo ✓ 日本', who)", "who"),
        parameters={"who": "wörld ✓ 日本", "n": 3},
        # papermill escapes non-ASCII text in the literals it writes (unicode_escape)
        injected='who = "w\\xf6rld \\u2713 \\u65e5\\u672c"\nn = 3\n',
        stdout="héllo ✓ 日本 wörld ✓ 日本\n",
    ),
    "kernel_python3": Case(("import sys\nprint(sys.version_info[0])",), stdout="3\n"),
    # jupyter_client resolves the name "python" to the native Python kernel
    "kernel_python": Case(
        ("import sys\nprint(sys.version_info[0])",), kernel="python", stdout="3\n"
    ),
    "kernel_custom": Case(
        ("import os\nprint(os.environ['COMPAT_KERNEL'])",),
        kernel="compat-custom",
        custom_kernel=True,
        stdout="custom kernel ✓\n",  # set by the custom kernelspec's env: its kernel ran
    ),
    # No R kernel is installed: a run that followed language_info would fail to start.
    "language_info_disagrees": Case(
        ("import sys\nprint(sys.version_info[0])",),
        edit=_r_language_info,
        as_step_parameters=True,
        stdout="3\n",
    ),
    "language_info_disagrees_run_parameters": Case(
        ("import sys\nprint(sys.version_info[0])",), edit=_r_language_info, stdout="3\n"
    ),
}

#: Genuine mismatches, each failing today for its reason (strict: a fix shows as XPASS).
#: None left: `python` resolves to the native kernel, and run parameters are read in the
#: language of the kernel that runs the notebook, whatever its language_info says.
MARKS: dict[str, pytest.MarkDecorator] = {}


def write_case(folder: Path, case: Case) -> Path:
    path = write_notebook(
        folder / "nb.ipynb", case.parameters_cell, *case.cells, kernel=case.kernel
    )
    if case.edit is not None:
        nb = nbformat.read(path, as_version=4)
        case.edit(nb)
        # nbformat.write would add ids back to a 4.4 notebook's cells: write the JSON as is
        path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
        if case.edit is _as_nbformat_44:
            written = json.loads(path.read_text(encoding="utf-8"))
            assert written["nbformat_minor"] == 4
            assert not any("id" in cell for cell in written["cells"])
    return path


def install_custom_kernel(jupyter_path: Path, name: str) -> None:
    """A kernelspec only this test knows: the venv's ipykernel, marked through its env."""
    folder = jupyter_path / "kernels" / name
    folder.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Custom",
        "language": "python",
        "env": {"COMPAT_KERNEL": "custom kernel ✓"},
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


def run_papermill(
    folder: Path, notebook: Path, params: Parameters, env: dict[str, str]
) -> tuple[int, nbformat.NotebookNode, str]:
    out = folder / "papermill-out.ipynb"
    args = [sys.executable, "-m", "papermill", str(notebook), str(out), "--no-progress-bar"]
    for name, value in params.items():
        args += ["-p", name, str(value)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=folder, env=env)
    return result.returncode, nbformat.read(out, as_version=4), result.stderr


def run_orch(
    folder: Path, notebook: Path, case: Case, env: dict[str, str]
) -> tuple[int, dict[str, Any], nbformat.NotebookNode, str]:
    step: dict[str, Any] = {"name": "nb", "notebook": notebook.name}
    pipeline: dict[str, Any] = {"name": "compat", "steps": [step]}
    args: list[str] = []
    if case.as_step_parameters:
        step["parameters"] = case.parameters
    else:
        # declared with values of the same types; -p name=value reads the value as YAML
        pipeline["parameters"] = {
            k: "" if isinstance(v, str) else 0 for k, v in case.parameters.items()
        }
        for name, value in case.parameters.items():
            args += ["-p", f"{name}={value}"]
    # JSON is YAML; ensure_ascii=False keeps the non-ASCII values as the user would write them
    path = write_pipeline(folder, json.dumps(pipeline, ensure_ascii=False))
    result = subprocess.run(
        command(folder, "run", str(path), *args, "--json"),
        capture_output=True,
        text=True,
        timeout=180,
        cwd=folder,
        env=env,
    )
    assert result.stdout, result.stderr
    record = json.loads(result.stdout)
    output = record["steps"][0]["attempts"][0]["output_notebook"]
    return result.returncode, record, nbformat.read(output, as_version=4), result.stderr


#: A duration as IPython prints it (``%time``: "Wall time: 5.25 μs", "sys: 1e+03 ns").
DURATION = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*(?:ns|[µμ]s|ms|s)\b")


def output_shape(output: dict[str, Any]) -> dict[str, Any]:
    """An output without what varies between runs (tracebacks hold paths and ANSI colours)."""
    shape: dict[str, Any] = {"type": output["output_type"]}
    if output["output_type"] == "stream":
        shape.update(name=output["name"], text=DURATION.sub("<duration>", output["text"]))
    elif output["output_type"] == "error":
        shape.update(ename=output["ename"], evalue=output["evalue"])
    else:
        shape.update(data=sorted(output.get("data", {})))
    return shape


def cell_shape(cell: nbformat.NotebookNode) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "type": cell.cell_type,
        "has_id": "id" in cell,
        "tags": list(cell.metadata.get("tags", [])),
        "source": cell.source,
        "metadata": sorted(cell.metadata),
        "papermill": sorted(cell.metadata.get("papermill", {})),
        "status": cell.metadata.get("papermill", {}).get("status"),
        "exception": cell.metadata.get("papermill", {}).get("exception"),
    }
    if cell.cell_type == "code":
        shape["execution_count"] = cell.execution_count
        shape["outputs"] = [output_shape(o) for o in cell.outputs]
    return shape


#: What papermill records on the notebook and on each code cell it ran or skipped.
NOTEBOOK_PAPERMILL_KEYS = [
    "default_parameters",
    "duration",
    "end_time",
    "environment_variables",
    "exception",
    "input_path",
    "output_path",
    "parameters",
    "start_time",
    "version",
]
CELL_PAPERMILL_KEYS = ["duration", "end_time", "exception", "start_time", "status"]


def notebook_shape(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """What two executions of one notebook must share: no timings, paths or versions."""
    papermill = nb.metadata.get("papermill", {})
    return {
        "nbformat": (nb.nbformat, nb.nbformat_minor),
        "metadata": sorted(nb.metadata),
        "papermill": sorted(papermill),
        "parameters": papermill.get("parameters"),
        "default_parameters": papermill.get("default_parameters"),
        "exception": papermill.get("exception"),
        "kernelspec": dict(nb.metadata.get("kernelspec", {})),
        # the kernel that ran rewrites language_info: "python" says which language it was
        "language": nb.metadata.get("language_info", {}).get("name"),
        "cells": [cell_shape(c) for c in nb.cells],
    }


def injected_source(case: Case) -> str:
    """The parameters cell papermill writes for a Python kernel."""
    if case.injected is not None:
        return "# Parameters\n" + case.injected
    lines = [
        f'{name} = "{value}"' if isinstance(value, str) else f"{name} = {value}"
        for name, value in case.parameters.items()
    ]
    return "# Parameters\n" + "\n".join(lines) + "\n"


def stdout_text(shape: dict[str, Any]) -> str:
    return "".join(
        output["text"]
        for cell in shape["cells"]
        for output in cell.get("outputs", [])
        if output["type"] == "stream" and output["name"] == "stdout"
    )


@dataclass
class Runs:
    """The same notebook run by papermill and by ``jupyter orch run``."""

    papermill_code: int
    papermill_notebook: nbformat.NotebookNode
    papermill_stderr: str
    our_code: int
    record: dict[str, Any]
    our_notebook: nbformat.NotebookNode
    our_stderr: str


def run_both(tmp_path: Path, case: Case) -> Runs:
    env = dict(os.environ)
    if case.custom_kernel:
        jupyter_path = tmp_path / "jupyter-path"
        install_custom_kernel(jupyter_path, case.kernel)
        env["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(jupyter_path), env.get("JUPYTER_PATH")])
        )
    pm_folder, our_folder = tmp_path / "papermill", tmp_path / "orch"
    pm = run_papermill(pm_folder, write_case(pm_folder, case), case.parameters, env)
    ours = run_orch(our_folder, write_case(our_folder, case), case, env)
    return Runs(*pm, *ours)


def assert_same_outcome(runs: Runs, succeeds: bool) -> None:
    assert (runs.papermill_code == 0) is succeeds, runs.papermill_stderr
    step = runs.record["steps"][0]
    if succeeds:
        assert runs.our_code == 0, runs.our_stderr
        assert runs.record["status"] == "succeeded" and step["status"] == "succeeded"
    else:
        assert runs.our_code == 1, runs.our_stderr
        assert runs.record["status"] == "failed" and step["status"] == "failed"


@pytest.mark.parametrize("name", [pytest.param(n, marks=MARKS.get(n, ()), id=n) for n in CASES])
def test_papermill_and_a_pipeline_step_agree(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    runs = run_both(tmp_path, case)
    assert_same_outcome(runs, case.succeeds)
    pm_shape = notebook_shape(runs.papermill_notebook)
    our_shape = notebook_shape(runs.our_notebook)
    assert our_shape == pm_shape

    # the shape compared is papermill's: its metadata, notebooks upgraded to 4.5 with cell ids
    # (the 4.4 case's input has none), Python ran whatever language_info said
    assert pm_shape["papermill"] == NOTEBOOK_PAPERMILL_KEYS
    assert pm_shape["nbformat"] == (4, 5) and all(c["has_id"] for c in pm_shape["cells"])
    assert pm_shape["language"] == "python"
    code_cells = [c for c in pm_shape["cells"] if c["type"] == "code"]
    assert all(c["papermill"] == CELL_PAPERMILL_KEYS for c in code_cells)
    if case.stops_early:
        assert_stopped_at_system_exit_0(pm_shape)
    elif case.succeeds:
        assert all(c["status"] == "completed" for c in code_cells)
        assert pm_shape["exception"] is None

    # and the shape is papermill's documented one: the injected cell right after the
    # parameters cell, or first when there is none
    tags = [cell["tags"] for cell in pm_shape["cells"]]
    injected = tags.index(["injected-parameters"])
    if case.parameters_cell is None:
        assert injected == 0
    else:
        assert tags[injected - 1] == ["parameters"]
    assert pm_shape["cells"][injected]["source"] == injected_source(case)
    if case.stdout is not None:
        assert stdout_text(our_shape) == case.stdout
    if not case.succeeds:
        assert_error_markers(our_shape)


def assert_error_markers(shape: dict[str, Any]) -> None:
    """papermill's failure markers: a tagged markdown cell first and one right before the
    failing cell, which is the only one with an error output; the cells after it not run."""
    cells = shape["cells"]
    failing = [
        i for i, c in enumerate(cells) if any(o["type"] == "error" for o in c.get("outputs", []))
    ]
    assert len(failing) == 1
    (at,) = failing
    markers = [i for i, c in enumerate(cells) if c["tags"] == ["papermill-error-cell-tag"]]
    assert markers == [0, at - 1]
    assert all(cells[i]["type"] == "markdown" for i in markers)
    assert cells[at]["status"] == "failed" and cells[at]["exception"] is True
    assert shape["exception"] is True
    assert all(c["execution_count"] is None for c in cells[at + 1 :] if c["type"] == "code")


def assert_stopped_at_system_exit_0(shape: dict[str, Any]) -> None:
    cells = shape["cells"]
    assert not any(c["tags"] == ["papermill-error-cell-tag"] for c in cells)
    (at,) = [i for i, c in enumerate(cells) if c["status"] == "failed"]
    assert {"type": "error", "ename": "SystemExit", "evalue": "0"} in cells[at]["outputs"]
    assert shape["exception"] is True
    assert all(c["status"] == "pending" and c["execution_count"] is None for c in cells[at + 1 :])


def without_injected_cell(shape: dict[str, Any]) -> dict[str, Any]:
    """``shape`` as it is when no parameters were passed: no injected cell, no parameters in
    the metadata, and the execution counts one lower after it."""
    cells = [dict(c) for c in shape["cells"] if c["tags"] != ["injected-parameters"]]
    count = 0
    for cell in cells:
        if cell["type"] == "code" and cell["execution_count"] is not None:
            count += 1
            cell["execution_count"] = count
    return {**shape, "cells": cells, "parameters": {}}


def test_run_parameters_reach_only_a_notebook_that_declares_them(tmp_path: Path) -> None:
    """Where a pipeline step differs from papermill on purpose: ``jupyter orch run -p`` sets
    the pipeline's parameters, and a step's notebook gets only those its parameters cell
    declares (DESIGN.md), so a notebook without a parameters cell gets none of them, where
    ``papermill -p`` injects them at the top. The step's own ``parameters:`` are the pipeline
    way to do what ``papermill -p`` does (the ``no_parameters_cell`` case above)."""
    case = Case(("print('ran')",), parameters_cell=None)
    runs = run_both(tmp_path, case)
    assert_same_outcome(runs, succeeds=True)
    pm_shape = notebook_shape(runs.papermill_notebook)
    assert pm_shape["cells"][0]["tags"] == ["injected-parameters"]
    assert pm_shape["parameters"] == case.parameters
    assert notebook_shape(runs.our_notebook) == without_injected_cell(pm_shape)
