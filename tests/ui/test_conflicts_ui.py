"""Conflicts and care in a real browser: "Open in Orchestration" on a file whose pipeline name
another file holds offers "Replace (keep history)", which makes the new file the pipeline's
and keeps its runs; the run detail's Cancel asks first, and a cancelled run reads as
cancelled, not as a failure.

It uses tests/ui/conftest.py's `jupyter lab`, with pipelines and a folder of its own.
"""

from __future__ import annotations

import re
import shutil

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import (
    cancel_from_detail,
    dialog,
    expect,
    main_area,
    open_panel,
    run_command,
    status_badge,
    toast,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

TWIN = """\
name: twin
description: Registered from {file} (tests/ui).
steps:
  - name: greet
    notebook: hello.ipynb
"""

NAPPER = """\
name: napper
steps:
  - name: nap
    notebook: sleepy.ipynb
"""


@pytest.fixture
def folder(lab_server: LabServer) -> str:
    """conflicts/, with the notebooks its pipelines run."""
    root = lab_server.root / "conflicts"
    root.mkdir(exist_ok=True)
    shutil.copy(lab_server.root / "hello.ipynb", root)
    shutil.copy(lab_server.root / "sleepy" / "sleepy.ipynb", root)
    return "conflicts"


def test_replace_keeps_the_history_of_the_name(folder: str, lab: Lab) -> None:
    server = lab.server
    first = f"{folder}/a.yaml"
    server.request("POST", "/orch/pipelines", {"path": first, "yaml": TWIN.format(file=first)})
    run = server.request("POST", "/orch/pipelines/twin/runs", {})
    second = f"{folder}/b.yaml"
    (server.root / second).write_text(TWIN.format(file=second))

    lab.goto(second)  # in the editor
    expect(main_area(lab).locator(".jp-FileEditor:visible")).to_contain_text("name: twin")
    box = dialog(lab)
    for answer in ("Cancel", "Replace (keep history)"):
        run_command(lab, "Open in Orchestration")
        expect(box.locator(".jp-Dialog-header")).to_have_text("The pipeline name is taken")
        expect(box).to_contain_text(
            f"a pipeline named 'twin' is already registered from {first}; rename this one"
        )
        expect(box).not_to_contain_text("--replace")
        buttons = box.locator(".jp-Dialog-footer button")
        expect(buttons).to_have_text(["Cancel", "Replace (keep history)"])
        box.get_by_role("button", name=answer, exact=True).click()
        expect(box).to_have_count(0)
        if answer == "Cancel":
            assert server.request("GET", "/orch/pipelines/twin")["path"] == first

    expect(toast(lab, f"Registered twin (version 2) from {second}")).to_be_visible()
    assert server.request("GET", "/orch/pipelines/twin")["path"] == second
    runs = server.request("GET", "/orch/runs?pipeline=twin")["runs"]
    assert run["id"] in [r["id"] for r in runs]
    wait_run(server, run["id"], 60)


def test_cancel_asks_first_and_a_cancelled_run_is_no_failure(folder: str, lab: Lab) -> None:
    server = lab.server
    body = {"path": f"{folder}/napper.yaml", "yaml": NAPPER}
    server.request("POST", "/orch/pipelines", body)
    run = server.request("POST", "/orch/pipelines/napper/runs", {})
    row = open_panel(lab).locator(f'[data-run-id="{run["id"]}"]')
    expect(row).to_have_attribute("data-status", "running", timeout=30_000)
    row.click()
    detail = main_area(lab).locator(f"#jp-orch-run-{run['id']}")
    badge = status_badge(detail)
    expect(badge).to_have_attribute("data-status", "running")

    cancel_from_detail(lab, detail, "napper", confirm=False)
    assert server.request("GET", f"/orch/runs/{run['id']}")["status"] == "running"
    expect(badge).to_have_attribute("data-status", "running")

    cancel_from_detail(lab, detail, "napper", confirm=True)
    expect(badge).to_have_attribute("data-status", "cancelled", timeout=30_000)
    expect(badge).to_have_text("Cancelled")
    expect(badge).to_have_class(re.compile(r"\bjp-OrchBadge-off\b"))
    assert wait_run(server, run["id"], 30)["status"] == "cancelled"
    # Neutral: no error banner, no error toast
    expect(detail.locator(".jp-OrchRunDetail-failure-bad")).to_have_count(0)
    expect(lab.page.locator(".Toastify__toast--error")).to_have_count(0)
