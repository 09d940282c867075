"""A pipeline's versions in a real browser: a one-notebook pipeline registered, its notebook's
cell and its YAML edited and registered again, so that it has two versions. From the pipeline's
row the history lists both with who recorded them; "Compare with previous" shows the YAML as a
coloured unified diff and the notebook cell by cell in nbdime's widgets (old and new source);
"Roll back to this version" on version 1 first names the notebook that has unsaved edits in the
lab, then asks for confirmation; it writes version 1's files back to disk, records version 3,
reloads the pipeline file open in the editor and leaves the unsaved notebook as it is. The
palette's command opens the history too, where ticking two versions compares them.

It uses tests/ui/conftest.py's `jupyter lab`, with a pipeline and a folder of its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab, LabServer
from .lab_helpers import (
    Gestures,
    dialog,
    expect,
    main_area,
    open_panel,
    panel,
    pick_from_palette,
    pipeline_row,
    toast,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

NAME = "versioned"

PIPELINE = """\
name: {name}
description: {description}
parameters: {{region: EU}}
steps:
  - {{name: transform, notebook: transform.ipynb}}
"""

OLD_SOURCE = "totals = sales.groupby('region').sum()"
NEW_SOURCE = "totals = sales.groupby(['region', 'day']).sum()"


def notebook(transform: str) -> dict[str, Any]:
    def cell(index: int, source: str, kind: str = "code") -> dict[str, Any]:
        extra: dict[str, Any] = {"execution_count": None, "outputs": []} if kind == "code" else {}
        return {"cell_type": kind, "id": f"cell-{index}", "metadata": {}, "source": source, **extra}

    return {
        "cells": [
            cell(0, "# Daily totals\nSales by region.", "markdown"),
            cell(1, "import pandas as pd\nsales = pd.DataFrame({'region': ['EU'], 'day': [1]})"),
            cell(2, transform),
            cell(3, "print(len(totals))"),
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def register(server: LabServer, transform: str, description: str) -> dict[str, Any]:
    folder = server.root / NAME
    folder.mkdir(exist_ok=True)
    (folder / "transform.ipynb").write_text(json.dumps(notebook(transform), indent=1))
    body = {
        "path": f"{NAME}/pipeline.yaml",
        "yaml": PIPELINE.format(name=NAME, description=description),
    }
    result: dict[str, Any] = server.request("POST", "/orch/pipelines", body)
    return result


def sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


@pytest.fixture(scope="module")
def versioned(lab_server: LabServer) -> str:
    """The pipeline ``versioned`` with two versions: v2 changed a cell and the description."""
    register(lab_server, OLD_SOURCE, "Daily totals by region.")
    register(lab_server, NEW_SOURCE, "Daily totals by region and day.")
    versions = lab_server.request("GET", f"/orch/pipelines/{NAME}/versions")["versions"]
    assert [v["version"] for v in versions] == [2, 1], versions
    return NAME


def test_history_compares_two_versions_with_nbdime_and_rolls_back(versioned: str, lab: Lab) -> None:
    page = lab.page
    page.set_viewport_size({"width": 1400, "height": 900})
    server = lab.server
    nb_path = server.root / NAME / "transform.ipynb"
    # The pipeline file open in the editor (the rollback reloads it) and the notebook (a cell
    # edited, not saved: the rollback warns first)
    lab.goto(f"{NAME}/transform.ipynb")
    cell = main_area(lab).locator(".jp-Notebook .jp-Cell").nth(3)
    expect(cell).to_contain_text("print(len(totals))")
    page.locator(".jp-DirListing-item", has_text="pipeline.yaml").dblclick()
    editor = main_area(lab).locator(".jp-FileEditor:visible")
    expect(editor).to_contain_text("Daily totals by region and day.")

    gestures = Gestures(lab)

    def tab_named(label: str) -> Any:
        return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=label)

    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    gestures.click(
        pipeline_row(lab, NAME).get_by_role("button", name=f"History of {NAME}", exact=True)
    )
    history = main_area(lab).locator(f"#jp-orch-versions-{NAME}")
    expect(history).to_be_visible()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{NAME} versions")
    rows = history.locator(".jp-OrchVersions-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-version", "2")
    expect(rows.nth(0)).to_contain_text("v2")
    expect(rows.nth(0)).to_contain_text("latest")
    expect(rows.nth(0).locator(".jp-OrchVersions-summary")).to_contain_text("notebook")
    expect(rows.nth(1)).to_contain_text("v1")

    # Compare v1 -> v2: the YAML as a coloured diff, the notebook cell by cell (nbdime)
    gestures.click(rows.nth(0).get_by_role("button", name="Compare with previous"))
    diff = main_area(lab).locator(f"#jp-orch-version-diff-{NAME}-1-2")
    expect(diff).to_be_visible()
    expect(tab).to_contain_text(f"{NAME} v1 → v2")
    yaml = diff.locator('.jp-OrchVersionDiff-file[data-kind="yaml"]')
    # The server's first notebook comparison imports nbdime: a few seconds on a busy machine
    expect(yaml.locator(".jp-OrchDiff-del")).to_contain_text(
        "Daily totals by region.", timeout=30_000
    )
    expect(yaml.locator(".jp-OrchDiff-add")).to_contain_text("Daily totals by region and day.")
    cells = diff.locator('.jp-OrchVersionDiff-file[data-path="transform.ipynb"]')
    expect(cells.locator(".jp-OrchNbdiff .jp-Notebook-diff")).to_be_visible(timeout=30_000)
    changed = cells.locator(".jp-Cell-diff:not(.jp-Diff-unchanged)")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(OLD_SOURCE)
    expect(changed).to_contain_text(NEW_SOURCE)
    # Unchanged cells are hidden, and counted
    expect(cells.locator(".jp-Cell-diff.jp-Diff-unchanged").first).to_be_hidden()
    assert gestures.count == 2, "the diff is two clicks from the pipeline's row"
    # The README's picture: the tab alone, the sidebar closed
    lab.orchestration_tab.click()
    expect(panel(lab)).to_be_hidden()
    lab.screenshot("version-diff")

    # An unsaved edit in the notebook: the rollback names it before anything else
    tab_named("transform.ipynb").click()
    cell.locator(".cm-content").click()
    page.keyboard.type("  # draft")
    expect(tab_named("transform.ipynb")).to_have_class(re.compile("jp-mod-dirty"))

    # Roll back to v1 from the history: confirm, then v1's notebook is on disk again
    tab_named(f"{NAME} versions").click()
    gestures.click(rows.nth(1).get_by_role("button", name="Roll back to this version"))
    box = dialog(lab)
    expect(box).to_contain_text(f"{NAME}/transform.ipynb")
    expect(box).not_to_contain_text("pipeline.yaml")
    expect(box).to_contain_text("Save or discard them first, or roll back anyway")
    gestures.click(box.get_by_role("button", name="Roll back anyway"))
    expect(box.locator(".jp-Dialog-header")).to_have_text(f"Roll back {NAME} to version 1?")
    expect(box).to_contain_text(
        f"files on disk ({NAME}/pipeline.yaml, {NAME}/transform.ipynb) are overwritten"
    )
    expect(box).to_contain_text("new version")
    gestures.click(box.get_by_role("button", name="Roll back", exact=True))
    expect(toast(lab, f"Rolled back {NAME} to version 1 as version 3")).to_be_visible()
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-version", "3")
    assert sources(nb_path)[2] == OLD_SOURCE
    assert sources(nb_path) == ["".join(c["source"]) for c in notebook(OLD_SOURCE)["cells"]]
    versions = server.request("GET", f"/orch/pipelines/{NAME}/versions")["versions"]
    assert versions[0]["version"] == 3
    assert gestures.count == 5, "a rollback with an unsaved file open is three clicks"
    # The pipeline file open in the editor shows version 1 again, without a reload; the
    # notebook with unsaved edits keeps them
    tab_named("pipeline.yaml").click()
    expect(editor).to_contain_text("Daily totals by region.")
    expect(editor).not_to_contain_text("region and day")
    tab_named("transform.ipynb").click()
    expect(cell).to_contain_text("# draft")


def test_the_palette_opens_a_pipelines_versions(versioned: str, lab: Lab) -> None:
    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    expect(pipeline_row(lab, NAME)).to_be_visible()
    pick_from_palette(lab, "Show Pipeline Versions…", NAME)
    history = main_area(lab).locator(f"#jp-orch-versions-{NAME}")
    expect(history.locator(".jp-OrchVersions-row").first).to_be_visible()
    # Tick two versions: "Compare v1 and v2"
    history.get_by_label("Select version 1 to compare").check()
    history.get_by_label("Select version 2 to compare").check()
    history.get_by_role("button", name="Compare v1 and v2").click()
    expect(main_area(lab).locator(f"#jp-orch-version-diff-{NAME}-1-2")).to_be_visible()
