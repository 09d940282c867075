"""A pipeline's lineage in a real browser: two pipelines share a table of the connection
``warehouse`` (tests/ui/conftest.py's server defines it, a SQLite file): ``lineage_load``'s
query step writes ``lin_daily``, which ``lineage_report``'s query step reads (its export step
also loads a CSV file into ``lin_regions``). Both are registered and run through the REST API.
From the reader's row, "Lineage" opens its graph: the writer's step marked as another
pipeline's, the shared table "last written by lineage_load #N", which opens that run; the file
dataset opens in JupyterLab; the nodes are reachable with the keyboard.

It uses tests/ui/conftest.py's `jupyter lab`, with pipelines and a folder of their own.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest

from .conftest import Lab, LabServer, warehouse_path
from .lab_helpers import (
    expect,
    main_area,
    open_panel,
    pick_from_palette,
    pipeline_row,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

FOLDER = "lineage"
WRITER, READER, UNRUN = "lineage_load", "lineage_report", "lineage_unrun"

WRITER_YAML = f"""\
name: {WRITER}
description: Loads the day's orders into lin_daily.
steps:
  - name: build
    connection: warehouse
    sql: "INSERT INTO lin_daily SELECT region, total FROM lin_orders"
"""

READER_YAML = f"""\
name: {READER}
description: Totals by region, from what {WRITER} loads.
steps:
  - name: totals
    connection: warehouse
    sql: "SELECT region, sum(total) AS total FROM lin_daily GROUP BY region"
  - name: publish
    export: {{from: regions.csv, to: {{table: lin_regions, connection: warehouse}}}}
"""


def fill_warehouse(server: LabServer) -> None:
    """``lin_orders`` with three orders, ``lin_daily`` empty (the writer fills it)."""
    with sqlite3.connect(warehouse_path(server)) as db:
        for table in ("lin_orders", "lin_daily", "lin_regions"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute("CREATE TABLE lin_orders (region TEXT, total REAL)")
        db.execute("CREATE TABLE lin_daily (region TEXT, total REAL)")
        db.executemany(
            "INSERT INTO lin_orders VALUES (?, ?)", [("EU", 10.0), ("EU", 5.0), ("US", 7.5)]
        )
    db.close()


def register_and_run(server: LabServer, name: str, yaml: str) -> dict[str, Any]:
    server.request("POST", "/orch/pipelines", {"path": f"{FOLDER}/{name}.yaml", "yaml": yaml})
    run = server.request("POST", f"/orch/pipelines/{name}/runs", {"trigger": "api"})
    finished = wait_run(server, run["id"], 60)
    assert finished["status"] == "succeeded", finished
    return finished


@pytest.fixture(scope="module")
def shared_table(lab_server: LabServer) -> dict[str, Any]:
    """The writer's run, then the reader's, both succeeded; the writer's run returned."""
    fill_warehouse(lab_server)
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "regions.csv").write_text("region,name\nEU,Europe\nUS,United States\n")
    writer = register_and_run(lab_server, WRITER, WRITER_YAML)
    unrun = f"name: {UNRUN}\nsteps:\n  - {{name: one, connection: warehouse, sql: SELECT 1}}\n"
    lab_server.request("POST", "/orch/pipelines", {"path": f"{FOLDER}/{UNRUN}.yaml", "yaml": unrun})
    register_and_run(lab_server, READER, READER_YAML)
    graph = lab_server.request("GET", f"/orch/lineage?pipeline={READER}")
    shared = {"from": f"step:{WRITER}/build", "to": "dataset:warehouse.lin_daily", "kind": "writes"}
    assert shared in graph["edges"], graph
    return writer


def test_lineage_shows_who_writes_what_the_pipeline_reads(
    shared_table: dict[str, Any], lab: Lab
) -> None:
    page = lab.page
    page.set_viewport_size({"width": 1400, "height": 900})
    writer = shared_table
    number = writer["number"]

    open_panel(lab).get_by_role("button", name="Refresh", exact=True).click()
    pipeline_row(lab, READER).get_by_role("button", name=f"Lineage of {READER}", exact=True).click()
    view = main_area(lab).locator(f"#jp-orch-lineage-{READER}")
    expect(view).to_be_visible()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{READER} lineage")
    expect(view.locator(".jp-OrchLineage-title")).to_have_text(f"Lineage of {READER}")

    # The reader's own steps, the writer's step marked as another pipeline's
    flow = view.locator(".jp-OrchLineage-flow")
    expect(flow).to_have_attribute("data-nodes", "7")
    own = flow.locator(f'.jp-OrchLineage-step[data-pipeline="{READER}"]')
    expect(own).to_have_count(2)
    other = re.compile(r"\bjp-mod-other\b")
    expect(own.filter(has_text="totals")).not_to_have_class(other)
    build = flow.locator(f'.jp-OrchLineage-step[data-pipeline="{WRITER}"][data-step="build"]')
    expect(build).to_have_class(other)
    expect(build).to_contain_text(f"{WRITER} / build")
    expect(build).to_contain_text("other pipeline")

    # Datasets: tables and the file, each with an icon saying which
    daily = flow.locator('.jp-OrchLineage-dataset[data-dataset="warehouse.lin_daily"]')
    expect(daily).to_have_attribute("data-kind", "table")
    expect(daily).to_contain_text("warehouse.lin_daily")
    csv = flow.locator(f'.jp-OrchLineage-dataset[data-dataset="{FOLDER}/regions.csv"]')
    expect(csv).to_have_attribute("data-kind", "file")
    expect(csv).to_contain_text("no recorded run writes it")
    regions = flow.locator('.jp-OrchLineage-dataset[data-dataset="warehouse.lin_regions"]')
    expect(regions).to_contain_text(f"last written by {READER} #")
    # Reads go into steps, writes out of them
    edges = flow.locator(".react-flow__edge")
    expect(edges).to_have_count(5)
    expect(flow.locator(".react-flow__edge.jp-OrchLineage-writes")).to_have_count(2)
    expect(flow.locator(".react-flow__edge.jp-OrchLineage-reads")).to_have_count(3)

    # "last written by" the writer's run, with the exact time as its tooltip
    written = daily.locator(".jp-OrchLineage-written")
    expect(written).to_have_text(f"last written by {WRITER} #{number} · just now")
    expect(written).to_have_attribute("data-run", writer["id"])
    title = written.get_attribute("title") or ""
    assert title.startswith(f"Written by {WRITER} / build in run #{number} at 20"), title

    # The README's picture: the sidebar collapsed, so that the graph is drawn at full size
    lab.orchestration_tab.click()
    expect(lab.page.locator("#jp-orch-panel")).to_be_hidden()
    page.locator(".jp-OrchLineage .react-flow__controls-fitview").click()
    page.wait_for_timeout(400)  # the fit's animation
    lab.screenshot("lineage")

    # Refresh reads the graph again (and draws the same)
    view.get_by_role("button", name="Refresh", exact=True).click()
    expect(view.get_by_role("button", name="Refresh", exact=True)).to_be_enabled()
    expect(flow).to_have_attribute("data-nodes", "7")

    # Keyboard: the nodes are focusable and Enter on the shared table opens its writer's run
    node = flow.locator('.react-flow__node[data-id="dataset:warehouse.lin_daily"]')
    node.focus()
    expect(node).to_be_focused()
    page.keyboard.press("Enter")
    detail = main_area(lab).locator(f"#jp-orch-run-{writer['id']}")
    expect(detail).to_be_visible()
    expect(detail.locator(".jp-OrchRunDetail-title")).to_have_text(WRITER)

    # A click on "last written by" opens the run too (here: shows the detail already open)
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{READER} lineage").click()
    expect(written).to_be_visible()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{WRITER} #{number}").locator(
        ".lm-TabBar-tabCloseIcon"
    ).click()
    expect(detail).to_have_count(0)
    written.click()
    expect(detail).to_be_visible()
    expect(detail.locator(".jp-OrchRunDetail-title")).to_have_text(WRITER)

    # The file opens in JupyterLab from its name
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{READER} lineage").click()
    csv.get_by_role("button", name=f"{FOLDER}/regions.csv").click()
    tab_csv = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(tab_csv).to_contain_text("regions.csv")

    # The palette's command asks which pipeline, and Enter on another pipeline's step shows
    # that pipeline's lineage
    pick_from_palette(lab, "Show Pipeline Lineage…", WRITER)
    writer_view = main_area(lab).locator(f"#jp-orch-lineage-{WRITER}")
    expect(writer_view).to_be_visible()
    expect(writer_view.locator(f'.jp-OrchLineage-step[data-pipeline="{READER}"]')).to_have_count(1)
    expect(tab).to_contain_text(f"{WRITER} lineage")

    # A pipeline that has not run yet: where lineage comes from
    pick_from_palette(lab, "Show Pipeline Lineage…", UNRUN)
    empty = main_area(lab).locator(f"#jp-orch-lineage-{UNRUN} .jp-OrchLineage-empty")
    expect(empty).to_contain_text(f"No lineage recorded for {UNRUN} yet")
    expect(empty).to_contain_text("Lineage appears after the pipeline runs")
    expect(empty).to_contain_text("jupyter_orch.lineage(inputs=[...], outputs=[...])")
