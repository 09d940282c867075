"""OpenLineage run events: START then COMPLETE or FAIL for every attempt, with datasets, the SQL
facet, the error facet and the pipeline run as parent; through a file transport and an HTTP
backend configured the OpenLineage way; none when nothing is configured."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jupyter_orch.datasets.openlineage import configured, dataset_parts

from .conftest import write_notebook, write_steps
from .helpers import command


def project(folder: Path) -> Path:
    db = folder / "shop.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table orders (id integer, total real)"))
        conn.execute(sa.text("insert into orders values (1, 2.5)"))
    engine.dispose()
    write_notebook(folder / "boom.ipynb", None, "raise ValueError('the hunter2 pipe burst')")
    return write_steps(
        folder,
        "shop",
        """
        - name: totals
          connection: shop
          sql: "WITH o AS (SELECT * FROM orders) SELECT sum(total) AS t FROM o WHERE 'hunter2' <> ''"
        - {name: boom, notebook: boom.ipynb, needs: [totals]}
        """,
        head="secrets: [SHOP_TOKEN]",
    )


def run_cli(folder: Path, path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "JUPYTER_ORCH_CONN_SHOP": f"sqlite:///{folder / 'shop.db'}",
        "SHOP_TOKEN": "hunter2",
        **env,
    }
    return subprocess.run(
        [*command(folder, "run", str(path))], capture_output=True, text=True, env=environ
    )


def check_events(events: list[dict[str, Any]]) -> None:
    """START then an end for each attempt, each with what it must carry."""
    by_job: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_job.setdefault(event["job"]["name"], []).append(event)
    assert set(by_job) == {"shop.totals", "shop.boom"}
    totals, boom = by_job["shop.totals"], by_job["shop.boom"]
    assert [e["eventType"] for e in totals] == ["START", "COMPLETE"]
    assert [e["eventType"] for e in boom] == ["START", "FAIL"]
    assert totals[0]["run"]["runId"] == totals[1]["run"]["runId"]
    assert [(d["namespace"], d["name"]) for d in totals[1]["inputs"]] == [("shop", "orders")]
    assert totals[0]["inputs"] == [] and boom[1]["outputs"] == []
    assert "SELECT sum(total)" in totals[1]["job"]["facets"]["sql"]["query"]
    parent = boom[1]["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("jupyter-orch", "shop")
    assert parent["run"]["runId"] == totals[1]["run"]["facets"]["parent"]["run"]["runId"]
    error = boom[1]["run"]["facets"]["errorMessage"]
    assert "pipe burst" in error["message"] and error["programmingLanguage"] == "python"
    shown = json.dumps(events)
    assert "hunter2" not in shown  # the secret's value is masked in the SQL and the error


@pytest.mark.slow
def test_events_through_a_file_transport(tmp_path: Path) -> None:
    path = project(tmp_path)
    log = tmp_path / "ol.jsonl"
    result = run_cli(
        tmp_path,
        path,
        {
            "OPENLINEAGE__TRANSPORT__TYPE": "file",
            "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(log),
            "OPENLINEAGE__TRANSPORT__APPEND": "true",
        },
    )
    assert result.returncode == 1, result.stderr  # the notebook step fails, as it should
    check_events([json.loads(line) for line in log.read_text().splitlines() if line.strip()])


@pytest.fixture
def backend() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local OpenLineage backend (Marquez's route) keeping what it receives."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


@pytest.mark.slow
def test_events_reach_an_http_backend_in_order(
    tmp_path: Path, backend: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = backend
    path = project(tmp_path)
    result = run_cli(tmp_path, path, {"OPENLINEAGE_URL": url})
    assert result.returncode == 1, result.stderr
    check_events(received)


@pytest.mark.slow
def test_no_backend_configured_sends_nothing_and_a_dead_one_fails_nothing(tmp_path: Path) -> None:
    path = project(tmp_path)
    quiet = run_cli(tmp_path, path, {})
    assert quiet.returncode == 1 and '"eventType"' not in quiet.stdout + quiet.stderr
    dead = run_cli(tmp_path, path, {"OPENLINEAGE_URL": "http://127.0.0.1:9"})
    assert dead.returncode == 1  # the same verdict: the notebook fails, nothing else does
    assert "Step 1: totals succeeded" in dead.stderr


def test_what_counts_as_configured_and_how_datasets_are_named() -> None:
    assert not configured({})
    assert not configured({"OPENLINEAGE_NAMESPACE": "x", "OPENLINEAGE_URL": ""})
    assert configured({"OPENLINEAGE_URL": "http://marquez:5000"})
    assert configured({"OPENLINEAGE__TRANSPORT__TYPE": "file"})
    assert dataset_parts("warehouse.mart.daily") == ("warehouse", "mart.daily")
    assert dataset_parts("data/daily.csv") == ("file", "data/daily.csv")
    assert dataset_parts("postgresql://db.example:5432/sales.mart.daily") == (
        "postgresql://db.example:5432/sales", "mart.daily",
    )  # fmt: skip
