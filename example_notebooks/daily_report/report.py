"""The daily report's `report` step (a function step): compose the email and put it in the outbox.

The pipeline calls ``send_report`` with the step's parameters as keyword arguments; the dict it
returns becomes the step's outputs. Instead of sending mail, it writes the message into an
``outbox/`` folder of the run: an ``.html`` page to open in JupyterLab, and a standard ``.eml``
message with the chart attached that any mail client opens. To really send it, hand ``msg`` to
``smtplib.SMTP(...).send_message(msg)`` at the end of ``send_report``.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from email.message import EmailMessage

import pandas as pd


def send_report(
    totals_path: str,
    daily_path: str,
    chart_path: str,
    report_date: str,
    days: int,
    recipients: list[str] | str,
    run_id: str,
    out_dir: str,
) -> dict:
    """Email the summary of the `days` days up to `report_date` (into `out_dir`/outbox/).

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

    # The message: a plain-text summary, the same as HTML with the chart inline.
    subject = f"Daily sales report {report_date}: revenue {revenue:,.2f} ({change_pct:+.1f}%)"
    lines = [
        f"Sales of the {days} days up to {report_date}:",
        f"- revenue {revenue:,.2f}, {change_pct:+.1f}% against the previous {days} days",
        f"- units sold {int(totals['units'].sum()):,}",
        f"- best region {by_region.index[0]} ({by_region['revenue'].iloc[0]:,.2f})",
        f"- best day {best_day['order_date']} ({best_day['revenue']:,.2f})",
    ]
    footer = f"Run {run_id} of jupyter-orch pipeline daily-sales-report."
    text = "\n".join(lines) + f"\n\n{footer}\n"
    print(subject, text, sep="\n\n")

    with open(chart_path, "rb") as f:
        png = f.read()
    items = "".join(f"<li>{line[2:]}</li>" for line in lines[1:])
    image = base64.b64encode(png).decode()
    region_table = by_region.to_html(float_format=lambda x: f"{x:,.2f}")
    html = f"""<html><body style="font-family: sans-serif">
<h2>{subject}</h2>
<ul>{items}</ul>
<img alt="daily revenue" src="data:image/png;base64,{image}">
<h3>By region</h3>
{region_table}
<p style="color: gray">{footer}</p>
</body></html>"""

    if isinstance(recipients, str):  # "-p recipients=a@example.com" gives one address
        recipients = [recipients]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "reports@example.com"
    msg["To"] = ", ".join(recipients)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg.add_attachment(png, maintype="image", subtype="png", filename=os.path.basename(chart_path))

    outbox = os.path.join(out_dir, "outbox")
    os.makedirs(outbox, exist_ok=True)
    stem = os.path.join(outbox, f"daily-sales-report-{report_date}")
    with open(stem + ".html", "w", encoding="utf-8") as f:
        f.write(html)
    with open(stem + ".eml", "wb") as f:
        f.write(msg.as_bytes())
    print("Wrote", stem + ".html", "and", stem + ".eml")

    # The step's outputs (later steps read them as steps.report.outputs.<name>)
    return {
        "email_path": os.path.abspath(stem + ".eml"),
        "html_path": os.path.abspath(stem + ".html"),
        "recipients": list(recipients),
        "subject": subject,
    }
