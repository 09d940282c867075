"""Webhook triggers: a signed request creates a run of a pipeline that enables
``on: {webhook: {secret_env: NAME}}``. No HTTP framework here; the route is in
``server/webhooks.py``.

The sender signs ``timestamp + "." + raw body`` with HMAC-SHA256 and sends::

    X-Orch-Timestamp: <unix seconds>
    X-Orch-Delivery: <an id unique to this delivery>
    X-Orch-Signature: sha256=<hex digest>

The secret comes from the environment variable the pipeline names, read at each request, so
rotating it needs no restart; during a rotation the variable holds the old and the new secret
separated by commas and either verifies. A delivery id seen before returns its first run, and
so does the same signature under a new id (the signature does not cover the id).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_orch.activity import Actor, acting, current_actor
from jupyter_orch.errors import ConflictError, NotFoundError, SignatureError, UserError
from jupyter_orch.inputs.json_body import parse_json_object
from jupyter_orch.masking import masked_logger
from jupyter_orch.records import Trigger
from jupyter_orch.service import Orchestrator
from jupyter_orch.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    SIGNATURE_PREFIX,
    TIMESTAMP_HEADER,
    sign,
)
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.store.types import KeyedRun, RequestKey, RequestKind
from jupyter_orch.versions.fired import record_fired, webhook_actor

log = masked_logger(__name__)

#: Largest body accepted (bytes).
MAX_BODY = 1024 * 1024
#: How far a timestamp may be from the server's clock, either way (seconds).
TOLERANCE = 300
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")

#: One answer for every bad or missing signature, so a caller learns nothing from it.
BAD_SIGNATURE = (
    f"missing or invalid signature: send {TIMESTAMP_HEADER}, {DELIVERY_HEADER} and "
    f"{SIGNATURE_HEADER}: {SIGNATURE_PREFIX}<hex HMAC-SHA256 of timestamp + '.' + body>"
)
#: One answer for an unknown pipeline, one without a webhook and one whose secret is unset.
NO_WEBHOOK = "no webhook here"


def parse_secrets(value: str | None) -> list[str]:
    """The secrets an environment variable holds: one, or several separated by commas."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def verify(
    secrets: list[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: float = TOLERANCE,
) -> None:
    """Raise ``SignatureError`` unless one of the secrets signed this timestamp and body and
    the timestamp is within ``tolerance`` seconds of ``now``."""
    if not secrets or not timestamp or not signature or not _TIMESTAMP.match(timestamp):
        raise SignatureError(BAD_SIGNATURE)
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is more than {tolerance:g} seconds from the server's clock; "
            "sign each delivery with the current time"
        )
    given = _normal(signature)
    matched = False
    for secret in secrets:  # every one, so the time taken does not say which matched
        expected = sign(secret, timestamp, body).encode()
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureError(BAD_SIGNATURE)


def _normal(signature: str) -> bytes:
    """A signature as compared and remembered (hex digits in either case are the same)."""
    return signature.strip().lower().encode("utf-8", "replace")


def parse_parameters(body: bytes) -> dict[str, Any]:
    """The run parameters in a delivery's JSON body (``{"parameters": {...}}``; other keys are
    the sender's and ignored). Their values are checked with the run's (``resolve_parameters``):
    NaN and Infinity, which Python's JSON reads, are refused there with the same message as
    everywhere else."""
    if not body.strip():
        return {}
    data = parse_json_object(body)
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise UserError("parameters: give an object of name: value")
    return parameters


#: A request whose actor was not set (a test calling the receiver directly).
ANON = Actor(None, "webhook")


@dataclass
class WebhookReceiver:
    """Verifies a delivery and creates its run (once per delivery id). Blocking: call it in a
    thread."""

    orch: Orchestrator
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], float] = time.time

    def receive(self, name: str, headers: Mapping[str, str], body: bytes) -> KeyedRun:
        """The run this delivery created (``created``) or, for a replayed delivery id or the
        same signed request under another id, the run the first delivery created.

        Raises ``NotFoundError`` (no webhook for ``name``), ``SignatureError``, ``UserError``
        (a body or parameter to fix) or ``ConflictError`` (paused; the delivery id was used
        with other parameters).
        """
        secrets, refusal = self._target(name)
        delivery = headers.get(DELIVERY_HEADER)
        if not delivery:
            raise SignatureError(BAD_SIGNATURE)
        verify(
            secrets,
            headers.get(TIMESTAMP_HEADER),
            headers.get(SIGNATURE_HEADER),
            body,
            self.clock(),
        )
        parameters = parse_parameters(body)
        key = RequestKey.of(
            RequestKind.DELIVERY,
            delivery,
            {"parameters": parameters},
            signed_hash=hashlib.sha256(_normal(headers[SIGNATURE_HEADER])).hexdigest(),
        )
        seen = self.orch.store.keyed_run(name, key)
        if seen is not None:
            return KeyedRun(seen, created=False)
        if refusal:
            raise ConflictError(f"pipeline {name!r} is {refusal} to accept deliveries")
        # The run runs the files as they are now, recorded as a version when they changed;
        # the activity log says the delivery did both
        with acting(Actor(webhook_actor(delivery), "webhook", (current_actor() or ANON).address)):
            record_fired(
                self.orch.store,
                name,
                self.orch.store.pipeline_state(name).path,
                webhook_actor(delivery),
                root=self.orch.root,
                connections=self.orch.connections,
            )
            return self.orch.trigger_once(
                name,
                key,
                parameters=parameters,
                trigger=Trigger.WEBHOOK,
                event={"webhook": delivery},
            )

    def _target(self, name: str) -> tuple[list[str], str | None]:
        """The pipeline's secrets and, when it does not fire, why (paused, archived: what to
        do); ``NotFoundError`` alike for an
        unknown pipeline, one not applied, one without a webhook and one whose secret is unset."""
        try:
            state = self.orch.store.pipeline_state(name)
        except NotFoundError:
            raise NotFoundError(NO_WEBHOOK) from None
        webhook = PipelineSpec.from_stored(state.definition).on.webhook
        if webhook is None or not state.active:
            raise NotFoundError(NO_WEBHOOK)
        secrets = parse_secrets(self.environ.get(webhook.secret_env))
        if not secrets:
            # The operator's mistake: said in the server log (the variable's name only).
            log.warning(
                "webhook of %s refused: environment variable %s is unset or empty",
                name,
                webhook.secret_env,
            )
            raise NotFoundError(NO_WEBHOOK)
        if state.archived:
            return secrets, "archived; unarchive it"
        return secrets, "paused; resume it" if state.paused else None
