"""What the browser tests do in JupyterLab as a user would: open the Orchestration panel, run a
pipeline from it, find a run's status and its DAG's boxes; and wait for a run through the REST
API."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from .conftest import Lab, LabServer

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails, when the browser is required)
    expect = PlaywrightTimeout = None
Locator = Any  # playwright.sync_api.Locator

#: Seconds a run of the example pipeline may take here (5 notebooks, pandas and matplotlib).
RUN_SECONDS = 90
FINISHED = {"succeeded", "failed", "timed_out", "cancelled"}
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def panel(lab: Lab) -> Locator:
    return lab.page.locator("#jp-orch-panel")


def open_panel(lab: Lab) -> Locator:
    """The Orchestration panel in the left sidebar, opened by its tab if it is not shown."""
    found = panel(lab)
    for _ in range(3):
        if found.is_visible():
            break
        # A click on the current tab collapses the sidebar: if a command was just showing the
        # panel, this click may have hidden it again, and the next one shows it.
        lab.orchestration_tab.click()
        with contextlib.suppress(PlaywrightTimeout):
            found.wait_for(state="visible", timeout=3_000)
    expect(found).to_be_visible()
    return found


def pipeline_row(lab: Lab, name: str) -> Locator:
    return panel(lab).locator(f'[data-pipeline="{name}"]')


def main_area(lab: Lab) -> Locator:
    return lab.page.locator("#jp-main-dock-panel")


def dialog(lab: Lab) -> Locator:
    return lab.page.locator(".jp-Dialog")


def toast(lab: Lab, text: str) -> Locator:
    """The notification (toast) saying ``text``."""
    return lab.page.locator(".Toastify__toast").filter(has_text=text)


def run_command(lab: Lab, label: str) -> None:
    """Runs a command through the command palette, as a user would: opens it, types the label,
    and runs the match with Enter (a click can land on an item the palette is re-rendering).
    A palette closed or re-rendered under the typing is opened again, up to three times."""
    page = lab.page
    search = page.locator(".lm-CommandPalette-input")
    exact = re.compile(f"^{re.escape(label)}$")
    for attempt in range(3):
        page.keyboard.press("Control+Shift+C")
        with contextlib.suppress(PlaywrightTimeout):
            search.wait_for(state="visible", timeout=3_000)
        if not search.is_visible():
            # The shortcut can be lost right after a page load: the View menu has the palette
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^View$")).click()
            page.locator(".lm-Menu-itemLabel", has_text="Activate Command Palette").click()
        try:
            search.fill(label, timeout=8_000)
            item = page.locator(".lm-CommandPalette-item").filter(
                has=page.locator(".lm-CommandPalette-itemLabel", has_text=exact)
            )
            item.first.wait_for(state="visible", timeout=8_000)
            active = page.locator(
                ".lm-CommandPalette-item.lm-mod-active .lm-CommandPalette-itemLabel"
            )
            if exact.match(active.first.inner_text(timeout=8_000).strip()):
                search.press("Enter")
            else:
                item.first.click(timeout=8_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def pick_from_palette(lab: Lab, label: str, pipeline: str) -> None:
    """Runs the palette's command ``label`` that asks "which pipeline?" and picks ``pipeline``
    in its question. A palette that lost the Enter (no question within 8 s) is asked again, up
    to three times; the question must then offer the pipeline."""
    box = dialog(lab)
    choice = box.locator("select").locator(f"option[value='{pipeline}']")
    for attempt in range(3):
        run_command(lab, label)
        try:
            box.wait_for(state="visible", timeout=8_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    choice.wait_for(state="attached", timeout=8_000)
    box.locator("select").select_option(pipeline)
    box.get_by_role("button", name=re.compile("^ok$", re.IGNORECASE)).click()


def run_from_panel(lab: Lab, name: str, fields: dict[str, str | None]) -> tuple[str, Locator]:
    """Run <name> from its row: the dialog shows one input per run parameter (``fields``; a
    value is typed in, None keeps the default); returns the run's id and its detail, which
    opens in the main area."""
    pipeline_row(lab, name).get_by_role("button", name=f"Run {name}", exact=True).click()
    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_contain_text(f"Run {name}")
    for field, value in fields.items():
        entry = box.get_by_label(field, exact=True)
        expect(entry).to_be_visible()
        if value is not None:
            entry.fill(value)
    box.get_by_role("button", name="Run", exact=True).click()
    expect(box).to_have_count(0)
    detail = main_area(lab).locator('[id^="jp-orch-run-"]:visible').first
    expect(detail).to_be_visible()
    run_id = (detail.get_attribute("id") or "").removeprefix("jp-orch-run-")
    assert run_id, "the run detail's id names no run"
    return run_id, detail


def status_badge(detail: Locator) -> Locator:
    """The run's status in the detail's header (the DAG's boxes carry data-status too)."""
    return detail.locator(":not(g)[data-status]").first


def dag_step(detail: Locator, step: str) -> Locator:
    return detail.locator(f'svg[role="img"] g[data-step="{step}"]')


def wait_run(server: LabServer, run_id: str, seconds: float = RUN_SECONDS) -> dict[str, Any]:
    """The run once it has finished (through the REST API)."""
    deadline = time.monotonic() + seconds
    while True:
        run: dict[str, Any] = server.request("GET", f"/orch/runs/{run_id}")
        if run["status"] in FINISHED or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def cancel_from_detail(lab: Lab, detail: Locator, pipeline: str, *, confirm: bool) -> None:
    """Clicks the run detail's Cancel; the lab asks first ("Cancel run #N of <pipeline>?"),
    and this answers "Cancel run" (``confirm``) or "Keep running"."""
    detail.get_by_role("button", name="Cancel", exact=True).click()
    box = dialog(lab)
    question = re.compile(rf"^Cancel run (#\d+|\w+) of {re.escape(pipeline)}\?$")
    expect(box.locator(".jp-Dialog-header")).to_have_text(question)
    expect(box).to_contain_text("finished steps keep their outputs")
    box.get_by_role("button", name="Cancel run" if confirm else "Keep running").click()
    expect(box).to_have_count(0)


class Gestures:
    """The user's drags, clicks, choices and typing, counted as they are done (the issue's
    gesture counts are measured with it)."""

    def __init__(self, lab: Lab | None = None) -> None:
        self.page = lab.page if lab else None
        self.count = 0

    def click(self, target: Locator) -> None:
        self.count += 1
        target.click()

    def choose(self, select: Locator, label: str) -> None:
        self.count += 1
        select.select_option(label=label)

    def type(self, field: Locator, text: str) -> None:
        self.count += 1
        field.fill(text)

    def drag(self, source: Locator, target: Locator, *, to_x: float = 0.5) -> None:
        """A real mouse drag (Lumino's drag and drop and React Flow's follow mouse events, not
        HTML5 drag events): press on ``source``, move past the drag threshold, release over
        ``target`` at ``to_x`` of its width."""
        assert self.page is not None, "Gestures(lab) counts drags"
        self.count += 1
        start, end = source.bounding_box(), target.bounding_box()
        assert start and end, "the drag's source or target is not on the page"
        x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + 12, y + 6, steps=4)
        self.page.mouse.move(end["x"] + end["width"] * to_x, end["y"] + end["height"] / 2, steps=20)
        self.page.mouse.up()


#: A card's retry wait with a retry_delay of 1 h: "Retrying in 59 min 58 s".
COUNTDOWN = r"Retrying in (1 h 00 min|59 min \d\d s)"


def retry_now_then_fail_now(lab: Lab, detail: Locator, card: Locator, step: str) -> None:
    """On ``card``, a step (or item) waiting for attempt 2 of 3 an hour away: Retry now makes
    attempt 2, which fails and waits for attempt 3; Fail now, confirmed, gives that up and the
    run ends failed with no wait left."""
    waiting = card.locator(".jp-OrchRunDetail-retry")
    card.get_by_role("button", name="Retry now", exact=True).click()
    attempt = card.locator('[data-attempt="2"]')
    expect(attempt).to_have_attribute("data-status", "failed", timeout=8_000)
    expect(waiting).to_have_text(re.compile(rf"^{COUNTDOWN} \(attempt 3 of 3\)$"))

    card.get_by_role("button", name="Fail now", exact=True).click()
    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_have_text(f"Fail {step} now?")
    box.get_by_role("button", name="Fail now", exact=True).click()
    expect(box).to_have_count(0)
    expect(status_badge(detail)).to_have_attribute("data-status", "failed", timeout=10_000)
    expect(waiting).to_have_count(0)
