"""Comparing runs in a real browser ("why did today's run produce a different number?"): two runs
of a one-notebook pipeline whose output depends on a parameter. From the newer run's detail,
"Compare with…" and its first choice, the previous run, open the comparison in two clicks: the
differing parameter and output are highlighted, the same ones are not, and "Compare notebooks"
shows the step's output notebooks cell by cell with the changed output. "Replay exactly" (in the
rerun menu) makes a run whose record says `exact: true`, of the same version.

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import Gestures, dialog, expect, main_area, toast, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

NAME = "compared"
PIPELINE = f"""\
name: {NAME}
description: Ten times n, recorded as the output total.
parameters: {{n: 1, label: daily}}
defaults:
  retries: 0
steps:
  - {{name: count, notebook: count.ipynb}}
"""
#: What the notebook records (a raw display: the kernel needs no jupyter_orch import).
RECORD = """\
from IPython.display import display
total = n * 10
display({"application/vnd.jupyter-orch.output+json": {"name": "total", "value": total},
         "text/plain": f"total = {total}"}, raw=True)
print(f"total is {total} ({label})")"""


def notebook() -> dict[str, Any]:
    def cell(index: int, source: str, tags: list[str] | None = None) -> dict[str, Any]:
        return {
            "cell_type": "code",
            "id": f"cell-{index}",
            "metadata": {"tags": tags} if tags else {},
            "source": source,
            "execution_count": None,
            "outputs": [],
        }

    return {
        "cells": [cell(0, "n = 1\nlabel = 'daily'", ["parameters"]), cell(1, RECORD)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def start_run(server: LabServer, n: int) -> dict[str, Any]:
    run: dict[str, Any] = server.request(
        "POST", f"/orch/pipelines/{NAME}/runs", {"parameters": {"n": n}, "trigger": "api"}
    )
    return run


@pytest.fixture(scope="module")
def two_runs(lab_server: LabServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs of ``compared`` with n=1 then n=2, both succeeded (total 10, then 20)."""
    folder = lab_server.root / NAME
    folder.mkdir(exist_ok=True)
    (folder / "count.ipynb").write_text(json.dumps(notebook(), indent=1))
    (folder / "pipeline.yaml").write_text(PIPELINE)
    lab_server.request("POST", "/orch/pipelines", {"path": f"{NAME}/pipeline.yaml"})
    first = wait_run(lab_server, start_run(lab_server, 1)["id"], 60)
    second = wait_run(lab_server, start_run(lab_server, 2)["id"], 60)
    for run in (first, second):
        assert run["status"] == "succeeded", run
    assert second["steps"][0]["attempts"][-1]["outputs"] == {"total": 20}
    return first, second


def open_run(lab: Lab, run_id: str) -> Any:
    """The run's detail, opened by a link to it (`/lab?orch-run=<id>`), as a notification's."""
    lab.page.goto(
        f"{lab.server.url}/lab/workspaces/{lab.workspace}"
        f"?token={lab.server.token}&orch-run={run_id}"
    )
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=60_000)
    detail = main_area(lab).locator(f"#jp-orch-run-{run_id}")
    expect(detail.locator(".jp-OrchRunDetail-title")).to_have_text(NAME)
    return detail


def test_compare_with_the_previous_run_in_two_clicks(
    two_runs: tuple[dict[str, Any], dict[str, Any]], lab: Lab
) -> None:
    first, second = two_runs
    lab.page.set_viewport_size({"width": 1400, "height": 900})
    detail = open_run(lab, second["id"])

    gestures = Gestures(lab)
    gestures.click(detail.get_by_role("button", name="Compare with…", exact=True))
    menu = detail.get_by_role("menu", name="Compare with")
    previous = menu.get_by_role("menuitem").first
    expect(previous).to_contain_text("previous run")
    expect(previous).to_have_attribute("data-key", first["id"])
    gestures.click(previous)

    comparison = main_area(lab).locator(f"#jp-orch-compare-{first['id']}-{second['id']}")
    expect(comparison).to_be_visible()
    assert gestures.count == 2, f"a run to its comparison took {gestures.count} clicks"
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{NAME} #{first['number']} ↔ #{second['number']}")
    expect(comparison.locator(".jp-OrchCompare-summary")).to_contain_text("1 parameter differs")

    # The differing parameter and output highlighted (and saying so); the same ones not
    n = comparison.locator('tr[data-parameter="n"]')
    expect(n).to_have_attribute("data-changed", "true")
    expect(n).to_have_class("jp-mod-changed")
    expect(n.locator("td").nth(0)).to_have_text("1")
    expect(n.locator("td").nth(1)).to_have_text("2")
    expect(n).to_contain_text("differs")
    label = comparison.locator('tr[data-parameter="label"]')
    expect(label).to_have_attribute("data-changed", "false")
    expect(label).not_to_contain_text("differs")
    step = comparison.locator('tbody[data-step="count"]')
    total = step.locator('tr[data-output="total"]')
    expect(total).to_have_attribute("data-changed", "true")
    expect(total.locator("td").nth(0)).to_have_text("10")
    expect(total.locator("td").nth(1)).to_have_text("20")
    expect(step.locator('tr[data-fact="status"]')).to_have_attribute("data-changed", "false")
    expect(comparison.locator('tr[data-fact="version"]')).to_have_attribute("data-changed", "false")
    lab.screenshot("compare-runs")

    # The step's two output notebooks cell by cell: the changed output, old and new
    step.get_by_role("button", name="Compare notebooks", exact=True).click()
    notebooks = main_area(lab).locator(f"#jp-orch-compare-nb-{first['id']}-{second['id']}-count")
    expect(notebooks).to_be_visible()
    diff = notebooks.locator(".jp-Notebook-diff")
    expect(diff).to_be_visible(timeout=30_000)
    expect(diff).to_contain_text("total is 20 (daily)")
    expect(diff).to_contain_text("total is 10 (daily)")
    lab.screenshot("compare-notebooks")


def test_replay_exactly_makes_an_exact_run_of_the_same_version(
    two_runs: tuple[dict[str, Any], dict[str, Any]], lab: Lab
) -> None:
    first, _ = two_runs
    server = lab.server
    detail = open_run(lab, first["id"])
    more = detail.get_by_role("button", name="More ways to rerun", exact=True)
    more.click()
    menu = detail.get_by_role("menu", name="Rerun")
    expect(menu.get_by_role("menuitem")).to_have_count(2)  # the run succeeded: no "from failed"
    replay = menu.get_by_role("menuitem").filter(has_text="Replay exactly")
    expect(replay).to_contain_text(f"Version {first['version']} as this run ran it")
    replay.click()

    # The replay's detail opens; its record says it is exact, of the same version
    replay_detail = main_area(lab).locator('[id^="jp-orch-run-"]:visible').first
    expect(replay_detail).not_to_have_id(f"jp-orch-run-{first['id']}")
    replay_id = (replay_detail.get_attribute("id") or "").removeprefix("jp-orch-run-")
    record = wait_run(server, replay_id, 60)
    assert record["exact"] is True, record
    assert record["rerun_of"] == first["id"]
    assert record["version"] == first["version"]
    assert record["parameters"] == first["parameters"]
    assert record["status"] == "succeeded", record
    expect(
        replay_detail.locator(".jp-OrchRunDetail-fact").filter(has_text="Exact replay of")
    ).to_contain_text(f"version {first['version']}, byte for byte")

    # "Rerun" (one click, the files as they are now) is not exact
    replay_detail.get_by_role("button", name="Rerun", exact=True).click()
    rerun_detail = main_area(lab).locator('[id^="jp-orch-run-"]:visible').first
    expect(rerun_detail).not_to_have_id(f"jp-orch-run-{replay_id}")
    rerun_id = (rerun_detail.get_attribute("id") or "").removeprefix("jp-orch-run-")
    rerun = wait_run(server, rerun_id, 60)
    assert rerun["exact"] is False, rerun
    assert rerun["rerun_of"] == replay_id


def test_a_replay_the_server_refuses_shows_its_reason(
    two_runs: tuple[dict[str, Any], dict[str, Any]], lab: Lab
) -> None:
    """A run recorded before versions kept their files cannot be replayed: the server's 400
    (answered here for the exact rerun only: such a run cannot be made any more) is what the
    lab shows, and no run is made."""
    first, _ = two_runs
    reason = (
        f"run {first['id']} ran version 1 of '{NAME}', recorded before versions kept their "
        "files, so it cannot be replayed exactly; rerun it with the current files instead"
    )
    asked: list[Any] = []

    def refuse(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        asked.append(body)
        if body.get("exact") is True:
            route.fulfill(
                status=400, content_type="application/json", body=json.dumps({"error": reason})
            )
        else:
            route.continue_()

    # The lab's requests carry a cache-busting query: ".../rerun?1796540225333"
    lab.page.route(re.compile(rf"/orch/runs/{first['id']}/rerun(\?|$)"), refuse)
    detail = open_run(lab, first["id"])
    before = len(lab.server.request("GET", f"/orch/runs?pipeline={NAME}&limit=50")["runs"])
    detail.get_by_role("button", name="More ways to rerun", exact=True).click()
    menu = detail.get_by_role("menu", name="Rerun")
    menu.get_by_role("menuitem").filter(has_text="Replay exactly").click()
    refused: Any = toast(lab, "Could not replay the run exactly")
    expect(refused).to_be_visible()
    refused.get_by_role("button", name="Details").click()
    shown: Any = dialog(lab)
    expect(shown).to_contain_text(reason)
    assert asked == [{"from_failed": False, "exact": True}]
    expect(main_area(lab).locator('[id^="jp-orch-run-"]:visible').first).to_have_id(
        f"jp-orch-run-{first['id']}"
    )
    after = lab.server.request("GET", f"/orch/runs?pipeline={NAME}&limit=50")["runs"]
    assert len(after) == before


def test_runs_of_two_versions_link_to_the_versions_diff(
    two_runs: tuple[dict[str, Any], dict[str, Any]], lab: Lab
) -> None:
    """The notebook changed, "Rerun with current files" runs a new version; compared with the
    run before, the version differs and "Compare versions 1 → 2" opens the versions' diff."""
    _, second = two_runs
    server = lab.server
    path = server.root / NAME / "count.ipynb"
    changed = notebook()
    changed["cells"][1]["source"] = RECORD.replace("total is", "the total is")
    path.write_text(json.dumps(changed, indent=1))
    third = server.request("POST", f"/orch/runs/{second['id']}/rerun", {"exact": False})
    third = wait_run(server, third["id"], 60)
    assert third["status"] == "succeeded", third
    assert third["version"] == second["version"] + 1, third

    detail = open_run(lab, third["id"])
    detail.get_by_role("button", name="Compare with…", exact=True).click()
    menu = detail.get_by_role("menu", name="Compare with")
    menu.locator(f'[data-key="{second["id"]}"]').click()
    comparison = main_area(lab).locator(f"#jp-orch-compare-{second['id']}-{third['id']}")
    version = comparison.locator('tr[data-fact="version"]')
    expect(version).to_have_attribute("data-changed", "true")
    link = comparison.get_by_role(
        "button", name=f"Compare versions {second['version']} → {third['version']}", exact=True
    )
    link.click()
    diff = main_area(lab).locator('[id^="jp-orch-version-diff"]:visible').first
    expect(diff).to_be_visible()
    expect(diff).to_contain_text("the total is", timeout=30_000)
