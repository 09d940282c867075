"""Finding runs in a real browser (issue 16 item 6): the sidebar's search box narrows the
pipelines and the runs (``#2`` finds a run by its number), a date range leaves out the runs of
other days, times show their zone on hover, and a run's tab is titled with its number.

It uses tests/ui/conftest.py's `jupyter lab` (the browser's zone is Europe/Berlin), with a
pipeline and a folder of its own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import expect, main_area, open_panel, panel, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

FINDME = """\
name: findme
description: Two quick runs to search for (tests/ui).
steps:
  - {name: hello, python: "quick.py:hello"}
"""


@pytest.fixture
def findme_runs(lab_server: LabServer) -> list[str]:
    """The pipeline ``findme`` and two finished runs of it, oldest first (#1, #2)."""
    folder = lab_server.root / "findme"
    folder.mkdir(exist_ok=True)
    (folder / "quick.py").write_text('def hello():\n    return {"n": 1}\n')
    body = {"path": "findme/pipeline.yaml", "yaml": FINDME, "replace": True}
    lab_server.request("POST", "/orch/pipelines", body)
    runs = [lab_server.request("POST", "/orch/pipelines/findme/runs", {}) for _ in range(2)]
    for run in runs:
        finished = wait_run(lab_server, str(run["id"]))
        assert finished["status"] == "succeeded", finished["steps"]
    return [str(run["id"]) for run in runs]


def test_search_dates_zones_and_numbers(findme_runs: list[str], lab: Lab) -> None:
    open_panel(lab)
    sidebar = panel(lab)
    search = sidebar.get_by_label("Search pipelines and runs")
    search.fill("findme")
    expect(sidebar.locator(".jp-OrchPipeline")).to_have_count(1)
    expect(sidebar.locator(".jp-OrchPipeline")).to_have_attribute("data-pipeline", "findme")
    runs = sidebar.locator(".jp-OrchRun")
    expect(runs).to_have_count(2)
    expect(runs.locator(".jp-OrchRun-pipeline")).to_have_text(["findme", "findme"])

    # By number, within the pipeline
    sidebar.get_by_label("Pipeline", exact=True).select_option("findme")
    search.fill("#1")
    expect(runs).to_have_count(1)
    expect(runs.first).to_have_attribute("data-run-id", findme_runs[0])
    expect(sidebar.locator(".jp-OrchPipeline")).to_have_count(0)
    expect(sidebar.get_by_text("No pipelines match “#1”.")).to_be_visible()

    # The time's hover names its zone (the browser's: Europe/Berlin is CET or CEST)
    started = runs.first.locator(".jp-OrchRun-meta span").nth(1)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CET|CEST|GMT\+1|GMT\+2)",
        started.get_attribute("title") or "",
    ), started.get_attribute("title")

    # Days: from tomorrow finds nothing; from yesterday to tomorrow finds the run again
    from_date = sidebar.get_by_label("From date")
    to_date = sidebar.get_by_label("To date")
    tomorrow = date.today() + timedelta(days=2)
    from_date.fill(tomorrow.isoformat())
    expect(sidebar.get_by_text("No runs match these filters.")).to_be_visible()
    from_date.fill((date.today() - timedelta(days=1)).isoformat())
    to_date.fill(tomorrow.isoformat())
    expect(runs).to_have_count(1)

    # The run's tab says which run it is
    runs.first.click()
    detail = main_area(lab).locator(f"#jp-orch-run-{findme_runs[0]}")
    expect(detail).to_be_visible()
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text("findme #1")
    lab.screenshot("search", sidebar)
