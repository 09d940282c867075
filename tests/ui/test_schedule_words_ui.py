"""Schedules in plain words (issue 16): "every day at 07:30" from a notebook's toolbar in four
gestures, and "Once (run now)", which saves the notebook's pipeline without a schedule and
starts a run. A real JupyterLab in Chromium (fixtures in conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import BROWSER_TIMEZONE, Lab, LabServer
from .lab_helpers import Gestures, Locator, dialog, expect, main_area, toast, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

FOLDER = "schedule_words"


@pytest.fixture
def notebooks(lab_server: LabServer) -> Callable[[str], str]:
    """Copies the fixture notebook hello.ipynb to <FOLDER>/<stem>.ipynb; its path."""

    def copy(stem: str) -> str:
        folder = lab_server.root / FOLDER
        folder.mkdir(exist_ok=True)
        shutil.copy(lab_server.root / "hello.ipynb", folder / f"{stem}.ipynb")
        return f"{FOLDER}/{stem}.ipynb"

    return copy


def open_schedule_dialog(lab: Lab, path: str, gestures: Gestures) -> Locator:
    """Opens the notebook, then its "Schedule this notebook" dialog from the toolbar's clock."""
    lab.goto(path)
    notebook = main_area(lab).locator(".jp-NotebookPanel:visible")
    expect(notebook).to_be_visible()
    clock = notebook.locator('.jp-NotebookPanel-toolbar [title^="Schedule this notebook"]')
    gestures.click(clock.first)
    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_contain_text("Schedule")
    return box


def test_every_day_at_a_time_in_four_gestures(lab: Lab, notebooks: Callable[[str], str]) -> None:
    path = notebooks("daily_words")
    gestures = Gestures()
    box = open_schedule_dialog(lab, path, gestures)
    mode = box.get_by_label("Schedule", exact=True)
    expect(mode).to_be_focused()  # the keyboard starts on the choice of words
    gestures.choose(mode, "Every day at")
    gestures.type(box.get_by_label("Time", exact=True), "07:30")
    # Read back in words, in the browser's zone, with the next runs
    expect(box.get_by_label("Time zone", exact=True)).to_have_value(BROWSER_TIMEZONE)
    expect(box.locator(".jp-OrchSchedule-words")).to_have_text(
        f"every day at 07:30 ({BROWSER_TIMEZONE})"
    )
    expect(box.locator(".jp-OrchSchedule-next")).to_contain_text("07:30")
    gestures.click(box.get_by_role("button", name="Save", exact=True))
    expect(box).to_have_count(0)
    assert gestures.count <= 4, f"daily at 07:30 took {gestures.count} gestures"
    print(f"\ngestures for 'every day at 07:30': {gestures.count}")
    words = f"every day at 07:30 ({BROWSER_TIMEZONE})"
    expect(toast(lab, f"Scheduled daily_words: {words}")).to_be_visible()

    saved: dict[str, Any] = lab.server.request("GET", "/orch/pipelines/daily_words")
    assert saved["schedule"]["cron"] == "30 7 * * *"
    assert saved["schedule"]["timezone"] == BROWSER_TIMEZONE
    assert saved["schedule"]["description"] == words
    runs = lab.server.request("GET", "/orch/runs?pipeline=daily_words")["runs"]
    assert runs == []

    # Opened again, the cron reads back as the words it was made with
    box = open_schedule_dialog(lab, path, Gestures())
    expect(box.get_by_label("Schedule", exact=True)).to_have_value("daily")
    expect(box.get_by_label("Time", exact=True)).to_have_value("07:30")
    box.get_by_role("button", name="Cancel", exact=True).click()
    expect(box).to_have_count(0)


def test_once_saves_without_a_schedule_and_runs_now(
    lab: Lab, notebooks: Callable[[str], str]
) -> None:
    path = notebooks("once_words")
    gestures = Gestures()
    box = open_schedule_dialog(lab, path, gestures)
    mode = box.get_by_label("Schedule", exact=True)

    # On the way: weekdays as labelled checkboxes, read back in words
    mode.select_option(label="Every week on")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        expect(box.get_by_label(day, exact=True)).to_be_checked()
    box.get_by_label("Saturday", exact=True).check()
    expect(box).to_contain_text(f"at 09:00, Monday through Saturday ({BROWSER_TIMEZONE})")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"):
        box.get_by_label(day, exact=True).uncheck()
    expect(box.get_by_role("alert")).to_have_text("Days: choose at least one day")

    gestures.choose(mode, "Once (run now)")
    expect(box).to_contain_text("without a schedule and starts a run now")
    expect(box.get_by_label("Time zone", exact=True)).to_have_count(0)
    gestures.click(box.get_by_role("button", name="Save", exact=True))
    expect(box).to_have_count(0)
    assert gestures.count == 3
    running = toast(lab, "once_words is running now")
    expect(running).to_be_visible()
    expect(running).not_to_contain_text("then")  # no schedule to follow

    saved: dict[str, Any] = lab.server.request("GET", "/orch/pipelines/once_words")
    assert saved["schedule"] is None
    assert saved["next_run_at"] is None
    [run] = lab.server.request("GET", "/orch/runs?pipeline=once_words")["runs"]
    assert run["trigger"] == "manual"
    finished = wait_run(lab.server, run["id"], 60)
    assert finished["status"] == "succeeded", finished

    # Opened again, it starts as "once"
    box = open_schedule_dialog(lab, path, Gestures())
    expect(box).to_contain_text("Saved without a schedule as once_words")
    expect(box.get_by_label("Schedule", exact=True)).to_have_value("once")
    box.get_by_role("button", name="Cancel", exact=True).click()
    expect(box).to_have_count(0)
