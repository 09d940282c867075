"""Output notebooks outside the server's root, in a real browser: with ``runs_dir`` a shared
folder the contents API cannot reach, a failed step's output notebook still opens from the run
detail, through the lab's ``OrchRuns`` drive (``/orch/runs/{id}/notebooks/{name}``): read-only,
with no kernel, scrolled to the cell that failed; saving is refused; it opens again after a
reload; "Open as a copy to edit" writes an editable copy into the root folder and opens it with
a kernel, and the run's notebook stays as it was. The comparison of two runs' notebooks links
each of them the same way.

These tests run their own ``jupyter lab`` (not tests/ui/conftest.py's): its ``runs_dir`` is
outside its root.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_orch.run_folders import STAGING_ENV

from ..test_reliability import wait_for
from .conftest import Lab, LabServer, open_lab, serving
from .lab_helpers import dialog, expect, main_area, open_panel, toast, wait_run
from .test_output_notebooks_ui import (
    CELLS_BEFORE,
    COPY,
    ERROR,
    FAILED_CELL,
    expect_opened_at_error,
    open_failed,
    sessions,
    tab_of,
    write_late_failure,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

PIPELINE = """\
name: shared-failure
description: A report that fails in its 21st cell, its run folder outside the server's root.
defaults:
  retries: 0
steps:
  - name: long_report
    notebook: long.ipynb
"""
NOTEBOOK_NAME = "long_report.ipynb"
#: A notebook's own toolbar (an active cell of an editable notebook has a toolbar too).
TOOLBAR = ".jp-NotebookPanel-toolbar"


@pytest.fixture(scope="module", params=["folder", "url"])
def shared_runs_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """JupyterLab whose ``runs_dir`` is ``<base>/shared-runs``, beside its root, not in it: the
    folder, or its ``file://`` URL (as an ``s3://`` one behaves: staged in ``<base>/staging``)."""
    base = tmp_path_factory.mktemp("lab-shared-runs")
    runs = base / "shared-runs"
    runs.mkdir()
    remote = request.param == "url"
    runs_dir = runs.as_uri() if remote else str(runs)
    env = {STAGING_ENV: str(base / "staging")} if remote else None
    server = LabServer(base, (f"--OrchApp.runs_dir={runs_dir}",), env=env)
    with serving(server, "the shared runs_dir tests' server"):
        yield server


@pytest.fixture
def shared_lab(
    browser: Any, shared_runs_server: LabServer, request: pytest.FixtureRequest
) -> Iterator[Lab]:
    with open_lab(browser, shared_runs_server, request) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared_failure(shared_runs_server: LabServer) -> str:
    """The pipeline that fails, registered once for the module's tests."""
    server = shared_runs_server
    folder = server.root / "shared_failure"
    folder.mkdir(exist_ok=True)
    write_late_failure(folder / "long.ipynb")
    (folder / "pipeline.yaml").write_text(PIPELINE)
    registered = server.request("POST", "/orch/pipelines", {"path": "shared_failure/pipeline.yaml"})
    return str(registered["name"])


def failed_run(server: LabServer, pipeline: str) -> tuple[dict[str, Any], Path]:
    """A failed run of ``pipeline``, and its output notebook in the shared runs folder."""
    run = server.request("POST", f"/orch/pipelines/{pipeline}/runs", {"trigger": "api"})
    run = wait_run(server, run["id"], 60)
    assert run["status"] == "failed"
    attempt = run["steps"][0]["attempts"][-1]
    # Outside the root: no path the contents API knows, only its name in the run's folder
    assert attempt["output_notebook"] is None
    assert attempt["output_notebook_name"] == NOTEBOOK_NAME
    [path] = (server.base / "shared-runs").rglob(f"{run['id']}/{NOTEBOOK_NAME}")
    return run, path


def workspace_text(server: LabServer, workspace: str) -> str:
    """The lab's saved workspace, as text (what a reload restores)."""
    return json.dumps(server.request("GET", f"/lab/api/workspaces/{workspace}"))


def open_run(lab: Lab, run_id: str) -> Any:
    """The run's detail, opened from the sidebar."""
    open_panel(lab).locator(f'[data-run-id="{run_id}"]').click()
    detail = main_area(lab).locator(f"#jp-orch-run-{run_id}")
    expect(detail).to_be_visible()
    return detail


def test_a_notebook_outside_the_root_opens_read_only_at_its_error(
    shared_runs_server: LabServer, shared_failure: str, shared_lab: Lab
) -> None:
    lab, server = shared_lab, shared_runs_server
    page = lab.page
    page.set_viewport_size({"width": 1600, "height": 1000})
    run, path = failed_run(server, shared_failure)
    # At a URL, the server reads it there: nothing of the run is left in the staging folder
    shutil.rmtree(server.base / "staging", ignore_errors=True)
    drive_path = f"OrchRuns:{run['id']}/{NOTEBOOK_NAME}"
    recorded = path.read_bytes()
    before = sessions(server)

    # The run detail's failure banner opens it, as it opens a notebook under the root
    detail = open_run(lab, run["id"])
    expect(detail.locator(".jp-OrchRunDetail-failedStep")).to_contain_text(
        f"{ERROR} (at In [{CELLS_BEFORE + 1}])"
    )
    open_failed(detail, "long_report").click()
    notebook = expect_opened_at_error(lab, ERROR)
    failed = notebook.locator(FAILED_CELL)
    expect(failed.locator(".jp-InputPrompt")).to_contain_text(f"[{CELLS_BEFORE + 1}]")
    expect(notebook.locator(TOOLBAR)).to_contain_text("read-only")
    tab = tab_of(lab, NOTEBOOK_NAME, ".lm-mod-current")
    expect(tab).to_have_count(1)
    assert sessions(server) == before, "opening the output notebook started a kernel"

    # Nothing saves it: typing changes nothing, Ctrl+S says it is read-only
    failed.locator(".jp-InputArea-editor").click()
    page.keyboard.type("oops")
    expect(failed.locator(".jp-InputArea-editor")).not_to_contain_text("oops")
    expect(tab).not_to_have_class("jp-mod-dirty")
    page.keyboard.press("Control+s")
    expect(toast(lab, "is read-only")).to_have_count(1)
    expect(dialog(lab)).to_have_count(0)
    assert path.read_bytes() == recorded

    # A reload opens it again, read-only at its error
    assert wait_for(lambda: drive_path in workspace_text(server, lab.workspace), 15), (
        "the workspace never recorded the open output notebook"
    )
    lab.goto()
    expect_opened_at_error(lab, ERROR)
    assert sessions(server) == before

    # A copy to edit: in the root folder, opened as any notebook, with a kernel
    notebook = main_area(lab).locator(".jp-NotebookPanel.jp-OrchOutputNotebook:visible")
    notebook.locator(TOOLBAR).get_by_role("button", name=COPY, exact=True).click()
    copy = f"long_report-{run['id'][-8:]}-copy.ipynb"
    editable = main_area(lab).locator(".jp-NotebookPanel:not(.jp-OrchOutputNotebook):visible")
    expect(editable).to_be_visible(timeout=30_000)
    expect(tab_of(lab, copy, ".lm-mod-current")).to_have_count(1)
    expect(editable.locator(TOOLBAR)).not_to_contain_text("read-only")
    copied = nbformat.reads((server.root / copy).read_text(), as_version=4)
    assert any(
        output.get("ename") == "ValueError"
        for cell in copied.cells
        for output in cell.get("outputs", [])
    ), "the copy lost the run's outputs"
    deadline = time.monotonic() + 30
    while not (started := [s for s in sessions(server) if s["path"] == copy]):
        assert time.monotonic() < deadline, "the copy got no kernel"
        time.sleep(0.5)
    server.request("DELETE", f"/api/sessions/{started[0]['id']}")
    assert path.read_bytes() == recorded


def test_compared_notebooks_outside_the_root_open_read_only(
    shared_runs_server: LabServer, shared_failure: str, shared_lab: Lab
) -> None:
    """The cell-by-cell comparison names each run's notebook by its file name (it has no path
    under the root); its links open that run's notebook through the runs drive."""
    lab, server = shared_lab, shared_runs_server
    lab.page.set_viewport_size({"width": 1600, "height": 1000})
    first, _ = failed_run(server, shared_failure)
    second, _ = failed_run(server, shared_failure)
    before = sessions(server)

    detail = open_run(lab, second["id"])
    detail.get_by_role("button", name="Compare with…", exact=True).click()
    previous = detail.get_by_role("menu", name="Compare with").get_by_role("menuitem").first
    expect(previous).to_have_attribute("data-key", first["id"])
    previous.click()
    comparison = main_area(lab).locator(f"#jp-orch-compare-{first['id']}-{second['id']}")
    step = comparison.locator('tbody[data-step="long_report"]')
    step.get_by_role("button", name="Compare notebooks", exact=True).click()
    notebooks = main_area(lab).locator(
        f"#jp-orch-compare-nb-{first['id']}-{second['id']}-long_report"
    )
    links = notebooks.locator(".jp-OrchCompare-summary .jp-OrchCompare-link")
    expect(links).to_have_count(2, timeout=30_000)
    expect(links.first).to_have_text(NOTEBOOK_NAME)
    links.first.click()

    expect_opened_at_error(lab, ERROR)
    # The first run's notebook: JupyterLab's tab caption gives the document's path
    tab = tab_of(lab, NOTEBOOK_NAME, ".lm-mod-current")
    expect(tab).to_have_attribute(
        "title", re.compile(re.escape(f"OrchRuns:{first['id']}/{NOTEBOOK_NAME}"))
    )
    assert sessions(server) == before, "opening the output notebook started a kernel"
