"""Each attempt records the datasets it read and wrote, named stably: a query's tables from its
SQL (parsed in its own process), an export's source and target, and what notebooks and
functions declare with ``jupyter_orch.lineage``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from jupyter_orch.connections import Connections
from jupyter_orch.outputs import LINEAGE_MIMETYPE, lineage_from_notebook
from jupyter_orch.records import RunRecord, StepStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline, write_notebook, write_steps


def lineage(run: RunRecord, step: str) -> dict[str, list[str]] | None:
    record = run.step(step)
    assert record.status is StepStatus.SUCCEEDED, record.attempts[-1].error
    last = record.last_attempt
    assert last is not None
    return last.lineage


@pytest.mark.slow
def test_every_kind_of_step_records_its_datasets(store: Store, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table orders (id integer, region text, total real)"))
        conn.execute(sa.text("insert into orders values (1, 'EU', 2.5), (2, 'US', 4.0)"))
    engine.dispose()
    write_notebook(
        tmp_path / "nb" / "clean.ipynb",
        None,
        """
        import pathlib, jupyter_orch
        pathlib.Path("clean.csv").write_text("id\\n1\\n")
        jupyter_orch.lineage(inputs=["warehouse.orders"], outputs=[pathlib.Path("clean.csv")])
        """,
    )
    (tmp_path / "fn.py").write_text(
        "import jupyter_orch\n\n\ndef score():\n"
        "    jupyter_orch.lineage(inputs=['nb/clean.csv'], outputs=['ml.scores'])\n"
        "    return {'ok': True}\n"
    )
    path = write_steps(
        tmp_path,
        "sales",
        """
        - {name: clean, notebook: nb/clean.ipynb}
        - name: totals
          connection: warehouse
          sql: |
            WITH eu AS (SELECT * FROM orders WHERE region = 'EU')
            SELECT region, sum(total) AS total FROM eu GROUP BY region
        - name: keep
          connection: warehouse
          sql: "CREATE TABLE daily AS SELECT region FROM orders"
        - {name: score, python: "fn.py:score"}
        - {name: publish, export: {from: nb/clean.csv, to: {table: clean, connection: warehouse}}, needs: [clean]}
        - {name: copy, export: {from: nb/clean.csv, to: {file: out/clean.parquet}}, needs: [clean]}
        - name: ship
          export: {from: "{{ steps.totals.outputs.path }}", to: {file: out/totals.parquet}}
          needs: [totals]
        """,
    )
    orch = Orchestrator(
        store, tmp_path / "runs", connections=Connections({"warehouse": f"sqlite:///{db}"})
    )
    run = run_pipeline(orch, path)
    here = str(tmp_path.resolve())
    assert lineage(run, "clean") == {
        "inputs": ["warehouse.orders"],
        "outputs": [f"{here}/nb/clean.csv"],
    }
    assert lineage(run, "totals") == {"inputs": ["warehouse.orders"], "outputs": []}
    assert lineage(run, "keep") == {"inputs": ["warehouse.orders"], "outputs": ["warehouse.daily"]}
    assert lineage(run, "score") == {
        "inputs": [f"{here}/nb/clean.csv"],
        "outputs": ["ml.scores"],
    }
    assert lineage(run, "publish") == {
        "inputs": [f"{here}/nb/clean.csv"],
        "outputs": ["warehouse.clean"],
    }
    assert lineage(run, "copy") == {
        "inputs": [f"{here}/nb/clean.csv"],
        "outputs": [f"{here}/out/clean.parquet"],
    }
    # A file in the run's own folder is no dataset: a new one each run
    assert lineage(run, "ship") == {"inputs": [], "outputs": [f"{here}/out/totals.parquet"]}
    # The record keeps them, and a reader gets them back
    again = store.get_run(run.id)
    assert again.step("keep").attempts[-1].to_dict()["lineage"] == lineage(run, "keep")


def test_datasets_inside_the_root_are_named_relative_to_it(tmp_path: Path) -> None:
    from jupyter_orch.datasets.names import connection_label, declared_dataset, file_dataset

    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    assert file_dataset(root / "data" / "x.csv", root) == "data/x.csv"
    assert declared_dataset("file:../x.csv", root / "data", root) == "x.csv"
    assert declared_dataset("warehouse.s.t", root, root) == "warehouse.s.t"
    outside = tmp_path / "elsewhere.csv"
    assert file_dataset(outside, root) == str(outside.resolve())
    assert connection_label("warehouse", "postgresql://u:pw@h/db") == "warehouse"
    assert connection_label("${URL}", "postgresql+psycopg://u:pw@db.example:5432/sales") == (
        "postgresql://db.example:5432/sales"
    )
    assert connection_label("sqlite://", "sqlite://") == "sqlite:memory"


def test_lineage_declared_in_a_notebook_is_read_back_from_it() -> None:
    nb = {
        "cells": [
            {
                "outputs": [
                    {"data": {LINEAGE_MIMETYPE: {"inputs": ["a.t"], "outputs": ["file:x.csv"]}}},
                    {"data": {LINEAGE_MIMETYPE: '{"inputs": ["a.t", "b.u"], "outputs": []}'}},
                    {"data": {"text/plain": "nothing"}},
                ]
            }
        ]
    }
    assert lineage_from_notebook(nb) == {"inputs": ["a.t", "b.u"], "outputs": ["file:x.csv"]}
    assert lineage_from_notebook({"cells": []}) is None


def test_declaring_bad_datasets_is_refused_by_name() -> None:
    import jupyter_orch

    with pytest.raises(ValueError, match="a dataset is a table name or a file path"):
        jupyter_orch.lineage(inputs=[""])
    with pytest.raises(ValueError, match="longer than 1000"):
        jupyter_orch.lineage(outputs=["x" * 1001])
