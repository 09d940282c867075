"""Results in view, in a real browser: a run's detail shows under each step the files it wrote;
the chart inline, the CSV and Parquet files as their first rows (read when opened), each name
a link that opens the file in JupyterLab.

tests/ui/fixtures/artifacts: `report` (a notebook) writes sales.png and sales.csv into the run's
folder; `summary` (a function step) returns a DataFrame, written as summary.parquet.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import expect, main_area, open_panel, pipeline_row, run_from_panel, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

NAME = "sales-artifacts"


@pytest.fixture
def registered(lab_server: LabServer) -> str:
    answer = lab_server.request("POST", "/orch/pipelines", {"path": "artifacts/pipeline.yaml"})
    return str(answer["name"])


def step_card(detail: Any, step: str) -> Any:
    return detail.locator(f'section.jp-OrchRunDetail-step[data-step="{step}"]')


def natural_width(image: Any, seconds: float = 15) -> int:
    """The image's width as decoded (0 while it loads, or if it cannot be decoded)."""
    deadline = time.monotonic() + seconds
    while True:
        width = int(image.evaluate("img => img.complete ? img.naturalWidth : 0"))
        if width > 0 or time.monotonic() > deadline:
            return width
        time.sleep(0.2)


def test_a_runs_files_show_under_the_steps_that_wrote_them(registered: str, lab: Lab) -> None:
    open_panel(lab)
    expect(pipeline_row(lab, registered)).to_be_visible()
    run_id, detail = run_from_panel(lab, registered, {})
    run = wait_run(lab.server, run_id)
    assert run["status"] == "succeeded", run
    written = {s["name"]: [a["name"] for a in s["artifacts"]] for s in run["steps"]}
    assert written == {"report": ["sales.csv", "sales.png"], "summary": ["summary.parquet"]}

    report = step_card(detail, "report")
    files = report.get_by_role("list", name="Artifacts of report", exact=True)
    expect(files).to_be_visible(timeout=30_000)
    image = files.locator('[data-artifact="sales.png"] img')
    expect(image).to_be_visible()
    assert natural_width(image) > 0, "the chart did not decode"
    box = image.bounding_box()
    assert box is not None and box["width"] <= 320 and box["height"] <= 240

    table = files.locator('[data-artifact="sales.csv"]')
    table.get_by_text("First rows", exact=True).click()
    rows = table.locator("tbody tr")
    expect(table.locator("thead")).to_contain_text("region")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("north")
    expect(rows.first).to_contain_text("120")
    expect(table.locator("caption")).to_have_text("All 3 rows")

    summary = step_card(detail, "summary")
    parquet = summary.locator('[data-artifact="summary.parquet"]')
    parquet.get_by_text("First rows", exact=True).click()
    expect(parquet.locator("thead")).to_contain_text("double")  # Parquet says each type
    expect(parquet.locator("tbody tr")).to_have_count(3)
    expect(parquet.locator("caption")).to_have_text("First 3 rows of 3")

    lab.page.set_viewport_size({"width": 1366, "height": 1400})
    report.evaluate("card => card.scrollIntoView({block: 'start'})")
    lab.screenshot("artifacts", detail)

    # A name opens the file in JupyterLab (the CSV in its table viewer)
    table.get_by_role("button", name="sales.csv", exact=True).click()
    tab = main_area(lab).locator(".lm-TabBar-tab").filter(has_text="sales.csv")
    expect(tab).to_have_count(1)
    assert not [line for line in lab.console if line.startswith("pageerror")], lab.console
