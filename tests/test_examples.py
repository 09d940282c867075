"""The shipped example pipelines (example_notebooks/) run end to end, as README's first command
runs them: on the shipped data, with no setup, each step kind where the product page uses it.

Each test copies one example into its own folder and runs ``jupyter orch run`` there as a
process, then checks what the steps published and wrote, and the messages the built-in
``outbox`` channel wrote into the run's ``outbox/`` folder. nbval runs the examples' notebooks on
their own (pytest's testpaths include example_notebooks/).
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
import shutil
import sqlite3
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.pipelines.loader import load_pipeline

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "example_notebooks"

#: The kind of every step of every example.
KINDS = {
    "daily_report": {
        "load_sales": "notebook",
        "totals": "query",
        "trends": "notebook",
        "chart": "notebook",
        "report": "function",
        "email_report": "export",
    },
    "data_quality": {
        "setup_warehouse": "query",
        "count_records": "query",
        "check_nulls": "query",
        "check_types": "query",
        "summarize": "function",
        "alert": "export",
        "on_failure": "function",
    },
    "etl": {
        "extract": "notebook",
        "transform": "notebook",
        "load": "export",
        "update_report": "notebook",
    },
    "regional_reports": {"regions": "notebook", "report": "notebook", "combine": "notebook"},
}


def copy_example(tmp_path: Path, name: str) -> Path:
    """The example's folder copied under ``tmp_path`` (without local leftovers); its pipeline."""
    folder = tmp_path / name
    shutil.copytree(
        EXAMPLES / name,
        folder,
        ignore=shutil.ignore_patterns("_local", "__pycache__", ".ipynb_checkpoints"),
    )
    return folder / "pipeline.yaml"


def run(tmp_path: Path, pipeline: Path, *params: str) -> tuple[int, dict[str, Any]]:
    """``jupyter orch run PIPELINE [-p NAME=VALUE]... --json``: its exit code and the run."""
    args = [arg for param in params for arg in ("-p", param)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_orch.cli",
            "run",
            str(pipeline),
            *args,
            "--json",
            "--db",
            f"sqlite:///{tmp_path / 'orch.sqlite'}",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def steps(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in run["steps"]}


def statuses(run: dict[str, Any]) -> dict[str, str]:
    return {name: step["status"] for name, step in steps(run).items()}


def outputs(run: dict[str, Any], step: str) -> dict[str, Any]:
    """What the step's last attempt published."""
    return dict(steps(run)[step]["attempts"][-1]["outputs"])


def assert_output_notebooks(run: dict[str, Any]) -> None:
    """Every step that ran left an output notebook, whatever its kind."""
    for step in run["steps"]:
        for attempt in step["attempts"]:
            assert Path(attempt["output_notebook"]).is_file(), (step["name"], attempt)


#: How every PNG file starts.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def outbox(run: dict[str, Any]) -> dict[str, EmailMessage]:
    """The messages the ``outbox`` channel wrote for the run (``<run_dir>/outbox/*.eml``), by
    file name."""
    messages = {}
    for path in sorted((Path(run["run_dir"]) / "outbox").glob("*.eml")):
        with open(path, "rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages[path.name] = message
    return messages


def only_message(run: dict[str, Any]) -> tuple[str, EmailMessage]:
    """The one message in the run's outbox: its file name and itself."""
    messages = outbox(run)
    assert len(messages) == 1, list(messages)
    return next(iter(messages.items()))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, message
    return str(body.get_content())


def attachments(message: EmailMessage) -> dict[str, bytes]:
    """The message's attachments by file name (the outbox attaches files as bytes)."""
    return {str(part.get_filename()): part.get_content() for part in message.iter_attachments()}


def assert_failure_alert(run: dict[str, Any], pipeline: str, *lines: str) -> None:
    """``notify: {on_failure: [outbox]}``: the run's outbox holds its failure alert."""
    _, message = only_message(run)
    assert message["Subject"] == f"[jupyter-orch] {pipeline} failed (run {run['id']})"
    text = text_of(message)
    for line in lines:
        assert line in text, (line, text)


def assert_note(path: str, first_line: str, *lines: str) -> None:
    """A note a step wrote (on_failure's incident): its first line, and lines it holds."""
    note = Path(path).read_text()
    assert note.startswith(first_line), note
    for line in lines:
        assert line in note, (line, note)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_example_is_valid_inside_a_server_root(name: str) -> None:
    loaded = load_pipeline(EXAMPLES / name / "pipeline.yaml", thorough=True, root=EXAMPLES.parent)
    assert {step.name: step.kind for step in loaded.spec.steps} == KINDS[name]


# --- daily_report ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "first_day", "last_day"),
    [
        ((), "2024-03-25", "2024-03-31"),  # README command 1, as it is
        (("report_date='2024-03-24'", "days=14"), "2024-03-11", "2024-03-24"),
    ],
)
def test_daily_report_queries_the_totals_and_emails_them(
    tmp_path: Path, params: tuple[str, ...], first_day: str, last_day: str
) -> None:
    pipeline = copy_example(tmp_path, "daily_report")
    code, result = run(tmp_path, pipeline, *params)
    assert (code, result["status"]) == (0, "succeeded"), result
    assert set(statuses(result).values()) == {"succeeded"}
    assert_output_notebooks(result)

    # totals (a query step) streamed its rows to <run.dir>/totals.parquet
    pd = pytest.importorskip("pandas")
    sales = pd.read_csv(pipeline.parent / "data" / "sales.csv")
    period = sales[sales["order_date"].between(first_day, last_day)]
    totals_out = outputs(result, "totals")
    assert totals_out["columns"] == ["region", "product", "units", "revenue"]
    assert totals_out["records_count"] == 12  # 4 regions x 3 products
    assert Path(totals_out["path"]).name == "totals.parquet"
    totals = pd.read_parquet(totals_out["path"])
    assert len(totals) == 12
    assert int(totals["units"].sum()) == int(period["units"].sum())
    revenue = float((period["units"] * period["unit_price"]).round(2).sum())
    assert float(totals["revenue"].sum()) == pytest.approx(revenue, abs=0.1)

    # report (a function step) composed the email and wrote the report page
    report = outputs(result, "report")
    assert set(report) == {"subject", "summary", "html_path"}
    assert report["subject"].startswith(f"Daily sales report {last_day}: revenue ")
    days = 14 if params else 7
    lines = report["summary"].splitlines()
    assert lines[0] == f"Sales of the {days} days up to {last_day}:"
    assert f"- units sold {int(period['units'].sum()):,}" in lines
    assert lines[-1] == f"Run {result['id']} of jupyter-orch pipeline daily-sales-report."
    assert Path(report["html_path"]).name == f"daily-sales-report-{last_day}.html"
    html = Path(report["html_path"]).read_text()
    assert html.startswith("<html") and "data:image/png;base64," in html

    # email_report (an export step) sent it to the outbox channel: one .eml in <run_dir>/outbox/
    name, message = only_message(result)
    assert outputs(result, "email_report") == {
        "sent_to": ["outbox"],
        "answers": {"outbox": f"written to {name}"},
        "subject": report["subject"],
    }
    assert message["Subject"] == report["subject"]
    assert message["To"] == "sales-team@example.com, finance@example.com"
    assert text_of(message) == report["summary"]
    chart = Path(outputs(result, "chart")["chart_path"])
    png = attachments(message)
    assert list(png) == ["daily_revenue.png"]
    assert png["daily_revenue.png"].startswith(PNG_SIGNATURE)
    assert png["daily_revenue.png"] == chart.read_bytes()


def test_daily_report_steps_one_at_a_time_with_the_orch_step_fixture(
    tmp_path: Path, orch_step: Any
) -> None:
    """The ``orch_step`` fixture (jupyter_orch.pytest_plugin) as a team's own test suite
    uses it: each step on given inputs, its outputs and output notebook checked."""
    pipeline = copy_example(tmp_path, "daily_report")
    loaded = orch_step(pipeline, "load_sales")
    assert loaded.succeeded, loaded.error
    assert loaded.run.trigger.value == "test"
    assert loaded.outputs["last_day"] == "2024-03-31" and loaded.outputs["records_count"] > 0

    trends = orch_step(
        pipeline, "trends", inputs={"load_sales": loaded.outputs}, params={"days": 3}
    )
    assert trends.succeeded, trends.error
    assert trends.outputs["trend"] in {"up", "down", "flat"}
    assert Path(trends.outputs["daily_path"]).is_file()
    printed = "".join(
        output.get("text", "")
        for cell in trends.notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "in the previous 3 days" in printed, printed
    assert trends.notebook_path is not None and trends.notebook_path.name == "trends.ipynb"

    # a step that fails says so, with the notebook's own error
    early = orch_step(
        pipeline,
        "trends",
        inputs={"load_sales": loaded.outputs},
        params={"report_date": "2024-01-02"},
    )
    assert early.status == "failed"
    assert early.error is not None and "not enough sales data" in early.error["evalue"]
    assert len(early.run.steps[-1].attempts) == 1  # the fixture's retries=0, not the file's 2


def test_daily_report_without_sales_fails_and_alerts_the_outbox(tmp_path: Path) -> None:
    """No sales in the period: `trends` fails (nothing to compare), nothing is emailed, and the
    pipeline's ``notify: {on_failure: [outbox]}`` leaves the run's failure alert in its outbox."""
    pipeline = copy_example(tmp_path, "daily_report")
    text = pipeline.read_text()
    assert "retry_delay: 30s" in text
    pipeline.write_text(text.replace("retry_delay: 30s", "retry_delay: 1s"))  # quicker retries
    code, result = run(tmp_path, pipeline, "report_date='2023-12-31'")
    assert code != 0
    assert result["status"] == "failed"
    assert statuses(result) == {
        "load_sales": "succeeded",
        "totals": "succeeded",
        "trends": "failed",
        "chart": "upstream_failed",
        "report": "upstream_failed",
        "email_report": "upstream_failed",
    }
    assert len(steps(result)["trends"]["attempts"]) == 3  # retries: 2 (defaults)
    assert_failure_alert(
        result,
        "daily-sales-report",
        "Step trends failed after 3 attempts",
        "ValueError: not enough sales data before 2023-12-31 to compare two periods of 7 days",
    )


# --- data_quality ------------------------------------------------------------------------------

PLANTED = {
    ("nulls", "customers", "email", 2, (7, 15)),
    ("nulls", "orders", "customer_id", 1, (1009,)),
    ("types", "orders", "quantity", 1, ("two",)),
    ("types", "orders", "amount", 1, ("n/a",)),
    ("types", "orders", "order_date", 1, ("03/02/2024",)),
}


def findings(report_path: str) -> set[tuple[Any, ...]]:
    with open(report_path) as f:
        report = json.load(f)
    return {
        (item["check"], item["table"], item["column"], item["count"], tuple(item["examples"]))
        for item in report["findings"]
    }


def test_data_quality_checks_find_the_planted_problems_and_alert(tmp_path: Path) -> None:
    pipeline = copy_example(tmp_path, "data_quality")
    code, result = run(tmp_path, pipeline)
    assert (code, result["status"]) == (0, "succeeded"), result
    assert statuses(result) == {
        **{step: "succeeded" for step in KINDS["data_quality"]},
        "on_failure": "skipped",  # run_if: any_failed, and nothing failed
    }
    assert_output_notebooks(result)

    # The query steps: rows changed by the setup script, rows found by each check
    assert outputs(result, "setup_warehouse") == {"records_count": 88}
    assert outputs(result, "count_records")["records_count"] == 3  # one row per table
    assert outputs(result, "check_nulls")["records_count"] == 2  # columns with nulls
    assert outputs(result, "check_types")["records_count"] == 3  # columns with bad values

    summary = outputs(result, "summarize")
    assert summary["anomalies"] == 6
    assert findings(summary["report_path"]) == PLANTED
    with open(summary["report_path"]) as f:
        assert json.load(f)["table_counts"] == {"customers": 20, "orders": 60, "products": 8}
    assert "6 anomalies in 5 findings." in Path(summary["markdown_path"]).read_text()

    lines = summary["summary"].splitlines()
    assert lines[0] == f"6 anomalies in 5 findings (run {result['id']}):"
    assert lines[1] == "- customers.email: 2 x null values (e.g. 7, 15)"  # the largest first
    assert "- orders.quantity: 1 x not INTEGER (e.g. two)" in lines
    assert "Rows per table: customers 20, orders 60, products 8." in lines

    # alert (an export step) ran (if: anomalies > 0) and sent the summary to the outbox channel
    name, message = only_message(result)
    assert outputs(result, "alert") == {
        "sent_to": ["outbox"],
        "answers": {"outbox": f"written to {name}"},
        "subject": "Data quality alert: 6 anomalies",
    }
    assert message["Subject"] == "Data quality alert: 6 anomalies"
    assert message["To"] == "data-team@example.com"
    assert text_of(message) == summary["summary"]
    attached = attachments(message)
    assert list(attached) == ["quality_report.json"]
    assert json.loads(attached["quality_report.json"]) == json.loads(
        Path(summary["report_path"]).read_text()
    )


def test_data_quality_parameters_reach_the_checks(tmp_path: Path) -> None:
    pipeline = copy_example(tmp_path, "data_quality")
    # products has 8 rows; no column may hold nulls now (an empty list for NOT IN)
    code, result = run(tmp_path, pipeline, "min_rows=10", "nullable_columns=[]")
    assert (code, result["status"]) == (0, "succeeded"), result
    summary = outputs(result, "summarize")
    phones_missing = (2, 4, 7, 14, 15, 16, 17, 19)
    assert findings(summary["report_path"]) == PLANTED | {
        ("count", "products", None, 1, (8,)),
        ("nulls", "customers", "phone", 8, phones_missing[:5]),
    }
    assert summary["anomalies"] == 6 + 1 + 8
    assert outputs(result, "alert")["subject"] == "Data quality alert: 15 anomalies"
    _, message = only_message(result)
    assert message["Subject"] == "Data quality alert: 15 anomalies"
    assert "- customers.phone: 8 x null values (e.g. 2, 4, 7)" in text_of(message)


def test_data_quality_on_clean_data_skips_the_alert(tmp_path: Path) -> None:
    """No finding: every check writes an empty result, anomalies is 0, `alert` is skipped."""
    pipeline = copy_example(tmp_path, "data_quality")
    with open(pipeline.parent / "data" / "warehouse.sql", "a") as f:
        f.write(
            "UPDATE customers SET email = lower(name) || '@example.com' WHERE email IS NULL;\n"
            "UPDATE orders SET customer_id = 1 WHERE customer_id IS NULL;\n"
            "UPDATE orders SET quantity = 2 WHERE order_id = 1017;\n"
            "UPDATE orders SET amount = 14.5 WHERE order_id = 1033;\n"
            "UPDATE orders SET order_date = '2024-02-03' WHERE order_id = 1048;\n"
        )
    code, result = run(tmp_path, pipeline)
    assert (code, result["status"]) == (0, "succeeded"), result
    assert statuses(result) == {
        **{step: "succeeded" for step in KINDS["data_quality"]},
        "alert": "skipped",  # if: anomalies > 0
        "on_failure": "skipped",
    }
    assert outputs(result, "setup_warehouse") == {"records_count": 88 + 6}
    assert outputs(result, "check_nulls")["records_count"] == 0
    assert outputs(result, "check_types")["records_count"] == 0
    summary = outputs(result, "summarize")
    assert summary["anomalies"] == 0
    assert findings(summary["report_path"]) == set()
    assert summary["summary"].startswith(f"No anomalies (run {result['id']}).")
    assert outbox(result) == {}  # no alert, and the run did not fail


def test_data_quality_on_failure_writes_an_incident_note(tmp_path: Path) -> None:
    pipeline = copy_example(tmp_path, "data_quality")
    text = pipeline.read_text()
    assert "retry_delay: 30s" in text
    pipeline.write_text(text.replace("retry_delay: 30s", "retry_delay: 1s"))  # a quicker retry
    # README's way to see on_failure run: a min_rows that is not a number
    code, result = run(tmp_path, pipeline, "min_rows=lots")
    assert code != 0
    assert result["status"] == "failed"
    assert statuses(result) == {
        "setup_warehouse": "succeeded",
        "count_records": "succeeded",
        "check_nulls": "succeeded",
        "check_types": "succeeded",
        "summarize": "failed",
        "alert": "upstream_failed",
        "on_failure": "succeeded",
    }
    attempts = steps(result)["summarize"]["attempts"]
    assert len(attempts) == 2  # retries: 1
    assert attempts[-1]["error"]["ename"] == "TypeError"
    assert attempts[-1]["error"]["evalue"] == "min_rows must be a whole number, not 'lots'"
    assert_output_notebooks(result)

    incident = outputs(result, "on_failure")
    assert incident["failed_steps"] == ["summarize"]
    assert_note(
        incident["incident_path"],
        f"PIPELINE FAILURE: data-quality-checks run {result['id']}",
        "Failed steps: summarize",
        "- alert: upstream_failed",
    )
    # notify: {on_failure: [outbox]}: the failure alert is the outbox's only message
    assert_failure_alert(
        result,
        "data-quality-checks",
        "Step summarize failed after 2 attempts",
        "TypeError: min_rows must be a whole number, not 'lots'",
    )


# --- etl ---------------------------------------------------------------------------------------


def test_etl_loads_the_clean_orders_with_an_export_step(tmp_path: Path) -> None:
    pipeline = copy_example(tmp_path, "etl")
    code, result = run(tmp_path, pipeline)
    assert (code, result["status"]) == (0, "succeeded"), result
    assert set(statuses(result).values()) == {"succeeded"}
    assert_output_notebooks(result)

    counts = {name: outputs(result, name)["records_count"] for name in KINDS["etl"]}
    assert counts == {"extract": 127, "transform": 98, "load": 98, "update_report": 98}
    assert outputs(result, "transform")["dropped"] == {
        "duplicates": 12,
        "test_orders": 9,
        "missing_total": 8,
    }
    assert outputs(result, "load") == {"records_count": 98, "table": "orders", "action": "upserted"}

    db = Path(outputs(result, "transform")["clean_path"]).parent / "shop.sqlite"
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(DISTINCT order_id), COUNT(*) FROM orders").fetchone() == (
            98,
            98,
        )
        daily = con.execute("SELECT SUM(orders) FROM report_daily_revenue").fetchone()[0]
        refunded = con.execute("SELECT COUNT(*) FROM orders WHERE status = 'refunded'").fetchone()
    con.close()
    assert daily == 98 - refunded[0]

    report = outputs(result, "update_report")
    text = Path(report["report_path"]).read_text()
    assert text.startswith("# Shop orders report")
    assert f"98 orders in the warehouse; revenue {report['revenue_eur']:,.2f} EUR" in text


def test_etl_backfills_a_week_each_run_extracting_its_own_night(tmp_path: Path) -> None:
    """README: ``jupyter orch backfill nightly-etl --from 2024-03-01 --to 2024-03-07``."""
    pipeline = copy_example(tmp_path, "etl")
    store = ["--db", f"sqlite:///{tmp_path / 'orch.sqlite'}", "--runs-dir", str(tmp_path / "runs")]

    def orch(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "jupyter_orch.cli", *args, *store]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert orch("apply", str(pipeline)).returncode == 0
    week = ("--from", "2024-03-01", "--to", "2024-03-07")
    done = orch("backfill", "nightly-etl", *week, "--max-parallel", "2", "--json")
    assert done.returncode == 0, done.stderr
    backfill = json.loads(done.stdout)
    assert backfill["status"] == "succeeded" and backfill["runs"]["succeeded"] == 7
    nights = []
    for run_id in backfill["run_ids"]:
        result = json.loads(orch("show", run_id, "--json").stdout)
        assert result["trigger"] == "backfill" and set(statuses(result).values()) == {"succeeded"}
        assert outputs(result, "load")["records_count"] == 98
        nights.append(outputs(result, "extract")["night"])
        assert nights[-1] == result["scheduled_for"]
    # 02:00 in Berlin, each night of the week, in order
    assert nights == [f"2024-03-0{day}T01:00:00+00:00" for day in range(1, 8)]
    again = orch("backfill", "nightly-etl", *week, "--json")
    assert json.loads(again.stdout)["skipped"] == 7  # nothing left to do


def test_etl_rerunning_a_night_into_the_same_database_updates_rows(tmp_path: Path) -> None:
    """README: "upserts ... (rerunning a night is safe)". Pointed at one database (as at a
    warehouse), two runs leave each order once."""
    pipeline = copy_example(tmp_path, "etl")
    warehouse = tmp_path / "warehouse.sqlite"
    text = pipeline.read_text()
    assert text.count("{{ run.dir }}/shop.sqlite") == 2  # load's connection, update_report's db
    pipeline.write_text(text.replace("{{ run.dir }}/shop.sqlite", str(warehouse)))
    for _ in range(2):
        code, result = run(tmp_path, pipeline)
        assert (code, result["status"]) == (0, "succeeded"), result
        assert outputs(result, "load")["records_count"] == 98
    with sqlite3.connect(warehouse) as con:
        assert con.execute("SELECT COUNT(*) FROM orders").fetchone() == (98,)
    con.close()


# --- regional_reports ------------------------------------------------------------------------


def test_regional_reports_run_one_report_per_region_and_index_them(tmp_path: Path) -> None:
    pipeline = copy_example(tmp_path, "regional_reports")
    code, result = run(tmp_path, pipeline)
    assert (code, result["status"]) == (0, "succeeded"), result
    regions = ["East", "North", "South", "West"]
    assert outputs(result, "regions")["regions"] == regions
    items = [s for s in result["steps"] if s.get("parent") == "report"]
    assert [(s["name"], s["item"], s["status"]) for s in items] == [
        (f"report[{i}]", region, "succeeded") for i, region in enumerate(regions)
    ]
    assert [Path(s["attempts"][0]["output_notebook"]).name for s in items] == [
        f"report[{i}].ipynb" for i in range(4)
    ]
    with open(pipeline.parent / "data" / "sales.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = {
        region: round(
            sum(int(r["units"]) * float(r["unit_price"]) for r in rows if r["region"] == region), 2
        )
        for region in regions
    }
    assert [s["attempts"][0]["outputs"]["revenue"] for s in items] == [expected[r] for r in regions]
    combined = outputs(result, "combine")
    assert combined["total_revenue"] == round(sum(expected.values()), 2)
    assert combined["missing"] == []
    index = Path(combined["index_path"]).read_text()
    assert index.splitlines()[2:6] == [
        f"- [{r}](report_{r}.md): revenue {expected[r]:,.2f}" for r in regions
    ]


def test_regional_reports_index_says_which_region_failed(tmp_path: Path) -> None:
    """README: a region whose report fails fails the run; the index lists it as failed."""
    pipeline = copy_example(tmp_path, "regional_reports")
    data = pipeline.parent / "data" / "sales.csv"
    data.write_text(data.read_text() + "2024-03-08,Atlantis,Widget,3,not a price\n")
    text = pipeline.read_text()
    pipeline.write_text(text.replace("retry_delay: 10s", "retry_delay: 0s"))
    code, result = run(tmp_path, pipeline)
    assert (code, result["status"]) == (1, "failed")
    assert statuses(result)["report"] == "failed"
    assert statuses(result)["report[0]"] == "failed"  # Atlantis sorts first
    assert len(steps(result)["report[0]"]["attempts"]) == 2  # retries: 1
    combined = outputs(result, "combine")
    assert combined["missing"] == ["Atlantis"]
    assert "- Atlantis: the report failed" in Path(combined["index_path"]).read_text()
