"""The keyboard in a real browser (issue 16 item 9): the launcher's Orchestration card shows the
sidebar; Up and Down move focus along the run list, the focused row shows a focus ring, and
Enter opens that run's detail (a pipeline row's Enter opens its builder).

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import expect, main_area, panel, pipeline_row, run_command

pytestmark = [pytest.mark.slow, pytest.mark.ui]

KEYS = """\
name: keys
description: Two quick runs to move between with the keyboard (tests/ui).
steps:
  - {name: hello, python: "quick.py:hello"}
"""

#: The focused element's run id and whether it shows an outline or a box shadow.
FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        runId: element.dataset.runId ?? null,
        ring: style.outlineStyle !== 'none' || style.boxShadow !== 'none'
    };
}"""


@pytest.fixture
def two_runs(lab_server: LabServer) -> list[str]:
    """The pipeline ``keys`` (one function step) and two runs of it, newest first."""
    folder = lab_server.root / "keys"
    folder.mkdir(exist_ok=True)
    (folder / "quick.py").write_text('def hello():\n    return {"n": 1}\n')
    body = {"path": "keys/pipeline.yaml", "yaml": KEYS}
    lab_server.request("POST", "/orch/pipelines", body)
    runs = [lab_server.request("POST", "/orch/pipelines/keys/runs", {}) for _ in range(2)]
    return [str(run["id"]) for run in reversed(runs)]


def test_the_launcher_card_and_arrow_keys_open_a_run(two_runs: list[str], lab: Lab) -> None:
    page = lab.page
    launcher = page.locator(".jp-Launcher:visible")
    if not launcher.count():
        run_command(lab, "New Launcher")
    card = launcher.locator(".jp-LauncherCard", has_text="Show Orchestration")
    expect(card).to_be_visible()
    expect(panel(lab)).to_be_hidden()
    card.click()
    expect(panel(lab)).to_be_visible()

    panel(lab).get_by_label("Pipeline", exact=True).select_option("keys")
    rows = panel(lab).locator(".jp-OrchRun")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-run-id", two_runs[0])
    expect(rows.nth(1)).to_have_attribute("tabindex", "-1")

    rows.first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED) == {"runId": two_runs[1], "ring": True}
    # The focused row is the one Tab comes back to
    expect(rows.nth(1)).to_have_attribute("tabindex", "0")
    expect(rows.nth(0)).to_have_attribute("tabindex", "-1")
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED)["runId"] == two_runs[0]
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(main_area(lab).locator(f"#jp-orch-run-{two_runs[1]}")).to_be_visible()

    pipeline_row(lab, "keys").focus()
    page.keyboard.press("Enter")
    expect(main_area(lab).locator("#jp-orch-builder-keys")).to_be_visible()
