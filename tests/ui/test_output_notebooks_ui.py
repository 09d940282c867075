"""Output notebooks in a real browser: a failed run's notebooks open read-only, with no kernel,
scrolled to the cell that failed (which is outlined); closing one asks nothing; "Open as a copy
to edit" opens an editable copy with a kernel and leaves the run's notebook as it was.

The pipeline fails twice at once: a notebook step in a cell far below the first screen, and a
SQL query step (its generated notebook holds the error), so the failure banner lists both.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .conftest import Lab, LabServer
from .lab_helpers import STDERR, Gestures, dialog, expect, main_area, panel, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

PIPELINE = """\
name: late-failure
description: A report that fails in its 21st cell, and a query of a table that does not exist.
defaults:
  retries: 0
steps:
  - name: long_report
    notebook: long.ipynb
  - name: missing_table
    sql: SELECT * FROM no_such_table
    connection: warehouse
"""
#: Cells before the failing one, each printing a few lines: the error is far below the fold.
CELLS_BEFORE = 20
ERROR = "ValueError: the totals do not add up"
OUTPUT_NOTEBOOK = ".jp-NotebookPanel.jp-OrchOutputNotebook:visible"
FAILED_CELL = ".jp-OrchOutputNotebook-failedCell"
OPEN_FAILED = "Open failed step's output notebook"
COPY = "Open as a copy to edit"


def write_late_failure(path: Path) -> None:
    """The notebook that fails in its 21st cell, far below the first screen."""
    cells = [
        nbformat.v4.new_code_cell(f"for i in range(6):\n    print('part {n}, line', i)")
        for n in range(1, CELLS_BEFORE + 1)
    ]
    cells.append(nbformat.v4.new_code_cell("raise ValueError('the totals do not add up')"))
    cells.append(nbformat.v4.new_code_cell("print('never reached')"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


@pytest.fixture
def late_failure(lab_server: LabServer) -> str:
    folder = lab_server.root / "late_failure"
    folder.mkdir(exist_ok=True)
    write_late_failure(folder / "long.ipynb")
    (folder / "pipeline.yaml").write_text(PIPELINE)
    return str(
        lab_server.request("POST", "/orch/pipelines", {"path": "late_failure/pipeline.yaml"})[
            "name"
        ]
    )


def sessions(server: LabServer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.request("GET", "/api/sessions")
    return found


def on_first_screen(locator: Any, whole: bool = True, seconds: float = 10) -> None:
    """The element lies in the page's viewport once scrolling settles: wholly, or (an output
    taller than the screen) from its top with at least 100 px of it shown."""
    deadline = time.monotonic() + seconds
    while True:
        box = locator.evaluate(
            "e => { const r = e.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
            " width: innerWidth, height: innerHeight}; }"
        )
        bottom = box["bottom"] if whole else box["top"] + 100
        shown = box["top"] >= 0 and box["left"] >= 0 and box["right"] <= box["width"]
        if (shown and bottom <= box["height"]) or time.monotonic() > deadline:
            assert shown and bottom <= box["height"], f"not on the first screen: {box}"
            return
        time.sleep(0.2)


def tab_of(lab: Lab, label: str, current: str = "") -> Any:
    """The main area's tab whose label has ``label`` (``current=".lm-mod-current"``: if shown)."""
    return lab.page.locator(f"#jp-main-dock-panel .lm-TabBar-tab{current}").filter(has_text=label)


def open_failed(detail: Any, step: str, name: str = OPEN_FAILED) -> Any:
    """A link of the failure banner's line for ``step``."""
    line = detail.locator(f'.jp-OrchRunDetail-failedStep[data-step="{step}"]')
    return line.get_by_role("button", name=name, exact=True)


def expect_opened_at_error(lab: Lab, error: str, whole: bool = True) -> Any:
    """The read-only output notebook in view, its failed cell outlined with the error on screen
    (``whole``: all of it; else its start, for a traceback longer than the screen)."""
    notebook = main_area(lab).locator(OUTPUT_NOTEBOOK)
    expect(notebook).to_be_visible(timeout=30_000)
    failed = notebook.locator(FAILED_CELL)
    expect(failed).to_have_count(1, timeout=30_000)
    output = failed.locator(STDERR)
    expect(output).to_contain_text(error)
    on_first_screen(output, whole)
    return notebook


def test_a_failed_notebook_opens_read_only_at_its_error(late_failure: str, lab: Lab) -> None:
    page, server = lab.page, lab.server
    page.set_viewport_size({"width": 1600, "height": 1000})
    run = server.request("POST", f"/orch/pipelines/{late_failure}/runs", {"trigger": "api"})
    run = wait_run(server, run["id"], 60)
    assert run["status"] == "failed"
    errors = {s["name"]: s["attempts"][-1]["error"] for s in run["steps"]}
    assert errors["long_report"]["exec_count"] == CELLS_BEFORE + 1
    path = run["steps"][0]["attempts"][-1]["output_notebook"]
    recorded = (server.root / path).read_bytes()
    before = sessions(server)

    # From the sidebar to the error, three clicks: the Orchestration tab, the run, the failed
    # step's link. The failure banner lists both failed steps, each with its own links.
    gestures = Gestures()
    gestures.click(lab.orchestration_tab)
    gestures.click(panel(lab).locator(f'[data-run-id="{run["id"]}"]'))
    detail = main_area(lab).locator(f"#jp-orch-run-{run['id']}")
    failed_steps = detail.locator(".jp-OrchRunDetail-failedStep")
    expect(failed_steps).to_have_count(2)
    expect(failed_steps.get_by_role("button", name=OPEN_FAILED, exact=True)).to_have_count(2)
    expect(failed_steps.get_by_role("button", name=COPY, exact=True)).to_have_count(2)
    expect(failed_steps.first).to_contain_text(f"{ERROR} (at In [{CELLS_BEFORE + 1}])")
    gestures.click(open_failed(detail, "long_report"))

    notebook = expect_opened_at_error(lab, ERROR)
    assert gestures.count == 3, f"a failed run to its error took {gestures.count} clicks"
    failed = notebook.locator(FAILED_CELL)
    expect(failed.locator(".jp-InputPrompt")).to_contain_text(f"[{CELLS_BEFORE + 1}]")
    expect(notebook.locator(".jp-Toolbar")).to_contain_text("read-only")
    lab.screenshot("failed-notebook")
    # Typing into it changes nothing: read-only editors, a model that is never dirty
    failed.locator(".jp-InputArea-editor").click()
    page.keyboard.type("oops")
    expect(failed.locator(".jp-InputArea-editor")).not_to_contain_text("oops")
    tab = tab_of(lab, "long_report.ipynb", ".lm-mod-current")
    expect(tab).to_have_count(1)
    expect(tab).not_to_have_class("jp-mod-dirty")
    assert sessions(server) == before, "opening the output notebook started a kernel"

    # Closed without a question; opened again at 1400x900, still at its error
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    expect(notebook).to_have_count(0)
    expect(dialog(lab)).to_have_count(0)
    page.set_viewport_size({"width": 1400, "height": 900})
    expect(detail).to_be_visible()  # the tab shown again when the notebook's closed
    open_failed(detail, "long_report").click()
    expect_opened_at_error(lab, ERROR)

    # The query step's generated notebook opens the same way
    tab_of(lab, late_failure).click()
    open_failed(detail, "missing_table").click()
    expect_opened_at_error(lab, "no such table", whole=False)
    assert sessions(server) == before
    assert (server.root / path).read_bytes() == recorded

    # A copy to edit: another file, opened as any notebook, with a kernel
    tab_of(lab, late_failure).click()
    open_failed(detail, "long_report", COPY).click()
    copy = f"long_report-{run['id'][-8:]}-copy.ipynb"
    editable = main_area(lab).locator(".jp-NotebookPanel:not(.jp-OrchOutputNotebook):visible")
    expect(editable).to_be_visible(timeout=30_000)
    expect(tab_of(lab, copy, ".lm-mod-current")).to_have_count(1)
    assert (server.root / copy).is_file()
    deadline = time.monotonic() + 30
    while not (started := [s for s in sessions(server) if s["path"] == copy]):
        assert time.monotonic() < deadline, "the copy got no kernel"
        time.sleep(0.5)
    server.request("DELETE", f"/api/sessions/{started[0]['id']}")
    assert (server.root / path).read_bytes() == recorded
