"""Export steps: a CSV, Parquet or JSON-lines file loaded into a table, or written as a file.

``spec``: ``from`` (the source file, absolute), and ``to``: ``{"table", "url", "if_exists",
"key"}`` (in chunks, in one transaction; with ``key`` the dialect's own upsert) or ``{"file"}``
(the format from its extension). Outputs: ``records_count`` and ``table`` or ``path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..connections import redact_url
from .report import Report
from .tables import FileWriter, load_batches, read_batches


def run_export(spec: dict[str, Any], report: Report) -> dict[str, Any]:
    if "notify" in spec:
        return send_message(spec, report)
    source = spec["from"]
    target = spec["to"]
    if "table" in target:
        where = f"table `{target['table']}` on `{redact_url(target['url'])}`"
        how = f"if_exists: {target.get('if_exists', 'append')}"
        if target.get("key"):
            how = f"upsert on {', '.join(target['key'])}"
        report.markdown(f"From `{source}`\n\nTo {where} ({how})")
    else:
        report.markdown(f"From `{source}`\n\nTo `{target['file']}`")
    report.save()
    if not Path(source).is_file():
        raise FileNotFoundError(f"the export's source {source} does not exist")
    outputs = _to_table(source, target) if "table" in target else _to_file(source, target["file"])
    report.values("exported", outputs)
    return outputs


def send_message(spec: dict[str, Any], report: Report) -> dict[str, Any]:
    """``to: {notify: [...]}``: the message to each channel, in order; the first channel that
    refuses fails the step (a retry sends again, under the same delivery ids)."""
    from ..notify.messages import custom
    from ..notify.senders import Target, send

    names = ", ".join(f"`{t['channel']}`" for t in spec["notify"])
    report.markdown(f"Message **{spec['subject']}** to {names}\n\n{spec['message']}")
    report.save()
    for path in spec["attach"]:
        if not Path(path).is_file():
            raise FileNotFoundError(f"the attachment {path} does not exist")
    message = custom(
        spec["subject"],
        spec["message"],
        attachments=spec["attach"],
        data=spec.get("data"),
        masked=report.masked,  # the run's secrets, as in everything else the step writes
    )
    answers = {}
    for target in spec["notify"]:
        answers[target["channel"]] = send(
            Target(
                channel=target["channel"],
                url=target["url"],
                delivery_id=target["delivery_id"],
                to=tuple(target["to"]),
                secret=target.get("secret"),
                pagerduty_url=spec["pagerduty_url"],
                dedup_key=spec["dedup_key"],
                outbox_dir=Path(spec["outbox"]),
            ),
            message,
        )
    outputs = {"sent_to": list(answers), "answers": answers, "subject": spec["subject"]}
    report.values("sent", outputs)
    return outputs


def _to_table(source: str, target: dict[str, Any]) -> dict[str, Any]:
    engine = sa.create_engine(target["url"])
    try:
        with engine.begin() as conn:
            count = load_batches(
                conn,
                target["table"],
                read_batches(source),
                target.get("if_exists", "append"),
                tuple(target.get("key") or ()),
            )
    finally:
        engine.dispose()
    verb = "upserted" if target.get("key") else "inserted"
    return {"records_count": count, "table": target["table"], "action": verb}


def _to_file(source: str, path: str) -> dict[str, Any]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    writer = FileWriter(path)
    schema = None
    try:
        for batch in read_batches(source):
            schema = batch.schema
            writer.write(batch)
        writer.close(schema)
    except BaseException:
        writer.abandon()
        raise
    return {"records_count": writer.rows, "path": path}
