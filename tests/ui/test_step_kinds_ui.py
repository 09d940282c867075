"""Step kinds in a real browser: a SQL query step added in the pipeline builder on a connection
the server defines, saved, run, and its run detail (kind, records count, output notebook).

The server of tests/ui/conftest.py defines ``warehouse`` (``JUPYTER_ORCH_CONN_WAREHOUSE``, a
SQLite file this test fills).
"""

from __future__ import annotations

import sqlite3

import pytest

from .conftest import Lab, warehouse_path
from .lab_helpers import (
    dag_step,
    expect,
    main_area,
    open_panel,
    pipeline_row,
    run_from_panel,
    status_badge,
    wait_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.ui]

SQL = "SELECT user_id, created_at FROM users WHERE created_at > :since ORDER BY user_id"


def fill_warehouse(lab: Lab) -> None:
    """``users``: four rows, three of them created after 2026-01-01."""
    with sqlite3.connect(warehouse_path(lab.server)) as db:
        db.execute("DROP TABLE IF EXISTS users")
        db.execute("CREATE TABLE users (user_id INTEGER, created_at TEXT)")
        db.executemany(
            "INSERT INTO users VALUES (?, ?)",
            [(1, "2025-12-30"), (2, "2026-01-02"), (3, "2026-01-05"), (4, "2026-02-01")],
        )
    db.close()


def test_a_sql_step_made_in_the_builder_runs_and_shows_its_records(lab: Lab) -> None:
    name, file = "new-users", "new-users.pipeline.yaml"
    fill_warehouse(lab)
    open_panel(lab).get_by_role("button", name="New pipeline", exact=True).click()
    builder = main_area(lab)
    builder.get_by_label("Name", exact=True).fill(name)
    builder.get_by_label("File", exact=True).fill(file)

    builder.get_by_label("Kind of the new step", exact=True).select_option(label="SQL query")
    builder.get_by_role("button", name="Add step", exact=True).click()
    step = builder.get_by_role("group", name="Step 1", exact=True)
    expect(step.get_by_label("Kind", exact=True)).to_have_value("query")
    step.get_by_label("Step name", exact=True).fill("new_users")
    step.get_by_label("SQL", exact=True).fill(SQL)
    # The connection is picked from the names the server defines
    connection = step.get_by_label("Connection", exact=True)
    expect(connection.locator("option", has_text="warehouse")).to_have_count(1)
    connection.select_option("warehouse")
    expect(step).to_contain_text("sqlite")
    expect(step).to_contain_text("JUPYTER_ORCH_CONN_WAREHOUSE")
    step.get_by_role("button", name="Add parameter", exact=True).click()
    step.get_by_label("Parameter 1 name", exact=True).fill("since")
    step.get_by_label("Parameter 1 value", exact=True).fill("2026-01-01")
    expect(builder.get_by_text("Checking…")).to_have_count(0)
    expect(builder.locator(".jp-OrchBuilder-validity")).to_have_text("Valid")
    expect(builder.locator('.react-flow__node[data-step="new_users"]')).to_have_attribute(
        "data-kind", "query"
    )
    builder.get_by_role("button", name="Save", exact=True).click()
    expect(pipeline_row(lab, name)).to_be_visible()

    [saved] = lab.server.request("GET", f"/orch/pipelines/{name}")["steps"]
    assert saved["kind"] == "query"
    assert saved["sql"] == SQL
    assert saved["connection"] == "warehouse"
    assert saved["parameters"] == {"since": "2026-01-01"}
    assert "notebook" not in saved

    run_id, detail = run_from_panel(lab, name, {})
    run = wait_run(lab.server, run_id, 60)
    assert run["status"] == "succeeded", run.get("error")
    [attempt] = run["steps"][0]["attempts"]
    assert attempt["outputs"]["records_count"] == 3
    expect(status_badge(detail)).to_have_attribute("data-status", "succeeded")
    expect(dag_step(detail, "new_users")).to_have_attribute("data-kind", "query")
    card = detail.get_by_role("region", name="Step new_users", exact=True)
    expect(card.locator(".jp-OrchStepKind")).to_have_text("SQL query")
    expect(card.locator(".jp-OrchRunDetail-summary")).to_have_text("3 records")

    card.get_by_role("button", name="Open output notebook", exact=True).click()
    notebook = main_area(lab).locator(".jp-NotebookPanel:visible")
    expect(notebook).to_be_visible()
    expect(notebook).to_contain_text("SELECT user_id", timeout=30_000)
    expect(notebook).to_contain_text("3 records")
