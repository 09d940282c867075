"""The activity log in a real browser: a scheduled pipeline registered through the REST API with
the server's token, then paused from its row in the Orchestration panel (the lab's own request:
the browser's cookie session and the lab's ``X-Orch-Client`` header). The log, opened from the
pipeline's version history and from the palette, shows the pause as the lab user's from the lab
and the registration as the token's from the API; it filters by pipeline, by who and by time,
and a run's link opens the run.

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import shutil
import urllib.parse
from typing import Any

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import expect, main_area, open_panel, panel, pipeline_row, run_command

pytestmark = [pytest.mark.slow, pytest.mark.ui]

NAME = "audited"

PIPELINE = """\
name: audited
description: Scheduled, paused from the lab; its activity is checked (tests/ui).
schedule: {cron: "0 9 * * *", timezone: Europe/Berlin}
steps:
  - name: greet
    notebook: hello.ipynb
"""


def activity(server: LabServer, **query: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = server.request(
        "GET", f"/orch/activity?{urllib.parse.urlencode(query)}"
    )["entries"]
    return entries


@pytest.fixture(scope="module")
def audited(lab_server: LabServer) -> str:
    """``audited`` registered with the token, and one run of it asked for through the API."""
    folder = lab_server.root / NAME
    folder.mkdir(exist_ok=True)
    shutil.copy(lab_server.root / "hello.ipynb", folder / "hello.ipynb")
    lab_server.request(
        "POST", "/orch/pipelines", {"path": f"{NAME}/pipeline.yaml", "yaml": PIPELINE}
    )
    lab_server.request("POST", f"/orch/pipelines/{NAME}/runs", {"trigger": "api"})
    return NAME


def lab_user(lab: Lab) -> str:
    """The browser session's user name, as the server knows it (GET /api/me)."""
    me: dict[str, Any] = lab.page.evaluate(
        "async () => (await fetch('/api/me', {credentials: 'same-origin'})).json()"
    )
    return str(me["identity"]["username"])


def test_activity_shows_who_paused_from_the_lab_and_who_registered_by_api(
    audited: str, lab: Lab
) -> None:
    page = lab.page
    page.set_viewport_size({"width": 1400, "height": 900})
    server = lab.server
    user = lab_user(lab)
    assert user and not user.startswith("token:")

    # Pause from the pipeline's row: the lab's own request
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    row = pipeline_row(lab, NAME)
    row.get_by_role("button", name=f"Pause {NAME}", exact=True).click()
    expect(row).to_contain_text("Paused")

    # What the server recorded: the pause is the lab user's, from the lab; the registration
    # (which applies the pipeline too) and the run are the token's, from the API
    entries = activity(server, pipeline=NAME)
    assert [e["action"] for e in entries] == ["pause", "run", "apply", "register"], entries
    pause, run, _, register = entries
    assert pause["origin"] == "lab" and pause["actor"] == user, pause
    assert register["origin"] == "api" and register["actor"].startswith("token:"), register
    assert run["origin"] == "api" and run["run_id"], run

    # The pipeline's own log, from its version history
    row.get_by_role("button", name=f"History of {NAME}", exact=True).click()
    history = main_area(lab).locator(f"#jp-orch-versions-{NAME}")
    history.get_by_role("button", name="Activity", exact=True).click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{NAME} activity")
    log = main_area(lab).locator(".jp-OrchActivity:visible")
    rows = log.locator(".jp-OrchActivity-row")
    expect(rows).to_have_count(4)
    first = rows.nth(0)
    expect(first).to_have_attribute("data-action", "pause")
    expect(first.locator(".jp-OrchActivity-what")).to_have_text("paused")
    expect(first.locator(".jp-OrchActivity-origin")).to_have_text("Lab")
    expect(first.locator(".jp-OrchActivity-who")).to_have_text(user)
    expect(first.locator(".jp-OrchActivity-when")).to_have_text("just now")
    last = rows.nth(3)
    expect(last).to_have_attribute("data-origin", "api")
    expect(last.locator(".jp-OrchActivity-origin")).to_have_text("API")
    expect(last.locator(".jp-OrchActivity-what")).to_have_text(
        "registered (version 1): first version"
    )
    expect(last.locator(".jp-OrchActivity-who")).to_have_text(
        f"API token {register['actor'].removeprefix('token:')}"
    )
    expect(rows.nth(1).locator(".jp-OrchActivity-what")).to_have_text("ran (api)")
    expect(rows.nth(2).locator(".jp-OrchActivity-what")).to_have_text("applied (version 1)")

    # The whole log from the palette, then filtered by pipeline, time and who
    run_command(lab, "Show Activity Log")
    expect(tab).to_have_text("Activity")
    log = main_area(lab).locator(".jp-OrchActivity:visible")
    rows = log.locator(".jp-OrchActivity-row")
    expect(rows.first).to_be_visible()
    log.get_by_label("Pipeline").select_option(NAME)
    expect(tab).to_contain_text(f"{NAME} activity")
    expect(rows).to_have_count(4)
    expect(log.locator(".jp-OrchActivity-pipeline")).to_have_text([NAME] * 4)
    log.get_by_label("When").select_option(label="Last 24 hours")
    expect(rows).to_have_count(4)
    log.get_by_label("Who").fill(register["actor"])
    expect(rows).to_have_count(3)
    expect(log.locator(".jp-OrchActivity-origin")).to_have_text(["API"] * 3)
    log.get_by_label("Who").fill(user)
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".jp-OrchActivity-origin")).to_have_text("Lab")
    log.get_by_label("Who").fill("")
    expect(rows).to_have_count(4)

    # The README's picture: the log alone, the sidebar closed
    log.get_by_label("Who").blur()
    lab.orchestration_tab.click()
    expect(panel(lab)).to_be_hidden()
    lab.screenshot("activity")

    # The run's link opens the run, from the keyboard too
    link = rows.nth(1).get_by_role("button", name=run["run_id"][-8:])
    link.focus()
    page.keyboard.press("Enter")
    expect(main_area(lab).locator(f"#jp-orch-run-{run['run_id']}")).to_be_visible()
