"""Credentials hidden from everything the server says: answers, CLI output, log lines, errors.

A pipeline may hold a database URL with its password (``on: {sql: {connection: ...}}``), and
errors and log lines may quote one. The store keeps the real text (a trigger needs it to
connect); what leaves the server goes through these functions:

- ``mask_url``: one URL, its userinfo password and password-like query values as ``***``;
- ``mask_text``: any text (a YAML source, an error message), every URL in it masked;
- ``mask_json``: a JSON value, every string in it masked.

Each also hides given values (``values``: a run's secrets and connection passwords, see
``masked_values``) wherever they appear. ``${NAME}`` references are names, not secrets, and
stay. Pure functions, no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote

MASK = "***"

#: Query keys whose values are secrets: any key containing one of these words, in any case
#: (``password``, ``sslpassword``, ``api_key``, ``access_token``, ``client_secret``...).
SECRET_KEY_WORDS = ("password", "passwd", "pwd", "secret", "token", "key", "credential")
#: Keys that are secrets only when they are the whole key (``sig`` of a signed URL).
SECRET_KEYS = ("sig",)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# A URL in text runs to the next space or quote-like delimiter. A single quote does not end
# it (a password may hold one); it is among the trailing characters given back below.
_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s\"<>`]+")
_TRAILING = "'),.;:!?]}"
_ENV_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def is_secret_key(key: str) -> bool:
    """Whether a query key names a secret (case-insensitive)."""
    lower = key.lower()
    return lower in SECRET_KEYS or any(word in lower for word in SECRET_KEY_WORDS)


def _hidden(value: str) -> str:
    """``***`` for a secret; an empty value or a ``${NAME}`` reference stays as it is."""
    return value if not value or _ENV_REF.fullmatch(value) else MASK


def mask_url(url: str) -> str:
    """``url`` with its password and password-like query values replaced by ``***``.

    The password runs from the first ``:`` of the userinfo to the last ``@`` before the
    path, so an ``@`` written unencoded in a password is hidden with it. Text that is not a
    URL (no ``scheme://``) is returned unchanged.
    """
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url
    head, rest = url[: scheme.end()], url[scheme.end() :]
    rest, query_from = _mask_userinfo(rest)
    return head + rest[:query_from] + _mask_query(rest[query_from:])


def _mask_userinfo(rest: str) -> tuple[str, int]:
    """The part after ``scheme://`` with its password hidden, and where to look for a query."""
    first = rest.find("@")
    if first < 0:
        return rest, 0
    slash = rest.find("/", first)
    at = rest.rfind("@", 0, slash if slash >= 0 else len(rest))
    user, colon, password = rest[:at].partition(":")
    if not colon or any(c in user for c in "/?#"):
        return rest, 0  # an @ in a path or query, or a user without a password
    masked = f"{user}:{_hidden(password)}"
    return masked + rest[at:], len(masked)


def _mask_query(rest: str) -> str:
    start = rest.find("?")
    if start < 0:
        return rest
    query, hash_, fragment = rest[start + 1 :].partition("#")
    pairs = []
    for pair in query.split("&"):
        key, equals, value = pair.partition("=")
        if equals and is_secret_key(unquote(key)):
            value = _hidden(value)
        pairs.append(f"{key}{equals}{value}")
    return rest[: start + 1] + "&".join(pairs) + hash_ + fragment


#: Values shorter than this are not hidden: masking every "admin" or "1234" would garble
#: ordinary text and tell which short words the secret is.
MIN_MASKED_LENGTH = 6


def masked_values(values: Iterable[str | None]) -> tuple[str, ...]:
    """The values to hide, each once, longest first (one holding another is hidden whole)."""
    kept = {value for value in values if value and len(value) >= MIN_MASKED_LENGTH}
    return tuple(sorted(kept, key=lambda value: (-len(value), value)))


def mask_text(text: str, values: Sequence[str] = ()) -> str:
    """``text`` with every URL in it masked (``mask_url``) and every one of ``values``
    (already through ``masked_values``) replaced by ``***``; the rest unchanged."""
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    url = match.group(0)
    kept = len(url) - len(url.rstrip(_TRAILING))
    if kept:
        return mask_url(url[:-kept]) + url[-kept:]
    return mask_url(url)


def mask_json(value: Any, values: Sequence[str] = ()) -> Any:
    """A JSON value (dicts, lists, scalars) with every string masked (``mask_text``); a copy
    where anything changed, the value itself where nothing could."""
    if isinstance(value, str):
        return mask_text(value, values)
    if isinstance(value, dict):
        return {key: mask_json(item, values) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_json(item, values) for item in value]
    return value


class MaskingFilter(logging.Filter):
    """Masks a log record's message and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set, so the traceback is masked as well.
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        return True


class ValuesMaskingFilter(logging.Filter):
    """Masks given values (``values()``, read at each record) in a record's message: for the
    loggers of libraries that log a URL's path (urllib3 at DEBUG), where a token may be."""

    def __init__(self, values: Callable[[], Sequence[str]]) -> None:
        super().__init__()
        self.values = values

    def filter(self, record: logging.LogRecord) -> bool:
        values = self.values()
        if values:
            message = record.getMessage()
            masked = mask_text(message, values)
            if masked != message:
                record.msg, record.args = masked, None
        return True


def masked_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a ``MaskingFilter`` (added once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger
