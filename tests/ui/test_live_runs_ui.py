"""Live runs in a real browser (issue 16 item 4): the run detail follows a notebook step cell by
cell and the sidebar sees the run finish within 2 s; a step waiting for a retry counts down,
and Retry now and Fail now end its wait.

The run of tests/ui/conftest.py's server is watched through the REST API beside the page, and
docs/screenshots/live-progress.png (a notebook step running its third cell) is taken here.
"""

from __future__ import annotations

import re
from datetime import datetime

import nbformat
import pytest

from .conftest import Lab, LabServer
from .lab_helpers import (
    COUNTDOWN,
    expect,
    open_panel,
    panel,
    retry_now_then_fail_now,
    run_from_panel,
    status_badge,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

CELLS = 5
SLOW = """\
name: live-cells
description: Five cells of about a second each.
steps:
  - name: cells
    notebook: cells.ipynb
"""
FLAKY = """\
name: live-retry
description: A function that always fails, retried an hour later.
steps:
  - {name: shaky, python: "flaky.py:flaky", retries: 2, retry_delay: 1h}
"""

#: Records in the page when the sidebar's row of a run first reads succeeded (Date.now(), ms).
WATCH_FINISH = """(runId) => {
    window.__orchFinishedAt = null;
    const timer = setInterval(() => {
        const row = document.querySelector(`#jp-orch-panel [data-run-id="${runId}"]`);
        if (row && row.dataset.status === 'succeeded') {
            window.__orchFinishedAt = Date.now();
            clearInterval(timer);
        }
    }, 50);
}"""


def register(server: LabServer, folder: str, pipeline: str) -> str:
    (server.root / folder / "pipeline.yaml").write_text(pipeline)
    body = {"path": f"{folder}/pipeline.yaml"}
    return str(server.request("POST", "/orch/pipelines", body)["name"])


@pytest.fixture
def slow_cells(lab_server: LabServer) -> str:
    """A notebook of five code cells, each printing and sleeping a second."""
    folder = lab_server.root / "live_cells"
    folder.mkdir(exist_ok=True)
    cells = [nbformat.v4.new_code_cell("import time")] + [
        nbformat.v4.new_code_cell(
            f'print("part {k}: loading rows")\ntime.sleep(1)\nprint("part {k}: done")'
        )
        for k in range(2, CELLS + 1)
    ]
    cells[0].source += '\nprint("part 1: warming up")\ntime.sleep(1)'
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folder / "cells.ipynb")
    return register(lab_server, "live_cells", SLOW)


@pytest.fixture
def flaky(lab_server: LabServer) -> str:
    folder = lab_server.root / "live_retry"
    folder.mkdir(exist_ok=True)
    (folder / "flaky.py").write_text("def flaky():\n    raise RuntimeError('flaky')\n")
    return register(lab_server, "live_retry", FLAKY)


def test_a_notebook_step_is_followed_cell_by_cell_and_its_end_seen_at_once(
    lab: Lab, slow_cells: str
) -> None:
    open_panel(lab)
    run_id, detail = run_from_panel(lab, slow_cells, {})
    lab.page.evaluate(WATCH_FINISH, run_id)
    row = panel(lab).locator(f'[data-run-id="{run_id}"]')
    expect(row.locator(".jp-OrchRun-progress")).to_have_text("step 1/1: cells", timeout=30_000)

    card = detail.get_by_role("region", name="Step cells", exact=True)
    count = card.locator(".jp-OrchRunDetail-cellCount")
    expect(count).to_be_visible(timeout=30_000)
    seen: list[int] = []
    shot = False
    while not lab.server.request("GET", f"/orch/runs/{run_id}")["ended_at"]:
        texts = count.all_text_contents()  # none once the step has ended
        found = re.fullmatch(rf"cell (\d) of {CELLS} · \d+ s", texts[0] if texts else "")
        if found:
            if not seen or seen[-1] != int(found[1]):
                seen.append(int(found[1]))
            if not shot and seen[-1] >= 3 and card.locator(".jp-OrchRunDetail-cellOutput").count():
                expect(card.locator(".jp-OrchRunDetail-cellSource")).to_contain_text("print(")
                lab.screenshot("live-progress")
                shot = True
        lab.page.wait_for_timeout(100)
    assert len(seen) >= 3 and seen == sorted(seen), seen  # cell k of 5, advancing
    assert shot, f"no screenshot: cells seen {seen}"

    run = wait_run(lab.server, run_id, 60)
    assert run["status"] == "succeeded", run.get("error")
    lab.page.wait_for_function("() => window.__orchFinishedAt !== null", timeout=10_000)
    shown_at = lab.page.evaluate("() => window.__orchFinishedAt") / 1000
    lag = shown_at - datetime.fromisoformat(run["ended_at"]).timestamp()
    assert -0.5 < lag <= 2.0, f"the sidebar showed the run finished {lag:.2f} s after it ended"
    expect(row.locator(".jp-OrchBadge")).to_have_text("Succeeded")
    expect(row.locator(".jp-OrchRun-progress")).to_have_count(0)
    expect(status_badge(detail)).to_have_attribute("data-status", "succeeded")
    expect(card.locator(".jp-OrchRunDetail-cellProgress")).to_have_count(0)


def test_retry_now_then_fail_now_end_a_steps_wait_for_its_retry(lab: Lab, flaky: str) -> None:
    open_panel(lab)
    run_id, detail = run_from_panel(lab, flaky, {})
    card = detail.get_by_role("region", name="Step shaky", exact=True)
    waiting = card.locator(".jp-OrchRunDetail-retry")
    expect(waiting).to_have_text(re.compile(rf"^{COUNTDOWN} \(attempt 2 of 3\)$"), timeout=20_000)
    row = panel(lab).locator(f'[data-run-id="{run_id}"]')
    expect(row.locator(".jp-OrchRun-progress")).to_have_text(re.compile(r"^retrying in "))

    retry_now_then_fail_now(lab, detail, card, "shaky")
    run = wait_run(lab.server, run_id, 10)
    assert run["status"] == "failed"
    [step] = run["steps"]
    assert step["status"] == "failed"
    assert [a["status"] for a in step["attempts"]] == ["failed", "failed"]
