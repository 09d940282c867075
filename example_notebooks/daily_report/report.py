"""The daily report's `report` step (a function step): compose the email, without sending it.

The pipeline calls ``compose_report`` with the step's parameters as keyword arguments; the dict
it returns becomes the step's outputs. It writes the report as an HTML page into the run's
folder (to open in JupyterLab) and returns the email's ``subject`` and plain-text ``summary``:
the pipeline's `email_report` step, an export to the `outbox` channel, sends them with the chart
attached.
"""

from __future__ import annotations

import base64
import datetime as dt
import os

import pandas as pd


def compose_report(
    totals_path: str,
    daily_path: str,
    chart_path: str,
    report_date: str,
    days: int,
    run_id: str,
    out_dir: str,
) -> dict:
    """Summarize the `days` days up to `report_date`; write the HTML page into `out_dir`.

    `totals_path` is the `totals` query's result (revenue by region and product), `daily_path`
    the `trends` step's daily revenue and `chart_path` the `chart` step's PNG.
    """
    days = int(days)
    totals = pd.read_parquet(totals_path)
    if totals.empty:
        end = dt.date.fromisoformat(str(report_date))
        start = end - dt.timedelta(days=days - 1)
        raise ValueError(f"no sales between {start} and {end}: check report_date and days")
    daily = pd.read_csv(daily_path)
    by_region = (
        totals.groupby("region")[["units", "revenue"]].sum().sort_values("revenue", ascending=False)
    )

    revenue = totals["revenue"].sum()
    current = daily.loc[daily["in_period"], "revenue"].sum()
    previous = daily.loc[~daily["in_period"], "revenue"].tail(days).sum()
    change_pct = 100 * (current - previous) / previous
    best_day = daily.loc[daily["in_period"]].sort_values("revenue").iloc[-1]

    subject = f"Daily sales report {report_date}: revenue {revenue:,.2f} ({change_pct:+.1f}%)"
    lines = [
        f"Sales of the {days} days up to {report_date}:",
        f"- revenue {revenue:,.2f}, {change_pct:+.1f}% against the previous {days} days",
        f"- units sold {int(totals['units'].sum()):,}",
        f"- best region {by_region.index[0]} ({by_region['revenue'].iloc[0]:,.2f})",
        f"- best day {best_day['order_date']} ({best_day['revenue']:,.2f})",
    ]
    footer = f"Run {run_id} of jupyter-orch pipeline daily-sales-report."
    summary = "\n".join(lines) + f"\n\n{footer}\n"
    print(subject, summary, sep="\n\n")

    # The same as a page with the chart inline and the table by region.
    with open(chart_path, "rb") as f:
        image = base64.b64encode(f.read()).decode()
    items = "".join(f"<li>{line[2:]}</li>" for line in lines[1:])
    region_table = by_region.to_html(float_format=lambda x: f"{x:,.2f}")
    html = f"""<html><body style="font-family: sans-serif">
<h2>{subject}</h2>
<ul>{items}</ul>
<img alt="daily revenue" src="data:image/png;base64,{image}">
<h3>By region</h3>
{region_table}
<p style="color: gray">{footer}</p>
</body></html>"""
    os.makedirs(out_dir, exist_ok=True)
    html_path = os.path.abspath(os.path.join(out_dir, f"daily-sales-report-{report_date}.html"))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(html)
    print("Wrote", html_path)

    # The step's outputs (later steps read them as steps.report.outputs.<name>)
    return {"subject": subject, "summary": summary, "html_path": html_path}
