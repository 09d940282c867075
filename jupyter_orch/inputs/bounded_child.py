"""What the server's bounded child processes share (a Parquet preview, a notebook comparison):
the address-space limit taken before any work, and one JSON answer on stdout, the error named
when the work fails (a MemoryError included)."""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Callable
from typing import Any


def answer_within(address_space: int, work: Callable[[], dict[str, Any]]) -> None:
    """Limit this process to ``address_space`` bytes, then print ``work()``'s answer as JSON,
    or ``{"error": "<exception>: <first line>"}``."""
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    try:
        answer = work()
    except BaseException as exc:  # MemoryError included: the answer says what failed
        text = str(exc).strip().splitlines()
        answer = {"error": f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__}
    sys.stdout.write(json.dumps(answer))
