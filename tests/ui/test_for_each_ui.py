"""A for-each step in a real browser: a pipeline whose step ``report`` runs once per region that
``regions`` lists (emea, apac, amer), one of them failing. While it runs, the run detail shows
``report`` as one box and one card whose items appear and whose progress advances; once it has
ended, the box reads "2/3", the card's disclosure button (by keyboard) hides and shows the three
items with their values, the failed one with its error and a link that opens its output
notebook ``report[1].ipynb``; the failure banner names ``report[1]``.

docs/screenshots/for-each.png (the steps of the ended run) is taken here.

An item waiting for its retry has Retry now and Fail now on its own card, as a step has.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ..conftest import write_notebook
from .conftest import Lab, LabServer
from .lab_helpers import (
    COUNTDOWN,
    dag_step,
    expect,
    main_area,
    open_panel,
    panel,
    retry_now_then_fail_now,
    run_from_panel,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

FOLDER = "for_each_ui"
PIPELINE = """\
name: {name}
description: A report per region; the report of apac fails.
steps:
  - {{name: regions, notebook: regions.ipynb}}
  - name: report
    needs: [regions]
    for_each: "{{{{ steps.regions.outputs.regions }}}}"
    max_parallel: 1
    notebook: report.ipynb
    parameters: {{region: "{{{{ item }}}}"}}
  - {{name: combine, needs: [report], notebook: regions.ipynb}}
"""
ERROR = "ValueError: no data for apac"


@pytest.fixture
def for_each(lab_server: LabServer) -> str:
    folder = lab_server.root / FOLDER
    write_notebook(
        folder / "regions.ipynb",
        None,
        "import jupyter_orch\njupyter_orch.record('regions', ['emea', 'apac', 'amer'])",
    )
    write_notebook(
        folder / "report.ipynb",
        "region = None",
        """
        import time
        time.sleep(1)
        if region == "apac":
            raise ValueError(f"no data for {region}")
        """,
    )
    body = {"path": f"{FOLDER}/pipeline.yaml", "yaml": PIPELINE.format(name="for-each-ui")}
    return str(lab_server.request("POST", "/orch/pipelines", body)["name"])


def card(detail: Any, step: str) -> Any:
    """The card of a step or of an item (`report[1]`)."""
    return detail.locator(f'section.jp-OrchRunDetail-step[data-step="{step}"]')


def test_a_for_each_step_is_one_box_and_one_card_whose_items_unfold(
    lab: Lab, for_each: str
) -> None:
    open_panel(lab)
    run_id, detail = run_from_panel(lab, for_each, {})
    report = card(detail, "report")
    count = report.locator(".jp-OrchForEach-count").first
    row = panel(lab).locator(f'[data-run-id="{run_id}"] .jp-OrchRun-progress')

    # Live: the items appear once the list has resolved, and the progress advances
    seen: list[str] = []
    rows: set[str] = set()
    while not lab.server.request("GET", f"/orch/runs/{run_id}")["ended_at"]:
        texts = count.all_text_contents()
        if texts and (not seen or seen[-1] != texts[0]):
            seen.append(texts[0])
        rows.update(t for t in row.all_text_contents() if "report" in t)
        lab.page.wait_for_timeout(100)
    # At least two readings, each further on: the last one may come after the run ended
    assert len(seen) >= 2 and seen == sorted(seen) and seen[0] in ("0/3", "1/3"), seen
    assert any(re.fullmatch(r"step 2/3: report \(\d of 3 items\)", t) for t in rows), rows

    run = wait_run(lab.server, run_id, 60)
    assert run["status"] == "failed", run
    items = [f"report[{i}]" for i in range(3)]
    assert [s["name"] for s in run["steps"]] == ["regions", "report", *items, "combine"]

    # The DAG: the steps only, the for-each step's box reading "2/3"
    expect(detail.locator('svg[role="img"] g[data-step]')).to_have_count(3)
    box = dag_step(detail, "report")
    expect(box).to_have_attribute("data-status", "failed", timeout=10_000)
    expect(box.locator(".jp-OrchDag-items")).to_have_text("2/3")
    expect(box.locator("title")).to_have_text(
        "report (Notebook): Failed, 2 of 3 items succeeded, 1 failed"
    )
    expect(detail.locator(".jp-OrchRunDetail-sectionTitle").first).to_have_text("Steps (3)")

    # The card: "2/3", 1 failed; three items shown (few, one failed), hidden and shown again
    expect(count).to_have_text("2/3")
    expect(report.locator(".jp-OrchForEach-failed")).to_have_text("1 failed")
    toggle = report.get_by_role("button", name="3 items", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    items = report.locator("section.jp-OrchRunDetail-item")
    expect(items).to_have_count(3)
    toggle.focus()
    lab.page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(items).to_have_count(0)
    lab.page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(items).to_have_count(3)

    for index, (region, status) in enumerate(
        [("emea", "succeeded"), ("apac", "failed"), ("amer", "succeeded")]
    ):
        item = card(detail, f"report[{index}]")
        expect(item).to_have_attribute("data-status", status)
        expect(item.locator(".jp-OrchRunDetail-stepName")).to_have_text(f"report[{index}]")
        expect(item.locator(".jp-OrchRunDetail-itemValue")).to_have_text(region)
        expect(item.locator(".jp-OrchBadge").first).to_have_text(status.capitalize())
    failed = card(detail, "report[1]")
    expect(failed.locator(".jp-OrchRunDetail-errorText")).to_have_text(ERROR)

    # The failure banner names the item, with its value and error
    banner = detail.locator('.jp-OrchRunDetail-failedStep[data-step="report[1]"]')
    expect(banner).to_contain_text(f"report[1] apac: {ERROR}")
    expect(detail.locator(".jp-OrchRunDetail-failedStep")).to_have_count(1)
    toggle.blur()  # no focus ring in the screenshot
    lab.screenshot("for-each", detail.locator(".jp-OrchRunDetail-section").first)

    # Its output notebook opens from its card
    failed.get_by_role("button", name="Open output notebook", exact=True).click()
    notebook = main_area(lab).locator(".jp-NotebookPanel.jp-OrchOutputNotebook:visible")
    expect(notebook).to_be_visible(timeout=30_000)
    tab = lab.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text("report[1].ipynb")
    expect(notebook).to_contain_text("no data for apac")


RETRYING = """\
name: for-each-retry
steps:
  - name: report
    for_each: [emea, apac]
    python: "report.py:report"
    parameters: {region: "{{ item }}"}
    retries: 2
    retry_delay: 1h
"""


def test_retry_now_then_fail_now_end_an_items_wait_for_its_retry(
    lab: Lab, lab_server: LabServer
) -> None:
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "report.py").write_text(
        "def report(region):\n"
        "    if region == 'apac':\n"
        "        raise ValueError('no data for apac')\n"
        "    return {'region': region}\n"
    )
    body = {"path": f"{FOLDER}/retrying.yaml", "yaml": RETRYING}
    name = str(lab_server.request("POST", "/orch/pipelines", body)["name"])
    open_panel(lab)
    run_id, detail = run_from_panel(lab, name, {})
    item = card(detail, "report[1]")
    waiting = item.locator(".jp-OrchRunDetail-retry")
    expect(waiting).to_have_text(re.compile(rf"^{COUNTDOWN} \(attempt 2 of 3\)$"), timeout=30_000)
    expect(card(detail, "report[0]")).to_have_attribute("data-status", "succeeded")
    expect(card(detail, "report[0]").get_by_role("button", name="Retry now")).to_have_count(0)

    retry_now_then_fail_now(lab, detail, item, "report[1]")
    run = wait_run(lab.server, run_id, 10)
    assert [(s["name"], s["status"], len(s["attempts"])) for s in run["steps"]] == [
        ("report", "failed", 0),
        ("report[0]", "succeeded", 1),
        ("report[1]", "failed", 2),
    ]
