"""The data quality pipeline's function steps: `summarize` and `on_failure`.

The pipeline calls each function with the step's parameters as keyword arguments; the dict it
returns becomes the step's outputs (``steps.summarize.outputs.anomalies`` decides whether
`alert` runs, and `alert`, an export step, sends ``steps.summarize.outputs.summary``). An
exception fails the step. The checks themselves are SQL, in ``queries/``: each writes its rows
to ``<run.dir>/<step>.parquet``, which is what these functions read.
"""

from __future__ import annotations

import json
import os

import pyarrow.parquet as pq


def _rows(path: str) -> list[dict]:
    """The rows a query step wrote (none when the query found nothing)."""
    return pq.read_table(path).to_pylist()


def _finding(check, table, column, problem, count, examples) -> dict:
    """A finding as the report lists it (with the first 5 examples: values or rowids)."""
    return {
        "check": check,
        "table": table,
        "column": column,
        "problem": problem,
        "count": count,
        "examples": examples[:5],
    }


def summarize(
    counts_path: str, nulls_path: str, types_path: str, min_rows: int, run_id: str, out_dir: str
) -> dict:
    """Merge the three checks' rows (the fan-in) into one report, as JSON for machines and
    Markdown for people; publish `anomalies` and `summary`, the text `alert` sends."""
    if isinstance(min_rows, bool) or not isinstance(min_rows, int):
        raise TypeError(f"min_rows must be a whole number, not {min_rows!r}")

    # Every finding in the same shape, whichever check made it.
    table_counts = {row["table_name"]: row["row_count"] for row in _rows(counts_path)}
    findings = [
        _finding("count", table, None, f"fewer than {min_rows} rows", 1, [rows])
        for table, rows in table_counts.items()
        if rows < min_rows
    ]
    findings += [
        _finding(
            "nulls",
            row["table_name"],
            row["column_name"],
            "null values",
            row["null_count"],
            json.loads(row["row_ids"]),
        )
        for row in _rows(nulls_path)
    ]
    findings += [
        _finding(
            "types",
            row["table_name"],
            row["column_name"],
            f"not {row['declared_type']}",
            row["error_count"],
            json.loads(row["bad_values"]),
        )
        for row in _rows(types_path)
    ]
    anomalies = sum(item["count"] for item in findings)

    lines = [
        f"# Data quality report (run {run_id})",
        "",
        f"{anomalies} anomalies in {len(findings)} findings.",
        "",
        "| table | rows |",
        "| --- | --- |",
    ]
    lines += [f"| {table} | {rows} |" for table, rows in table_counts.items()]
    lines += ["", "| check | table | column | problem | count | examples |", "|" + " --- |" * 6]
    lines += [
        f"| {item['check']} | {item['table']} | {item['column'] or ''} | {item['problem']} | "
        f"{item['count']} | {', '.join(map(str, item['examples']))} |"
        for item in findings
    ]
    print("\n".join(lines))

    os.makedirs(out_dir, exist_ok=True)
    report_path = os.path.abspath(os.path.join(out_dir, "quality_report.json"))
    report = {"run_id": run_id, "anomalies": anomalies, "table_counts": table_counts}
    with open(report_path, "w") as f:
        json.dump({**report, "findings": findings}, f, indent=2)
    markdown_path = os.path.abspath(os.path.join(out_dir, "quality_report.md"))
    with open(markdown_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return {
        "anomalies": anomalies,
        "summary": _summary(anomalies, findings, table_counts, run_id, report_path),
        "report_path": report_path,
        "markdown_path": markdown_path,
    }


def _summary(
    anomalies: int, findings: list[dict], table_counts: dict, run_id: str, report_path: str
) -> str:
    """The alert's text: the findings, largest first, with a few examples each."""
    if findings:
        lines = [f"{anomalies} anomalies in {len(findings)} findings (run {run_id}):"]
    else:
        lines = [f"No anomalies (run {run_id})."]
    for item in sorted(findings, key=lambda item: -item["count"]):
        where = item["table"] + (f".{item['column']}" if item["column"] else "")
        examples = ", ".join(map(str, item["examples"][:3]))
        lines.append(f"- {where}: {item['count']} x {item['problem']} (e.g. {examples})")
    counts = ", ".join(f"{table} {rows}" for table, rows in table_counts.items())
    lines += ["", f"Rows per table: {counts}.", f"Full report: {os.path.basename(report_path)}"]
    return "\n".join(lines) + "\n"


def on_failure(statuses: dict, run_id: str, out_dir: str) -> dict:
    """An incident note naming the steps that failed or timed out (the alert itself goes out
    through the pipeline's ``notify: on_failure``). `statuses` maps each step to its final
    status (the pipeline passes ``"{{ steps.<step>.status }}"``)."""
    failed = [step for step, status in statuses.items() if status in ("failed", "timed_out")]
    lines = [
        f"PIPELINE FAILURE: data-quality-checks run {run_id}",
        f"Failed steps: {', '.join(failed) or 'none'}",
        "",
    ]
    lines += [f"- {step}: {status}" for step, status in statuses.items()]
    lines += ["", "Open the failed steps' output notebooks from the run history to see why."]
    incident_path = write_note(out_dir, f"pipeline-failure-{run_id}.txt", lines)
    return {"failed_steps": failed, "incident_path": incident_path}


def write_note(out_dir: str, name: str, lines: list[str]) -> str:
    """Print a note (the run log shows it) and write it into the run's alerts/ folder; its
    absolute path."""
    text = "\n".join(lines)
    print(text)
    alerts = os.path.join(out_dir, "alerts")
    os.makedirs(alerts, exist_ok=True)
    path = os.path.abspath(os.path.join(alerts, name))
    with open(path, "w") as f:
        f.write(text + "\n")
    return path
