"""Sending one message to one channel.

- email, Slack, Teams, Discord and every other apprise URL go through apprise (email with a
  plain-text and an HTML part and attachments; Slack in Block Kit, ``blocks=yes``);
- ``json://`` / ``jsons://`` (and a plain ``https://`` URL) are posted by us: apprise cannot
  sign a body, and a receiver must be able to check that the request came from us
  (``signing``) and drop a resend by its ``X-Orch-Delivery`` id;
- ``pagerduty://<routing key>`` goes to the Events API v2 with one ``dedup_key`` per pipeline,
  so the ``resolve`` of a recovery closes the incident a failure opened (apprise cannot);
- ``outbox://`` writes the message into a folder (``.eml`` with a subject, else ``.json``).

``send`` returns what the channel answered and raises ``SendError`` saying what went wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..channels import kind_of
from ..signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from .messages import Message

#: Longest answer of a channel kept with the notification.
MAX_RESPONSE = 300


class SendError(Exception):
    """The channel did not take the message; the text says why (masked by the caller)."""


@dataclass(frozen=True)
class Target:
    """Where one message goes, as the delivering process resolved it."""

    channel: str
    url: str
    delivery_id: str
    to: tuple[str, ...] = ()
    secret: str | None = None
    #: PagerDuty: the endpoint, the incident's key, and ``trigger`` or ``resolve``.
    pagerduty_url: str = ""
    dedup_key: str = ""
    action: str = "trigger"
    #: Where ``outbox://`` writes.
    outbox_dir: Path | None = None
    timeout: float = 10.0


def send(target: Target, message: Message) -> str:
    kind = kind_of(target.url)
    if kind == "outbox":
        return _outbox(target, message)
    if kind in ("json", "webhook"):
        return _post_json(target, message)
    if kind == "pagerduty":
        return _pagerduty(target, message)
    return _apprise(target, message, kind)


def _with_query(url: str, extra: dict[str, str], override: dict[str, str]) -> str:
    """``url`` with the ``extra`` options it does not give, and ``override`` in any case."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in extra.items():
        query.setdefault(key, value)
    query.update(override)
    return urlunsplit(parts._replace(query=urlencode(query, safe="@,")))


def _apprise(target: Target, message: Message, kind: str) -> str:
    import apprise  # a few hundred plugins: loaded when a message goes out

    extra = {"cto": str(target.timeout), "rto": str(target.timeout)}
    override = {}
    if kind == "email":
        if target.to:  # the pipeline's recipients replace the channel's own
            override["to"] = ",".join(target.to)
        body, title, form = message.html, message.subject, apprise.NotifyFormat.HTML
    else:
        if kind == "slack":
            extra["blocks"] = "yes"
        body, title, form = message.markdown, message.subject, apprise.NotifyFormat.MARKDOWN
    sender = apprise.Apprise()
    if not sender.add(_with_query(target.url, extra, override)):
        raise SendError(f"apprise does not understand the URL of channel {target.channel!r}")
    attach = apprise.AppriseAttachment(list(message.attachments)) if message.attachments else None
    with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as captured:
        ok = sender.notify(body=body, title=title, body_format=form, attach=attach)
    said = captured.getvalue().strip()
    if not ok:
        raise SendError(said.splitlines()[-1] if said else f"{kind} refused the message")
    return f"{kind}: accepted"


def _http_url(url: str) -> str:
    """``jsons://host/path`` -> ``https://host/path`` (our options in the query dropped)."""
    parts = urlsplit(url)
    scheme = {"json": "http", "jsons": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def _post(target: Target, url: str, body: bytes, headers: dict[str, str]) -> str:
    import requests

    parts = urlsplit(target.url)
    auth = (parts.username or "", parts.password or "") if parts.username else None
    try:
        answer = requests.post(url, data=body, headers=headers, auth=auth, timeout=target.timeout)
    except requests.RequestException as exc:
        raise SendError(f"{type(exc).__name__}: {str(exc)[:MAX_RESPONSE]}") from None
    said = answer.text.strip()[:MAX_RESPONSE]
    if not 200 <= answer.status_code < 300:
        raise SendError(f"HTTP {answer.status_code}" + (f": {said}" if said else ""))
    return f"HTTP {answer.status_code}" + (f": {said}" if said else "")


def _post_json(target: Target, message: Message) -> str:
    body = json.dumps(message.data, default=str).encode()
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: target.delivery_id}
    if target.secret:
        stamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = stamp
        headers[SIGNATURE_HEADER] = sign(target.secret, stamp, body)
    return _post(target, _http_url(target.url), body, headers)


def _pagerduty(target: Target, message: Message) -> str:
    routing_key = urlsplit(target.url).netloc.rpartition("@")[2]
    if not routing_key:
        raise SendError("pagerduty://<routing key>: the channel's URL has no routing key")
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": target.action,
        "dedup_key": target.dedup_key,
    }
    if target.action == "trigger":
        facts = dict(message.facts)
        event["payload"] = {
            "summary": message.subject[:1024],
            "source": "jupyter-orch",
            "severity": "critical" if message.severity == "critical" else "warning",
            "custom_details": facts,
        }
        link = facts.get("Open", "")
        if link.startswith(("http://", "https://")):
            event["links"] = [{"href": link, "text": "Open the run in JupyterLab"}]
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: target.delivery_id}
    return _post(target, target.pagerduty_url, json.dumps(event).encode(), headers)


def _outbox(target: Target, message: Message) -> str:
    if target.outbox_dir is None:
        raise SendError("the outbox channel has no folder to write to")
    folder = target.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    if message.subject:
        import email.policy  # here: every CLI command reads the notify settings, few write mail
        from email.message import EmailMessage
        from email.utils import formatdate

        # Lines up to RFC 5322's 998: the stdlib folds a long subject before its first word
        # otherwise, and it reads back with a leading space
        mail = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
        mail["Subject"] = message.subject
        mail["To"] = ", ".join(target.to) or "outbox"
        mail["From"] = "jupyter-orch"
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{target.delivery_id}@jupyter-orch>"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        for path in message.attachments:
            data = Path(path).read_bytes()
            mail.add_attachment(
                data, maintype="application", subtype="octet-stream", filename=Path(path).name
            )
        content, suffix = bytes(mail), ".eml"
    else:
        content, suffix = json.dumps(message.data, indent=2, default=str).encode(), ".json"
    # Named by the delivery id: a resend after a crash writes the same file again
    final = folder / f"{target.delivery_id}{suffix}"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=suffix)
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, final)
    return f"written to {final.name}"
