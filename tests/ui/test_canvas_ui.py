"""The builder's canvas: two notebooks dragged from JupyterLab's file browser onto it are two
connected steps in two gestures; "Save and run" saves and runs them in one click. Connecting by
dragging between handles refuses a cycle, and the keyboard deletes a connection. A real
JupyterLab in Chromium (fixtures in conftest.py)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
import yaml

from .conftest import Lab, LabServer
from .lab_helpers import Gestures, Locator, dialog, expect, main_area, run_command, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]


@pytest.fixture
def folder(lab_server: LabServer) -> Callable[[str, tuple[str, ...]], str]:
    """A folder of copies of the fixture notebook hello.ipynb: ``folder(name, stems)``."""

    def make(name: str, stems: tuple[str, ...]) -> str:
        path = lab_server.root / name
        path.mkdir(exist_ok=True)
        for stem in stems:
            shutil.copy(lab_server.root / "hello.ipynb", path / f"{stem}.ipynb")
        return name

    return make


def open_new_builder(lab: Lab, path: str) -> Locator:
    """JupyterLab with the file browser in ``path``, and a new pipeline's builder beside it (the
    command palette's New Pipeline, which leaves the file browser open)."""
    lab.goto(path)
    listing = lab.page.locator("#filebrowser .jp-DirListing-content")
    expect(listing).to_be_visible()
    expect(lab.page.locator("#filebrowser .jp-BreadCrumbs")).to_contain_text(path)
    run_command(lab, "New Pipeline")
    builder = main_area(lab).locator(".jp-OrchBuilder:visible")
    expect(builder.get_by_role("heading", name="New pipeline")).to_be_visible()
    return builder


def canvas_of(builder: Locator) -> Locator:
    """The canvas's drawing area (the drop target)."""
    return builder.locator(".jp-OrchCanvas-flow")


def file_item(lab: Lab, name: str) -> Locator:
    return lab.page.locator("#filebrowser .jp-DirListing-item").filter(
        has=lab.page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{name}$"))
    )


def canvas_node(builder: Locator, step: str) -> Locator:
    return builder.locator(f'.react-flow__node[data-step="{step}"]')


@pytest.mark.parametrize("width,height", [(1600, 1000), (1400, 900)], ids=["1600x1000", "1400x900"])
def test_drag_two_notebooks_onto_the_canvas_then_save_and_run(
    lab: Lab, folder: Callable[[str, tuple[str, ...]], str], width: int, height: int
) -> None:
    lab.page.set_viewport_size({"width": width, "height": height})
    path = folder(f"canvas_ui_{width}", ("extract", "report"))
    builder = open_new_builder(lab, path)
    expect(canvas_of(builder)).to_contain_text("Drop notebooks here")
    gestures = Gestures(lab)

    gestures.drag(file_item(lab, "extract.ipynb"), canvas_of(builder))
    expect(canvas_node(builder, "extract")).to_be_visible()
    gestures.drag(file_item(lab, "report.ipynb"), canvas_of(builder))
    expect(canvas_node(builder, "report")).to_be_visible()
    # Dropped after the selected (the last) step: connected without another gesture
    edge = builder.locator(".react-flow__edge")
    expect(edge).to_have_count(1)
    expect(edge).to_have_attribute("aria-label", "report needs extract")
    two_connected = gestures.count
    assert two_connected == 2, f"two connected notebooks took {two_connected} gestures"

    # The form shows the same steps: the second needs the first; the node shows its folder
    second = builder.get_by_role("group", name="Step 2", exact=True)
    expect(second.get_by_label("Notebook", exact=True)).to_have_value("report.ipynb")
    expect(second.get_by_role("checkbox", name="extract", exact=True)).to_be_checked()
    expect(canvas_node(builder, "report")).to_contain_text(f"{path}/")
    expect(canvas_node(builder, "report")).to_have_attribute(
        "title", f"report (Notebook): {path}/report.ipynb"
    )

    name = f"canvas-two-{width}"
    gestures.type(builder.get_by_label("Name", exact=True), name)
    expect(builder.get_by_text("Checking…")).to_have_count(0)
    expect(builder.locator(".jp-OrchBuilder-validity")).to_have_text("Valid")
    builder.evaluate("(el) => { el.scrollTop = 0; }")  # the form from its name
    if width == 1600:
        lab.screenshot("canvas")  # with the file browser the notebooks came from

    gestures.click(builder.get_by_role("button", name="Save and run", exact=True))
    detail = main_area(lab).locator('[id^="jp-orch-run-"]:visible').first
    expect(detail).to_be_visible()
    run_id = (detail.get_attribute("id") or "").removeprefix("jp-orch-run-")
    run = wait_run(lab.server, run_id)
    assert run["status"] == "succeeded", run.get("error")
    assert run["pipeline"] == name
    assert gestures.count == 4  # drag, drag, name, Save and run

    saved = yaml.safe_load((lab.server.root / path / f"{name}.pipeline.yaml").read_text())
    assert saved["steps"] == [
        {"name": "extract", "notebook": "extract.ipynb"},
        {"name": "report", "notebook": "report.ipynb", "needs": ["extract"]},
    ]
    assert [s["name"] for s in run["steps"]] == ["extract", "report"]


def test_connect_on_the_canvas_refuses_a_cycle_and_keys_delete(
    lab: Lab, folder: Callable[[str, tuple[str, ...]], str]
) -> None:
    builder = open_new_builder(lab, folder("canvas_keys", ("load", "send")))
    gestures = Gestures(lab)
    for notebook in ("load.ipynb", "send.ipynb"):
        gestures.drag(file_item(lab, notebook), canvas_of(builder))
    edge = builder.locator(".react-flow__edge")
    expect(edge).to_have_count(1)

    # The connection deleted with the keyboard: Tab-reachable, Enter selects, Delete removes
    edge.focus()
    lab.page.keyboard.press("Enter")
    expect(edge).to_have_class(re.compile(r"\bselected\b"))
    lab.page.keyboard.press("Delete")
    expect(edge).to_have_count(0)
    second = builder.get_by_role("group", name="Step 2", exact=True)
    expect(second.get_by_role("checkbox", name="load", exact=True)).not_to_be_checked()

    # Dragged from load's right handle to send: send needs load again
    load, send = canvas_node(builder, "load"), canvas_node(builder, "send")
    gestures.drag(load.locator(".react-flow__handle-right"), send, to_x=0.1)
    expect(edge).to_have_count(1)
    expect(second.get_by_role("checkbox", name="load", exact=True)).to_be_checked()
    # ... and back from send to load would be a cycle: refused, with a message
    gestures.drag(send.locator(".react-flow__handle-right"), load, to_x=0.1)
    expect(builder.locator(".jp-OrchCanvas-message")).to_contain_text("would make a cycle")
    expect(edge).to_have_count(1)

    # A node selected with the keyboard, Enter again edits it in the form, Delete removes it
    send.focus()
    lab.page.keyboard.press("Enter")
    expect(send).to_have_class(re.compile(r"\bselected\b"))
    expect(second).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    lab.page.keyboard.press("Enter")
    expect(second.get_by_label("Step name", exact=True)).to_be_focused()
    send.focus()
    lab.page.keyboard.press("Delete")
    expect(send).to_have_count(0)
    expect(builder.get_by_role("group", name="Step 2", exact=True)).to_have_count(0)

    # The palette adds a step of another kind after the last one
    builder.get_by_role("button", name="SQL query", exact=True).click()
    sql = builder.get_by_role("group", name="Step 2", exact=True)
    expect(sql.get_by_label("Kind", exact=True)).to_have_value("query")
    expect(sql.get_by_role("checkbox", name="load", exact=True)).to_be_checked()
    expect(builder.locator('.react-flow__node[data-kind="query"]')).to_have_count(1)


def test_several_notebooks_picked_at_once_are_chained_and_the_dialog_keeps_its_folder(
    lab: Lab, folder: Callable[[str, tuple[str, ...]], str]
) -> None:
    path = folder("canvas_pick", ("first", "second"))
    builder = open_new_builder(lab, "")
    builder.get_by_role("button", name="Add notebook…", exact=True).click()
    picker = dialog(lab)
    expect(picker).to_contain_text("Pick a notebook, or several")
    picker.locator(".jp-DirListing-item", has_text=path).dblclick()
    picker.locator(".jp-DirListing-item", has_text="first.ipynb").click()
    picker.locator(".jp-DirListing-item", has_text="second.ipynb").click(modifiers=["Control"])
    picker.get_by_role("button", name="Select", exact=True).click()
    expect(picker).to_have_count(0)

    first = builder.get_by_role("group", name="Step 1", exact=True)
    second = builder.get_by_role("group", name="Step 2", exact=True)
    expect(first.get_by_label("Notebook", exact=True)).to_have_value(f"{path}/first.ipynb")
    expect(second.get_by_label("Notebook", exact=True)).to_have_value(f"{path}/second.ipynb")
    expect(second.get_by_role("checkbox", name="first", exact=True)).to_be_checked()
    expect(builder.locator(".react-flow__edge")).to_have_count(1)

    # The palette's Notebook… opens the dialog where it was left
    builder.get_by_role("button", name="Notebook…", exact=True).click()
    expect(picker.locator(".jp-BreadCrumbs")).to_contain_text(path)
    expect(picker.locator(".jp-DirListing-item", has_text="first.ipynb")).to_be_visible()
    picker.get_by_role("button", name="Cancel", exact=True).click()
    expect(picker).to_have_count(0)
    expect(builder.locator(".jp-OrchBuilder-step")).to_have_count(2)
