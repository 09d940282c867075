"""A pipeline's trends in a real browser: ten finished runs of a two-step pipeline (two of them
failed by a parameter), opened from the pipeline's row: the duration chart has a bar per run, the
slowest step is named, the failure rate is 20%, and each step's peak memory shows; a run that
finishes while the page is open joins the chart. The palette's command opens the trends of a
pipeline without runs: its empty state, open again after a reload.

It uses tests/ui/conftest.py's `jupyter lab`, with pipelines and a folder of their own. The
steps are Python functions (no kernel to start), so that the runs take a second or two.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ..helpers import wait_for
from .conftest import Lab, LabServer
from .lab_helpers import (
    expect,
    main_area,
    open_panel,
    pick_from_palette,
    pipeline_row,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

STEPS = """\
import time


def extract():
    time.sleep(0.05)
    return {"rows": 3}


def transform(fail=False):
    time.sleep(0.4)
    if str(fail).lower() == "true":
        raise ValueError("asked to fail")
    return {"done": True}
"""

PIPELINE = """\
name: {name}
description: Runs whose trends the trends page shows (tests/ui).
parameters: {{fail: false}}
steps:
  - {{name: extract, python: "steps.py:extract"}}
  - {{name: transform, python: "steps.py:transform", needs: [extract],
     parameters: {{fail: "{{{{ params.fail }}}}"}}}}
"""

RUNS = 10
#: The runs (by their order, from 0) that a parameter makes fail.
FAILING = {3, 7}
MEMORY = re.compile(r"^\d+(\.\d)? (kB|MB|GB)$")


def register(server: LabServer, name: str) -> str:
    folder = server.root / name
    folder.mkdir(exist_ok=True)
    (folder / "steps.py").write_text(STEPS)
    body = {"path": f"{name}/pipeline.yaml", "yaml": PIPELINE.format(name=name)}
    return str(server.request("POST", "/orch/pipelines", body)["name"])


def start_run(server: LabServer, name: str, fail: bool = False) -> str:
    body = {"parameters": {"fail": fail}, "trigger": "api"}
    return str(server.request("POST", f"/orch/pipelines/{name}/runs", body)["id"])


@pytest.fixture(scope="module")
def trendy(lab_server: LabServer) -> str:
    """The pipeline ``trendy`` with ten finished runs, the 4th and the 8th failed."""
    name = register(lab_server, "trendy")
    ids = [start_run(lab_server, name, fail=i in FAILING) for i in range(RUNS)]
    runs = [wait_run(lab_server, run_id, 60) for run_id in ids]
    assert [r["status"] for r in runs] == [
        "failed" if i in FAILING else "succeeded" for i in range(RUNS)
    ], [r.get("error") for r in runs]
    return name


def trends_page(lab: Lab, name: str) -> Any:
    return main_area(lab).locator(f"#jp-orch-trends-{name}")


def test_a_pipelines_trends_show_its_runs_steps_failures_and_memory(trendy: str, lab: Lab) -> None:
    name = trendy
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    pipeline_row(lab, name).get_by_role("button", name=f"Trends of {name}", exact=True).click()
    page = trends_page(lab, name)
    expect(page).to_be_visible()
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{name} · trends")

    durations = page.get_by_role("img", name="Run durations", exact=True)
    expect(durations.locator("g[data-run]")).to_have_count(RUNS)
    expect(durations.locator('g[data-run][data-status="failed"]')).to_have_count(len(FAILING))
    expect(durations.locator("circle[data-point]")).to_have_count(RUNS)
    # Each run's bar stacks both steps; the slowest one's parts are marked
    expect(durations.locator('rect[data-step="transform"].jp-mod-slowest')).to_have_count(RUNS)
    expect(durations.locator('rect[data-step="extract"]')).to_have_count(RUNS)

    slowest = page.locator('[data-fact="slowest"]')
    expect(slowest.locator(".jp-OrchTrends-factValue")).to_have_text("transform")
    expect(page.locator('.jp-OrchTrends-legend li[data-step="transform"]')).to_contain_text(
        "slowest"
    )
    failures = page.locator('[data-fact="failure-rate"]')
    expect(failures.locator(".jp-OrchTrends-factValue")).to_have_text("20%")
    expect(failures).to_contain_text("2 of 10 runs failed")

    memory = page.get_by_role("img", name="Peak memory per step", exact=True)
    expect(memory.locator("g[data-step]")).to_have_count(2)
    for step in ("extract", "transform"):
        row = page.locator(f'.jp-OrchTrends-steps tr[data-step="{step}"]')
        expect(row.locator("td").nth(3)).to_have_text(MEMORY)  # median peak memory
        expect(row.locator("td").nth(4)).to_have_text(MEMORY)  # largest
    # The charts' words, for screen readers
    expect(page.locator(".jp-OrchTrends-summaryText").first).to_contain_text("10 finished runs")
    lab.screenshot("trends")

    # A run that finishes while the page is open joins the chart (the panel's poll tells it)
    run_id = start_run(lab.server, name)
    assert wait_run(lab.server, run_id, 30)["status"] == "succeeded"
    expect(durations.locator("g[data-run]")).to_have_count(RUNS + 1, timeout=30_000)
    expect(failures.locator(".jp-OrchTrends-factValue")).to_have_text("18.2%")


def test_the_palette_opens_the_trends_of_a_pipeline_without_runs(
    lab_server: LabServer, lab: Lab
) -> None:
    name = register(lab_server, "trendless")
    # The question offers the server's pipelines: the panel was never opened in this page
    pick_from_palette(lab, "Show Pipeline Trends…", name)
    page = trends_page(lab, name)
    expect(page.get_by_role("status")).to_contain_text(f"{name} has no finished runs yet")
    expect(page.locator("svg[role=img]")).to_have_count(0)

    # After a reload the page is open again, restored with its pipeline (once the workspace,
    # which JupyterLab saves a moment after a change, has it)
    workspace = f"/lab/api/workspaces/{lab.workspace}"
    assert wait_for(
        lambda: f"jupyter-orch-trends:{name}" in lab.server.request("GET", workspace)["data"], 10
    ), "the workspace never had the trends page"
    lab.page.reload()
    expect(trends_page(lab, name).get_by_role("status")).to_contain_text(
        "no finished runs yet", timeout=60_000
    )
