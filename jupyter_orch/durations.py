"""Durations as users write them in pipeline files: ``90s``, ``5m``, ``1h30m``, ``2d``."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: The longest duration a pipeline may give (timeouts, retry delays, grace windows): longer
#: ones are mistakes, and past ~10^9 days they overflow every date computation.
MAX_DURATION_S = 366 * 86400.0
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from ``30s``, ``5m``, ``1h30m``, ``2d``, ``500ms`` or a plain number of seconds.

    Raises ``ValueError`` with the accepted forms when the value is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m, 2d")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m")
    if math.isnan(seconds):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 1h30m, 2d")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative; a duration is 0 or more")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{value!r} is longer than 366 days; give at most 366d")
    return seconds


def format_duration(seconds: float | None) -> str:
    """Short human form: ``0.8s``, ``12s``, ``3m05s``, ``1h02m``."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
