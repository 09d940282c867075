"""How jupyter-orch signs a request body: incoming webhooks check it, outgoing JSON
notifications carry it. The sender signs ``timestamp + "." + raw body`` with HMAC-SHA256::

    X-Orch-Timestamp: <unix seconds>
    X-Orch-Delivery: <an id unique to this delivery>
    X-Orch-Signature: sha256=<hex digest>
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Orch-Timestamp"
DELIVERY_HEADER = "X-Orch-Delivery"
SIGNATURE_HEADER = "X-Orch-Signature"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Orch-Signature`` value a sender computes."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()
