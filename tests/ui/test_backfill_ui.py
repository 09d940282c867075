"""Backfills in a real browser: "Backfill…" on a scheduled pipeline's row opens a range picker
that says what the range makes before it starts ("3 runs, one per slot of ..."), shows the
server's refusal of a range beside its field with Start disabled, and starts the backfill; the
Runs section then shows its progress, and its runs (each for its slot) reach succeeded. A
running backfill is cancelled from the Runs section, once confirmed.

It uses tests/ui/conftest.py's `jupyter lab` (its scheduler runs the backfills' runs), with
pipelines and a folder of their own; docs/screenshots/backfill.png is the dialog.
"""

from __future__ import annotations

import re
import shutil
import time
from typing import Any

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import dialog, expect, open_panel, panel, pipeline_row

pytestmark = [pytest.mark.slow, pytest.mark.ui]

PIPELINE = """\
name: {name}
description: A daily pipeline backfilled from the lab (tests/ui).
schedule: {{cron: "0 2 * * *", timezone: Europe/Paris}}
steps:
  - name: greet
    notebook: hello.ipynb
"""
DAILY = "every day at 02:00 (Europe/Paris)"


def register(server: LabServer, name: str) -> str:
    """The pipeline ``name`` (one quick notebook step, every day at 02:00 in Paris)."""
    folder = server.root / "backfill_ui"
    folder.mkdir(exist_ok=True)
    shutil.copy(server.root / "hello.ipynb", folder / "hello.ipynb")
    body = {"path": f"backfill_ui/{name}.yaml", "yaml": PIPELINE.format(name=name)}
    return str(server.request("POST", "/orch/pipelines", body)["name"])


def wait_backfill(server: LabServer, backfill_id: str, seconds: float) -> dict[str, Any]:
    """The backfill once it has ended, or as it is after ``seconds`` (through the REST API)."""
    deadline = time.monotonic() + seconds
    while True:
        found: dict[str, Any] = server.request("GET", f"/orch/backfills/{backfill_id}")
        if found["status"] != "running" or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_backfill_a_range_from_the_panel_and_follow_its_runs(lab: Lab) -> None:
    name = register(lab.server, "backfilled")
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    pipeline_row(lab, name).get_by_role("button", name=f"Backfill {name}", exact=True).click()
    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_have_text(f"Backfill {name}")
    start = box.get_by_role("button", name="Start", exact=True)
    expect(start).to_be_disabled()  # nothing asked yet
    preview = box.locator(".jp-OrchBackfillDialog-preview")
    expect(preview).to_have_text("Pick the first and last days to see the runs it makes.")

    # A range the wrong way round: the server's reason beside To, and no Start
    box.get_by_label("From", exact=True).fill("2024-03-03")
    box.get_by_label("To", exact=True).fill("2024-03-01")
    to_error = box.locator("#jp-orch-backfill-to-error")
    expect(to_error).to_contain_text("2024-03-01 is before --from 2024-03-03")
    expect(box.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(start).to_be_disabled()
    box.get_by_label("To", exact=True).press("Enter")  # Enter does not start it either
    expect(box).to_be_visible()

    # Three days: three runs, said before it starts
    box.get_by_label("From", exact=True).fill("2024-03-01")
    box.get_by_label("To", exact=True).fill("2024-03-03")
    expect(preview).to_have_text(
        f"3 runs, one per slot of {DAILY}, 2024-03-01 02:00 → 2024-03-03 02:00"
    )
    expect(to_error).to_have_count(0)
    expect(box.get_by_label("Max parallel", exact=True)).to_have_value("1")
    expect(start).to_be_enabled()
    start.focus()
    lab.screenshot("backfill", box.locator(".jp-Dialog-content"))
    start.click()
    expect(box).to_have_count(0)

    # Started: the Runs section shows it at once
    shown = panel(lab).locator(".jp-OrchBackfill", has_text=f"Backfill of {name}")
    expect(shown).to_be_visible()
    [backfill] = lab.server.request("GET", f"/orch/backfills?pipeline={name}")["backfills"]
    assert (backfill["from"], backfill["to"], backfill["runs"]["total"]) == (
        "2024-03-01",
        "2024-03-03",
        3,
    )
    item = panel(lab).locator(f'[data-backfill-id="{backfill["id"]}"]')
    expect(item).to_be_visible()
    expect(item).to_contain_text(f"Backfill of {name}")
    expect(item.locator(".jp-OrchBackfill-range")).to_have_text("2024-03-01 → 2024-03-03")
    expect(item.locator(".jp-OrchBackfill-counts")).to_have_text(re.compile(r"^\d of 3 done"))

    ended = wait_backfill(lab.server, backfill["id"], 60)
    assert ended["status"] == "succeeded", ended
    expect(item).to_have_attribute("data-status", "succeeded", timeout=10_000)
    expect(item.locator(".jp-OrchBackfill-counts")).to_have_text("3 of 3 done")
    expect(item.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "3")

    runs = lab.server.request("GET", f"/orch/runs?pipeline={name}")["runs"]
    assert sorted(r["scheduled_for"][:10] for r in runs) == [
        "2024-03-01",
        "2024-03-02",
        "2024-03-03",
    ]
    assert {(r["trigger"], r["backfill_id"], r["status"]) for r in runs} == {
        ("backfill", backfill["id"], "succeeded")
    }
    for run in runs:
        row = panel(lab).locator(f'[data-run-id="{run["id"]}"]')
        expect(row).to_have_attribute("data-status", "succeeded")
        # The slot in the browser's zone (Berlin: the same hour as Paris)
        expect(row.locator(".jp-OrchRun-meta")).to_contain_text(
            f"Backfill for {run['scheduled_for'][:10]} 02:00"
        )

    item.get_by_role("button", name=f"Dismiss the backfill of {name}", exact=True).click()
    expect(item).to_have_count(0)


def test_cancel_a_running_backfill_from_the_runs_section(lab: Lab) -> None:
    name = register(lab.server, "backfill_cancelled")
    body = {"from": "2024-01-01", "to": "2024-01-31", "max_parallel": 1}
    backfill = lab.server.request("POST", f"/orch/pipelines/{name}/backfills", body)
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    item = panel(lab).locator(f'[data-backfill-id="{backfill["id"]}"]')
    expect(item).to_have_attribute("data-status", "running")
    expect(item.locator(".jp-OrchBackfill-counts")).to_contain_text("of 31 done")

    item.get_by_role("button", name=f"Cancel the backfill of {name}", exact=True).click()
    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_have_text(f"Cancel the backfill of {name}?")
    box.get_by_role("button", name="Keep running", exact=True).click()
    expect(box).to_have_count(0)
    assert lab.server.request("GET", f"/orch/backfills/{backfill['id']}")["status"] == "running"

    item.get_by_role("button", name=f"Cancel the backfill of {name}", exact=True).click()
    box.get_by_role("button", name="Cancel backfill", exact=True).click()
    expect(box).to_have_count(0)
    expect(item).to_have_attribute("data-status", "cancelled")
    ended = wait_backfill(lab.server, backfill["id"], 5)
    assert ended["status"] == "cancelled"
    assert ended["runs"]["succeeded"] + ended["runs"]["failed"] < 31
    expect(item.get_by_role("button", name=f"Dismiss the backfill of {name}")).to_be_visible()
