"""The notebook widgets in a real browser: a notebook in JupyterLab, its kernel launched by the
lab's server, shows ``RunMonitor`` with the pipeline's runs; a run asked for through the REST
API appears and turns `succeeded` without a reload; ``RunButton``'s form starts a run that the
monitor shows too. The widgets find the server from the kernel (its runtime files), as a user's
notebook does.

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import nbformat
import pytest

from ..conftest import write_notebook
from .conftest import Lab, LabServer
from .lab_helpers import PlaywrightTimeout, dialog, expect, main_area, run_command, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

NAME = "widget-watch"
FOLDER = "widgets_ui"
PIPELINE = f"""\
name: {NAME}
description: Greets after a pause (tests/ui/test_widgets_ui.py).
parameters: {{who: world, pause: 0.0}}
steps:
  - name: greet
    notebook: greet.ipynb
"""
CELLS = [
    f'from jupyter_orch.widgets import RunButton, RunMonitor\nRunMonitor("{NAME}", interval=0.5)',
    f'RunButton("{NAME}")',
]


@pytest.fixture(scope="module")
def watched(lab_server: LabServer) -> Iterator[str]:
    """The pipeline registered with one finished run, and a notebook showing its widgets; its
    kernel (polling the server) is shut down afterwards. The id of that first run."""
    folder = lab_server.root / FOLDER
    write_notebook(
        folder / "greet.ipynb",
        "who = 'nobody'\npause = 0.0",
        "import time\ntime.sleep(pause)\nprint(f'hello {who}')",
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folder / "widgets.ipynb")
    lab_server.request(
        "POST", "/orch/pipelines", {"path": f"{FOLDER}/pipeline.yaml", "yaml": PIPELINE}
    )
    first = lab_server.request("POST", f"/orch/pipelines/{NAME}/runs", {})["id"]
    assert wait_run(lab_server, first, 60)["status"] == "succeeded"
    yield str(first)
    for session in lab_server.request("GET", "/api/sessions"):
        if session["path"].startswith(f"{FOLDER}/"):
            lab_server.request("DELETE", f"/api/sessions/{session['id']}")


def start_kernel(lab: Lab) -> None:
    """Waits for the notebook's kernel; JupyterLab may ask which kernel to start (it offers
    the notebook's own, Python 3): Select."""
    box = dialog(lab).filter(has_text="Select Kernel")
    idle = lab.page.locator(".jp-StatusBar-TextItem", has_text="| Idle")
    with contextlib.suppress(PlaywrightTimeout):
        box.or_(idle).first.wait_for(state="visible", timeout=30_000)
    if box.is_visible():
        box.get_by_role("button", name="Select", exact=True).click()
        expect(box).to_have_count(0)
    expect(idle).to_be_visible(timeout=30_000)


def run_row(lab: Lab, widget: str, run_id: str) -> Any:
    return lab.page.locator(f'.{widget} tr.jp-orch-run[data-run-id="{run_id}"]')


def test_a_run_monitor_in_a_notebook_follows_a_new_run_and_a_run_button_starts_one(
    lab: Lab, watched: str
) -> None:
    lab.goto(f"{FOLDER}/widgets.ipynb")
    notebook = main_area(lab).locator(".jp-NotebookPanel:visible")
    expect(notebook).to_be_visible(timeout=30_000)
    start_kernel(lab)
    run_command(lab, "Run All Cells")

    # The monitor shows the run made before, with a link to its output notebook
    monitor = notebook.locator(".jp-orch-RunMonitor")
    first = run_row(lab, "jp-orch-RunMonitor", watched)
    expect(first).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(monitor.locator(".jp-orch-title")).to_contain_text(NAME)
    run = lab.server.request("GET", f"/orch/runs/{watched}")
    [step] = run["steps"]
    output = step["attempts"][-1]["output_notebook"]
    link = first.locator('[data-step="greet"] a')
    expect(link).to_have_attribute("href", "/lab?" + urlencode({"orch-output": output}))
    expect(link).to_have_attribute("target", "_blank")
    expect(first.locator(".jp-orch-col-run a")).to_have_text(f"#{run['number']}")

    # A run asked for elsewhere appears, runs and succeeds on the page, without a reload
    lab.page.evaluate("() => { window.__orchNotReloaded = true; }")
    started = time.monotonic()
    second = lab.server.request(
        "POST", f"/orch/pipelines/{NAME}/runs", {"parameters": {"pause": 3.0}}
    )["id"]
    row = run_row(lab, "jp-orch-RunMonitor", second)
    expect(row).to_have_attribute("data-status", "running", timeout=15_000)
    expect(row.locator('[data-step="greet"]')).to_have_attribute("data-status", "running")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(row.locator('[data-step="greet"] a')).to_have_count(1)
    expect(monitor.locator("tbody tr").first).to_have_attribute("data-run-id", second)
    assert wait_run(lab.server, second, 5)["status"] == "succeeded"
    assert time.monotonic() - started < 30
    assert lab.page.evaluate("() => window.__orchNotReloaded") is True

    # The button's form, filled and run: the run shows in the button and in the monitor
    button = notebook.locator(".jp-orch-RunButton")
    who = button.get_by_label("who", exact=True)
    expect(who).to_have_value("world")
    expect(button.get_by_label("pause", exact=True)).to_have_value("0")
    who.fill("browser")
    who.press("Tab")  # ipywidgets sends a text field's value on change (blur or Enter)
    run_button = button.locator("button.jp-orch-run-button")
    expect(run_button).to_have_text("Run")
    run_button.click()
    started_row = button.locator("tr.jp-orch-run")
    expect(started_row).to_have_count(1, timeout=15_000)
    third = started_row.get_attribute("data-run-id")
    assert third and third not in (watched, second)
    expect(started_row).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(run_row(lab, "jp-orch-RunMonitor", third)).to_have_attribute(
        "data-status", "succeeded", timeout=10_000
    )
    made = lab.server.request("GET", f"/orch/runs/{third}")
    assert made["trigger"] == "manual"
    assert made["parameters"] == {"who": "browser", "pause": 0.0}
    assert not [line for line in lab.console if "pageerror" in line], lab.console
    lab.screenshot("notebook-widgets", notebook)

    # A step's link opens its output notebook read-only in the lab (a new browser tab)
    with lab.page.context.expect_page() as opened:
        run_row(lab, "jp-orch-RunMonitor", watched).locator('[data-step="greet"] a').click()
    tab = opened.value
    output_view = tab.locator(".jp-NotebookPanel.jp-OrchOutputNotebook:visible")
    expect(output_view).to_have_count(1, timeout=60_000)
    expect(output_view.locator(".jp-Toolbar")).to_contain_text("read-only")
    tab.close()
