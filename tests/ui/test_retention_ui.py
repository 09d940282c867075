"""Retention in a real browser: a run's detail shows what each step used (peak memory, CPU) and
pins the run (the pin outlives a reload, and the server keeps it); a pipeline is archived from
its row (it leaves the list), listed again with "Show archived", marked, and unarchived.

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import re
import shutil

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import (
    dialog,
    expect,
    main_area,
    open_panel,
    pipeline_row,
    run_from_panel,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

KEPT = """\
name: {name}
description: Run, pinned, archived and unarchived (tests/ui).
steps:
  - name: greet
    notebook: hello.ipynb
"""

#: "peak 48 MB · CPU 1.2 s": decimal units, as the server's format_bytes writes them.
USED = re.compile(r"^peak \d+(\.\d)? (B|kB|MB|GB) · CPU \d")


@pytest.fixture
def kept_pipeline(lab_server: LabServer) -> str:
    """The pipeline ``kept`` (one notebook step), registered through the REST API."""
    folder = lab_server.root / "kept"
    folder.mkdir(exist_ok=True)
    shutil.copy(lab_server.root / "hello.ipynb", folder / "hello.ipynb")
    body = {"path": "kept/pipeline.yaml", "yaml": KEPT.format(name="kept")}
    return str(lab_server.request("POST", "/orch/pipelines", body)["name"])


def test_a_run_shows_what_its_steps_used_and_stays_pinned(kept_pipeline: str, lab: Lab) -> None:
    name = kept_pipeline
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    run_id, detail = run_from_panel(lab, name, {})
    run = wait_run(lab.server, run_id, 60)
    assert run["status"] == "succeeded", run.get("error")

    step = detail.locator('[data-step="greet"]:not(g)')
    expect(step).to_have_attribute("data-status", "succeeded")
    expect(step.locator(".jp-OrchRunDetail-resources")).to_have_text(USED)

    pin = detail.get_by_role("button", name="Pin", exact=True)
    expect(pin).to_have_attribute("title", "Pinned runs are never deleted by retention")
    pin.click()
    expect(detail.get_by_role("button", name="Unpin", exact=True)).to_be_visible()
    expect(pin).to_have_count(0)
    assert lab.server.request("GET", f"/orch/runs/{run_id}")["pinned"] is True
    row = open_panel(lab).locator(f'[data-run-id="{run_id}"]')
    expect(row.get_by_role("img", name="Pinned", exact=True)).to_be_visible()

    # After a reload, the run list and the run's detail still say so
    lab.goto()
    open_panel(lab)
    expect(row.get_by_role("img", name="Pinned", exact=True)).to_be_visible()
    row.click()
    detail = main_area(lab).locator(f"#jp-orch-run-{run_id}")
    expect(detail.get_by_role("button", name="Unpin", exact=True)).to_be_visible()


def test_archive_a_pipeline_show_it_among_the_archived_and_unarchive_it(
    kept_pipeline: str, lab: Lab
) -> None:
    name = kept_pipeline
    found = open_panel(lab)
    found.get_by_role("button", name="Refresh", exact=True).click()
    row = pipeline_row(lab, name)
    expect(row).to_have_attribute("data-archived", "false")

    # Archiving asks first, then the pipeline leaves the list
    row.get_by_role("button", name=f"Archive {name}", exact=True).click()
    confirm = dialog(lab)
    expect(confirm).to_contain_text("stops firing")
    expect(confirm).to_contain_text("run history stays until retention removes it")
    confirm.get_by_role("button", name="Archive", exact=True).click()
    expect(row).to_have_count(0)
    assert lab.server.request("GET", f"/orch/pipelines/{name}")["archived"] is True
    listed = lab.server.request("GET", "/orch/pipelines")["pipelines"]
    assert name not in [p["name"] for p in listed]

    # "Show archived" lists it, dimmed and tagged, with Unarchive and no Run
    show = found.get_by_label("Show archived", exact=True)
    show.check()
    expect(row).to_have_attribute("data-archived", "true")
    expect(row).to_have_class(re.compile(r"\bjp-mod-archived\b"))
    expect(row.locator(".jp-OrchBadge", has_text="archived")).to_be_visible()
    expect(row.get_by_role("button", name=f"Run {name}", exact=True)).to_have_count(0)

    row.get_by_role("button", name=f"Unarchive {name}", exact=True).click()
    expect(row).to_have_attribute("data-archived", "false")
    expect(row.get_by_role("button", name=f"Run {name}", exact=True)).to_be_visible()
    assert lab.server.request("GET", f"/orch/pipelines/{name}")["archived"] is False
    show.uncheck()
    expect(row).to_be_visible()
