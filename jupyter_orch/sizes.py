"""Sizes as users write them in pipeline files: ``4GB``, ``512MB``, ``1.5GiB``, or a number of
bytes. ``MB``/``GB`` are 10^6/10^9 bytes, ``MiB``/``GiB`` 2^20/2^30 (``kB``, ``KiB``, ``TB``,
``TiB`` likewise)."""

from __future__ import annotations

import math
import re

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$")
#: The largest size a pipeline may give (more is a mistake, and past 2^63 a column overflows).
MAX_SIZE = 2**50


def parse_size(value: object) -> int:
    """Bytes from ``4GB``, ``512MB``, ``1.5GiB`` or a plain number of bytes; ``ValueError``
    with the accepted forms otherwise."""
    hint = "write e.g. 512MB, 4GB or 2GiB"
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size; {hint}")
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    elif isinstance(value, str):
        match = _SIZE.match(value.strip())
        if match is None or match.group(2).lower() not in _UNITS:
            raise ValueError(f"{value!r} is not a size; {hint}")
        number, unit = float(match.group(1)), match.group(2).lower()
    else:
        raise ValueError(f"{value!r} is not a size; {hint}")
    if math.isnan(number) or math.isinf(number) or number <= 0:
        raise ValueError(f"{value!r} is not a size above zero; {hint}")
    size = number * _UNITS[unit]
    if size > MAX_SIZE:
        raise ValueError(f"{value!r} is too large a size (at most 1 PiB); {hint}")
    return max(int(size), 1)


def format_bytes(count: float) -> str:
    """``4.3 GB``, ``256 MB``, ``900 kB`` (decimal units, as ``max_memory: 4GB`` reads)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(count)} B"
