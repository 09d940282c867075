"""The JupyterLab front end in a real browser: the Orchestration panel, the pipeline builder,
runs and their detail, "Schedule this notebook", pause and resume.

One `jupyter lab` serves the module (tests/ui/conftest.py); each test uses pipelines and folders
of its own, so any one of them runs alone. The screenshots in docs/screenshots/ (README shows
them) are written here on every run.
"""

from __future__ import annotations

import re
import shutil
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Lab, LabServer, open_lab
from .lab_helpers import (
    STDERR,
    cancel_from_detail,
    dag_step,
    dialog,
    expect,
    main_area,
    open_panel,
    panel,
    pipeline_row,
    run_command,
    run_from_panel,
    status_badge,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]


# --- tests ----------------------------------------------------------------------------------


def test_the_orchestration_panel_opens_from_the_sidebar(lab: Lab) -> None:
    found = open_panel(lab)
    expect(found.get_by_role("heading", name="Pipelines", exact=True)).to_be_visible()
    expect(found.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    expect(found.get_by_role("button", name="New pipeline", exact=True)).to_be_visible()
    expect(found.get_by_label("Pipeline", exact=True)).to_be_visible()
    expect(found.get_by_label("Status", exact=True)).to_be_visible()


def test_new_pipeline_builds_and_registers_a_two_step_pipeline(lab: Lab) -> None:
    name, file = "two-steps", "two-steps.pipeline.yaml"
    open_panel(lab).get_by_role("button", name="New pipeline", exact=True).click()
    builder = main_area(lab)
    builder.get_by_label("Name", exact=True).fill(name)
    builder.get_by_label("Description", exact=True).fill("Greets, then counts the north's rows.")
    builder.get_by_label("File", exact=True).fill(file)

    add_step = builder.get_by_role("button", name="Add step", exact=True)
    add_step.click()
    first = builder.get_by_role("group", name="Step 1", exact=True)
    first.get_by_label("Notebook", exact=True).fill("hello.ipynb")
    first.get_by_label("Step name", exact=True).fill("greet")

    # The second notebook is picked in JupyterLab's file dialog, as a user would
    builder.get_by_role("button", name="Add notebook…", exact=True).click()
    picker = dialog(lab)
    expect(picker).to_contain_text("Pick a notebook")
    picker.locator(".jp-DirListing-item", has_text="failing").dblclick()
    picker.locator(".jp-DirListing-item", has_text="fails.ipynb").click()
    picker.get_by_role("button", name="Select", exact=True).click()
    expect(picker).to_have_count(0)
    second = builder.get_by_role("group", name="Step 2", exact=True)
    expect(second.get_by_label("Notebook", exact=True)).to_have_value("failing/fails.ipynb")
    second.get_by_label("Step name", exact=True).fill("count")
    expect(second).to_be_visible()
    needs = second.get_by_role("checkbox", name="greet", exact=True)
    if needs.count():
        needs.check()
    else:  # the other form the contract allows: a (multiple) select labelled Needs
        second.get_by_label("Needs", exact=True).select_option("greet")
    expect(builder.get_by_text("Checking…")).to_have_count(0)  # the server's validation is back
    builder.get_by_label("Name", exact=True).scroll_into_view_if_needed()
    lab.screenshot("builder")

    builder.get_by_role("button", name="Save", exact=True).click()
    expect(pipeline_row(lab, name)).to_be_visible()

    saved = lab.server.request("GET", f"/orch/pipelines/{name}")
    assert saved["path"] == file
    assert (lab.server.root / file).is_file()
    assert [(s["name"], s["notebook"], s["needs"]) for s in saved["steps"]] == [
        ("greet", "hello.ipynb", []),
        ("count", "failing/fails.ipynb", ["greet"]),
    ]
    assert saved["description"] == "Greets, then counts the north's rows."


def test_open_in_orchestration_then_run_the_example_pipeline(lab: Lab) -> None:
    name = "daily-sales-report"
    lab.goto("daily_report/pipeline.yaml")
    expect(main_area(lab).locator(".jp-FileEditor:visible")).to_be_visible()
    run_command(lab, "Open in Orchestration")
    open_panel(lab)
    expect(pipeline_row(lab, name)).to_be_visible()
    assert lab.server.request("GET", f"/orch/pipelines/{name}")["path"] == (
        "daily_report/pipeline.yaml"
    )

    run_id, detail = run_from_panel(lab, name, {"report_date": None, "days": None})
    run = wait_run(lab.server, run_id)
    assert run["status"] == "succeeded", run.get("error")
    # Started from this browser: a notification says how it ended, with a link to it
    finished = lab.page.locator(".Toastify__toast").filter(has_text=f"Run of {name} succeeded")
    expect(finished).to_be_visible(timeout=15_000)
    expect(finished.get_by_role("button", name="Open run")).to_be_visible()
    expect(status_badge(detail)).to_have_attribute("data-status", "succeeded")
    for step in ("load_sales", "totals", "trends", "chart", "report", "email_report"):
        expect(dag_step(detail, step)).to_have_attribute("data-status", "succeeded")
    expect(detail.get_by_role("button", name="Open output notebook", exact=True)).to_have_count(6)
    expect(panel(lab).locator(f'[data-run-id="{run_id}"]')).to_have_attribute(
        "data-status", "succeeded"
    )


@pytest.fixture
def failing_pipeline(lab_server: LabServer) -> str:
    """tests/ui/fixtures/failing: `count_north` succeeds, then `count_region` raises."""
    return str(
        lab_server.request("POST", "/orch/pipelines", {"path": "failing/pipeline.yaml"})["name"]
    )


def test_a_failed_run_opens_its_failed_steps_output_notebook(
    failing_pipeline: str, lab: Lab
) -> None:
    name = failing_pipeline
    found = open_panel(lab)
    expect(pipeline_row(lab, name)).to_be_visible()
    run_id, detail = run_from_panel(lab, name, {"region": "nowhere"})

    run = wait_run(lab.server, run_id, 60)
    assert run["status"] == "failed"
    steps = {s["name"]: s for s in run["steps"]}
    assert steps["count_north"]["status"] == "succeeded"
    assert steps["count_region"]["status"] == "failed"
    attempt = steps["count_region"]["attempts"][-1]
    assert attempt["error"]["ename"] == "ValueError"
    assert attempt["error"]["evalue"] == "no rows for region nowhere"
    assert (lab.server.root / attempt["output_notebook"]).is_file()

    expect(status_badge(detail)).to_have_attribute("data-status", "failed")
    expect(dag_step(detail, "count_north")).to_have_attribute("data-status", "succeeded")
    expect(dag_step(detail, "count_region")).to_have_attribute("data-status", "failed")
    expect(detail.get_by_role("button", name="Rerun from failed step", exact=True)).to_be_visible()

    # The runs list, filtered to this pipeline's failed runs, shows it.
    found.get_by_label("Pipeline", exact=True).select_option(name)
    found.get_by_label("Status", exact=True).select_option("failed")
    runs = found.locator("[data-run-id]")
    expect(runs).to_have_count(1)
    expect(runs.first).to_have_attribute("data-run-id", run_id)
    expect(runs.first).to_have_attribute("data-status", "failed")

    lab.screenshot("run-detail")

    # A reload brings the run's tab back (the layout restorer)
    lab.page.reload()
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=60_000)
    detail = main_area(lab).locator(f"#jp-orch-run-{run_id}")
    expect(detail).to_be_visible()
    expect(status_badge(detail)).to_have_attribute("data-status", "failed")

    detail.get_by_role("button", name="Open failed step's output notebook", exact=True).click()
    notebook = main_area(lab).locator(".jp-NotebookPanel:visible")
    expect(notebook).to_be_visible()
    expect(notebook.locator(STDERR).first).to_contain_text(
        "ValueError: no rows for region nowhere", timeout=30_000
    )


def test_schedule_a_notebook_from_its_toolbar(lab: Lab) -> None:
    lab.goto("hello.ipynb")
    notebook = main_area(lab).locator(".jp-NotebookPanel:visible")
    expect(notebook).to_be_visible()
    notebook.locator('.jp-NotebookPanel-toolbar [title^="Schedule this notebook"]').first.click()

    box = dialog(lab)
    expect(box.locator(".jp-Dialog-header")).to_have_text(re.compile(r"^\s*Schedule"))
    box.get_by_label("Schedule", exact=True).select_option(label="Every day at")
    zone = box.get_by_label("Time zone", exact=True)
    if zone.count():  # defaults to the browser's zone, which is this one
        zone.fill("Europe/Berlin")
    expect(box.get_by_label("greeting", exact=True)).to_have_value("hi")
    expect(box.get_by_label("count", exact=True)).to_have_value("3")
    box.get_by_label("greeting", exact=True).fill("hello")
    box.get_by_label("count", exact=True).fill("2")
    box.get_by_label("Retries", exact=True).fill("1")
    box.get_by_label("Timeout", exact=True).fill("5m")
    expect(box).to_contain_text("every day at 09:00 (Europe/Berlin)")  # the server's preview
    expect(box.get_by_role("button", name="Run now", exact=True)).to_be_visible()
    lab.screenshot("schedule-dialog")

    box.get_by_role("button", name="Save", exact=True).click()
    expect(box).to_have_count(0)
    open_panel(lab)
    expect(pipeline_row(lab, "hello")).to_contain_text("every day at 09:00 (Europe/Berlin)")

    # Scheduling it again starts from how it is scheduled now
    notebook.locator('.jp-NotebookPanel-toolbar [title^="Schedule this notebook"]').first.click()
    expect(box).to_contain_text("Scheduled as hello")
    expect(box.get_by_label("greeting", exact=True)).to_have_value("hello")
    expect(box.get_by_label("count", exact=True)).to_have_value("2")
    expect(box.get_by_label("Retries", exact=True)).to_have_value("1")
    expect(box.get_by_label("Timeout", exact=True)).to_have_value("5m")
    expect(box).to_contain_text("every day at 09:00 (Europe/Berlin)")
    box.get_by_role("button", name="Cancel", exact=True).click()
    expect(box).to_have_count(0)

    # The same command is in the Run menu
    lab.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    menu_item = lab.page.locator(".lm-Menu-itemLabel", has_text="Schedule this notebook...")
    expect(menu_item).to_be_visible()
    lab.page.keyboard.press("Escape")

    saved = lab.server.request("GET", "/orch/pipelines/hello")
    assert saved["path"] == "hello.pipeline.yaml"
    assert saved["schedule"]["cron"] == "0 9 * * *"
    assert saved["schedule"]["timezone"] == "Europe/Berlin"
    assert saved["parameters"] == {"greeting": "hello", "count": 2}
    [step] = saved["steps"]
    assert step["notebook"] == "hello.ipynb"
    assert step["retries"] == 1
    assert step["timeout"] in ("5m", 300, 300.0)


PAUSABLE = """\
name: pause-me
description: Scheduled, to be paused and resumed (tests/ui).
schedule: {cron: "0 9 * * *", timezone: Europe/Berlin}
steps:
  - name: greet
    notebook: hello.ipynb
"""


@pytest.fixture
def pausable_pipeline(lab_server: LabServer) -> str:
    folder = lab_server.root / "pausable"
    folder.mkdir(exist_ok=True)
    shutil.copy(lab_server.root / "hello.ipynb", folder / "hello.ipynb")
    body = {"path": "pausable/pipeline.yaml", "yaml": PAUSABLE}
    return str(lab_server.request("POST", "/orch/pipelines", body)["name"])


def test_pause_and_resume_a_scheduled_pipeline(pausable_pipeline: str, lab: Lab) -> None:
    name = pausable_pipeline
    open_panel(lab)
    row = pipeline_row(lab, name)
    expect(row).to_contain_text("every day at 09:00 (Europe/Berlin)")
    expect(row).not_to_contain_text("Paused")

    row.get_by_role("button", name=f"Pause {name}", exact=True).click()
    expect(row).to_contain_text("Paused")
    resume = row.get_by_role("button", name=f"Resume {name}", exact=True)
    expect(resume).to_be_visible()
    paused = lab.server.request("GET", f"/orch/pipelines/{name}")
    assert paused["paused"] is True and paused["next_run_at"] is None

    resume.click()
    expect(row).not_to_contain_text("Paused")
    expect(row.get_by_role("button", name=f"Pause {name}", exact=True)).to_be_visible()
    resumed = lab.server.request("GET", f"/orch/pipelines/{name}")
    assert resumed["paused"] is False and resumed["next_run_at"] is not None

    # The panel as README shows it: the pipelines these tests made, and their runs.
    lab.screenshot("panel", panel(lab))

    # Removing it asks first; the pipeline is forgotten, its file stays
    row.get_by_role("button", name=f"Remove {name}", exact=True).click()
    confirm = dialog(lab)
    expect(confirm).to_contain_text("file and the output notebooks stay on disk")
    confirm.get_by_role("button", name="Remove", exact=True).click()
    expect(row).to_have_count(0)
    with pytest.raises(urllib.error.HTTPError) as gone:
        lab.server.request("GET", f"/orch/pipelines/{name}")
    assert gone.value.code == 404
    assert (lab.server.root / "pausable" / "pipeline.yaml").is_file()


BROKEN = """\
name: broken
steps:
  - name: first
    notebook: hello.ipynb
    needs: [nowhere]
"""


def test_a_server_error_is_a_notification_with_the_servers_message(
    lab_server: LabServer, lab: Lab
) -> None:
    (lab_server.root / "broken.pipeline.yaml").write_text(BROKEN)
    # From the file browser's context menu this time (the example test uses the editor)
    lab.goto()  # the file browser lists the new file
    browser_panel = lab.page.locator("#filebrowser")
    # Hidden while the layout restores: decide whether to open it only once that is over (a
    # click meanwhile toggled it shut again when the restored layout showed it)
    expect(browser_panel).not_to_have_class(re.compile(r"\bjp-mod-restoring\b"))
    if not browser_panel.is_visible():
        lab.page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title^="File Browser"]').click()
    expect(browser_panel).to_be_visible()
    item = browser_panel.locator(".jp-DirListing-item", has_text="broken.pipeline.yaml")
    item.click(button="right")
    lab.page.locator(".lm-Menu-itemLabel", has_text="Open in Orchestration").click()
    toast = lab.page.locator(".Toastify__toast").filter(
        has_text="Could not register broken.pipeline.yaml"
    )
    expect(toast).to_be_visible()
    # The server's detail, with its field: the unknown step the first step needs
    expect(toast).to_contain_text("steps[0].needs[0]: unknown step 'nowhere'")
    toast.get_by_role("button", name="Details").click()
    expect(dialog(lab)).to_contain_text("broken.pipeline.yaml is not a valid pipeline: 1 problem")
    with pytest.raises(urllib.error.HTTPError) as missing:
        lab_server.request("GET", "/orch/pipelines/broken")
    assert missing.value.code == 404


@pytest.fixture(scope="module")
def lab_server_without_orch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab with the front end installed but the server extension disabled."""
    server = LabServer(
        tmp_path_factory.mktemp("lab-no-orch"),
        ("--ServerApp.jpserver_extensions=jupyter_orch=False",),
    )
    server.start()
    try:
        yield server
    finally:
        server.shutdown()


def test_the_panel_says_when_the_server_extension_is_missing(
    browser: Any, lab_server_without_orch: LabServer, request: pytest.FixtureRequest
) -> None:
    with open_lab(browser, lab_server_without_orch, request) as lab:
        found = open_panel(lab)
        problem = found.get_by_role("alert")
        expect(problem).to_contain_text("server extension is not running")
        expect(problem).to_contain_text("jupyter server extension list")
        expect(found.locator("[data-pipeline]")).to_have_count(0)


def test_cancel_a_running_run_then_rerun_it(lab_server: LabServer, lab: Lab) -> None:
    lab_server.request("POST", "/orch/pipelines", {"path": "sleepy/pipeline.yaml"})
    first = lab_server.request("POST", "/orch/pipelines/sleepy/runs", {})
    found = open_panel(lab)
    row = found.locator(f'[data-run-id="{first["id"]}"]')
    expect(row).to_have_attribute("data-status", "running", timeout=30_000)
    row.click()
    detail = main_area(lab).locator(f"#jp-orch-run-{first['id']}")
    expect(status_badge(detail)).to_have_attribute("data-status", "running")
    expect(dag_step(detail, "nap")).to_have_attribute("data-status", "running")

    cancel_from_detail(lab, detail, "sleepy", confirm=False)  # it asks first: kept running
    expect(status_badge(detail)).to_have_attribute("data-status", "running")
    cancel_from_detail(lab, detail, "sleepy", confirm=True)
    expect(status_badge(detail)).to_have_attribute("data-status", "cancelled", timeout=30_000)
    assert lab_server.request("GET", f"/orch/runs/{first['id']}")["status"] == "cancelled"
    expect(detail.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)

    # Rerun opens the new run's detail; it runs the same pipeline and is a rerun of the first
    detail.get_by_role("button", name="Rerun", exact=True).click()
    second = main_area(lab).locator('[id^="jp-orch-run-"]:visible').first
    expect(second).not_to_have_id(f"jp-orch-run-{first['id']}")
    second_id = (second.get_attribute("id") or "").removeprefix("jp-orch-run-")
    rerun = lab_server.request("GET", f"/orch/runs/{second_id}")
    assert rerun["pipeline"] == "sleepy" and rerun["trigger"] == "rerun"
    assert rerun["rerun_of"] == first["id"]
    lab_server.request("POST", f"/orch/runs/{second_id}/cancel", {})
    assert wait_run(lab_server, second_id, 30)["status"] == "cancelled"


#: JavaScript: `rgb(css colour)` and its relative luminance `lum` (WCAG).
LUMINANCE = """
    const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
        const c = [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
"""

CONTRAST = (
    """(el) => {
"""
    + LUMINANCE
    + """    const text = lum(rgb(getComputedStyle(el.querySelector("text")).fill));
    const box = lum(rgb(getComputedStyle(el.querySelector("rect")).fill));
    return (Math.max(text, box) + 0.05) / (Math.min(text, box) + 0.05);
}"""
)


#: A button's own background, and the contrast of its text with the card behind it.
DISABLED_LOOK = (
    """(el) => {
"""
    + LUMINANCE
    + """    const card = el.closest(".jp-OrchBuilder-step");
    const text = lum(rgb(getComputedStyle(el).color));
    const back = lum(rgb(getComputedStyle(card).backgroundColor));
    return {
        background: getComputedStyle(el).backgroundColor,
        text: (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05),
    };
}"""
)


def set_theme(lab: Lab, theme: str) -> None:
    """Settings > Theme > ``theme``, through the menus."""
    page = lab.page
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(theme)}$")).click()


def test_the_run_detail_reads_in_the_dark_theme(failing_pipeline: str, lab: Lab) -> None:
    run = lab.server.request("POST", f"/orch/pipelines/{failing_pipeline}/runs", {})
    assert wait_run(lab.server, run["id"], 60)["status"] == "failed"
    set_theme(lab, "JupyterLab Dark")
    try:
        expect(lab.page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
        open_panel(lab).locator(f'[data-run-id="{run["id"]}"]').click()
        detail = main_area(lab).locator(f"#jp-orch-run-{run['id']}")
        expect(status_badge(detail)).to_have_attribute("data-status", "failed")
        for step in ("count_north", "count_region"):
            # The step names on the DAG's boxes keep WCAG AA contrast in the dark theme
            ratio = dag_step(detail, step).evaluate(CONTRAST)
            assert ratio >= 4.5, f"{step}: contrast {ratio:.1f} in the dark theme"
        lab.screenshot("run-detail-dark")

        # The builder's disabled arrow (the first step's "up") is dimmed text on the card, not
        # a black square
        pipeline_row(lab, failing_pipeline).locator(".jp-OrchPipeline-name").click()
        builder = main_area(lab).locator(f"#jp-orch-builder-{failing_pipeline}")
        up = builder.locator(".jp-OrchBuilder-step").first.get_by_role("button", name="Move up")
        expect(up).to_be_disabled()
        looks = up.evaluate(DISABLED_LOOK)
        assert looks["background"] in ("transparent", "rgba(0, 0, 0, 0)"), looks
        assert looks["text"] >= 1.5, f"the disabled arrow is invisible: {looks}"
    finally:
        set_theme(lab, "JupyterLab Light")
        expect(lab.page.locator("body")).to_have_attribute("data-jp-theme-light", "true")
