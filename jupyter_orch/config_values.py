"""How the text of a setting (a variable, a config value, an option) is read: each reader
raises ``ValueError`` saying what to give."""

from __future__ import annotations

import math
from collections.abc import Callable

from .sizes import parse_size


def parse_text(text: str) -> str:
    if not text:
        raise ValueError("give a value")
    return text


def whole_number(minimum: int, meaning: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ValueError(f"{text!r} is not a whole number of at least {minimum}{meaning}")
        return number

    return parse


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{text!r} is not a number of seconds (0 or more)")
    return seconds


def parse_size_text(text: str) -> str:
    """A size as written (``1MB``, ``512KiB``), checked."""
    parse_size(text)
    return text
