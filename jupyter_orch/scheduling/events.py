"""Event sources: new or changed files, and a SQL value that changes (a "database change").

The scheduler keeps each event source's state as JSON in the store and calls these functions on every
check. Each function takes the previous state and returns what fired plus the next state, so a
change fires exactly once and the first observation after a trigger is activated only sets the
baseline. File scanning and SQL polling block; the scheduler calls them from a thread.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
import re
import stat
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, quote_plus

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from jupyter_orch.connections import INVALID_URL, Connections, parse_url
from jupyter_orch.errors import OrchError
from jupyter_orch.inputs.files import check_file_pattern
from jupyter_orch.masking import MASK, is_secret_key, mask_text, mask_url

# Must find exactly the names `sqlalchemy.text` would take for bind parameters (TextClause).
_BIND_PARAM = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)


class EventError(OrchError):
    """An event source could not be checked (unreachable database, failing query, unset variable)."""


# --- files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    """A file that appeared or changed under a file trigger's folder."""

    path: str  # relative to the base folder, POSIX separators
    kind: str  # "created" or "modified"


def scan_files(
    base: Path,
    patterns: Sequence[str],
    previous: dict[str, Any] | None,
    *,
    now: float | None = None,
    settle_s: float = 1.0,
) -> tuple[list[FileChange], dict[str, Any]]:
    """Report files matching ``patterns`` under ``base`` that are new or changed since ``previous``.

    Parameters
    ----------
    base
        The folder the patterns are relative to (the pipeline file's folder).
    patterns
        Globs relative to ``base``; ``**`` matches any number of folders. Like the shell, ``*`` and
        ``**`` skip names starting with a dot (``.ipynb_checkpoints``) unless the pattern spells
        the dot. A file matched by several patterns is reported once.
    previous
        The state returned by the last scan, or ``None`` for the first scan after the trigger was
        activated: that scan only records the baseline and reports nothing.
    now
        The current time in seconds since the epoch (default ``time.time()``).
    settle_s
        A file modified less than this long before ``now`` may still be being written: it is
        neither reported nor recorded, so a later scan reports it once it has settled.

    Returns
    -------
    The changes sorted by path, and the new JSON-serialisable state ``{relpath: [mtime_ns, size]}``.
    Deleted files just leave the state.

    Raises ``ValueError`` for a pattern that is empty, absolute or contains ``..``.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    for pattern in patterns:
        check_file_pattern(pattern)
    current_time = time.time() if now is None else now
    changes: list[FileChange] = []
    state: dict[str, Any] = {}
    for relpath, seen in sorted(_matching_files(base, patterns).items()):
        known = None if previous is None else previous.get(relpath)
        if current_time - seen[0] / 1e9 < settle_s:
            if known is not None:
                state[relpath] = known  # still being rewritten: keep the old entry until it settles
            continue
        state[relpath] = seen
        if previous is not None and (known is None or list(known) != seen):
            changes.append(FileChange(relpath, "created" if known is None else "modified"))
    return changes, state


def _matching_files(base: Path, patterns: Sequence[str]) -> dict[str, list[int]]:
    """``{relpath: [mtime_ns, size]}`` of the regular files (symlinks followed) the patterns match."""
    found: dict[str, list[int]] = {}
    for pattern in patterns:
        for path in base.glob(pattern):
            relpath = PurePosixPath(path.relative_to(base).as_posix())
            if str(relpath) in found or not _visible(relpath, pattern):
                continue
            try:
                info = path.stat()
            except OSError:  # vanished between listing and stat, or a dangling symlink
                continue
            if stat.S_ISREG(info.st_mode):
                found[str(relpath)] = [info.st_mtime_ns, info.st_size]
    return found


def _visible(relpath: PurePosixPath, pattern: str) -> bool:
    """Whether every dot-name in ``relpath`` is spelled by a dotted component of ``pattern``."""
    dotted = [part for part in re.split(r"[\\/]", pattern) if part.startswith(".")]
    return all(
        any(fnmatch.fnmatchcase(name, part) for part in dotted)
        for name in relpath.parts
        if name.startswith(".")
    )


# --- SQL polling ---------------------------------------------------------------------------------


class SqlWatcher:
    """Polls one query per trigger, reusing one engine per database.

    Engines are created on first use and cached per URL (with ``pool_pre_ping``, so a connection
    the server dropped between polls is replaced); ``close()`` disposes them. Safe to call from
    several threads.
    """

    def __init__(self, connections: Connections | None = None) -> None:
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        #: The named connections a trigger's ``connection`` may name.
        self.connections = connections or Connections()

    def poll(self, connection: str, query: str) -> Any:
        """The first column of the query's first row, JSON-normalised (``None`` when no rows).

        ``connection`` is a connection name, a URL or ``${NAME}``. The query runs in a transaction that is rolled
        back, never committed. Datetimes become ISO 8601 strings (aware ones in UTC), ``Decimal``
        and UUIDs strings, bytes hex. Raises ``EventError`` naming the redacted URL and the
        database's message; the password never appears.
        """
        try:
            url = self.connections.resolve(connection)
        except ValueError as exc:
            raise EventError(f"SQL trigger: {exc}") from None
        parsed = parse_url(url)
        if parsed is None:  # the parse error repeats the whole URL, password included
            raise EventError(f"SQL trigger: {INVALID_URL}") from None
        where = mask_url(url)
        try:
            engine = self._engine(url)
            with engine.connect() as conn:
                row = conn.execute(sa.text(_literal_sql(query))).first()
                conn.rollback()  # on an error, leaving the block rolls back as well
        except Exception as exc:
            message = _first_line(exc, secrets=_secrets_of(parsed))
            raise EventError(f"SQL trigger on {where}: {message}") from None
        return None if row is None else _json_value(row[0])

    def close(self) -> None:
        """Dispose every cached engine (closing its pooled connections)."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()

    def __enter__(self) -> SqlWatcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _engine(self, url: str) -> Engine:
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                engine = sa.create_engine(url, pool_pre_ping=True)
                self._engines[url] = engine
            return engine


def sql_changed(previous: dict[str, Any] | None, value: Any) -> tuple[bool, dict[str, Any]]:
    """Whether a polled value differs from the last one, and the new state ``{"value": value}``.

    The first poll after activation (``previous`` is ``None``) only records the baseline.
    """
    if previous is None or "value" not in previous:
        return False, {"value": value}
    return value != previous["value"], {"value": value}


def _literal_sql(query: str) -> str:
    # We never bind parameters, so a ':name' (inside a string literal, say) must reach the database
    # as written instead of making text() demand a value for it.
    return _BIND_PARAM.sub(r"\\:\1", query)


def _secrets_of(url: URL) -> list[str]:
    values: list[Any] = [url.password]
    for key, value in url.query.items():
        if is_secret_key(key):
            values.extend([value] if isinstance(value, str) else value)
    plain = [v for v in values if isinstance(v, str) and v]
    return [form for v in plain for form in {v, quote(v, safe=""), quote_plus(v)}]


def _first_line(exc: BaseException, secrets: Sequence[str]) -> str:
    """The database's own message (not SQLAlchemy's wrapper), first line, secrets masked."""
    original = getattr(exc, "orig", None)
    text = str(original if isinstance(original, BaseException) else exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    for secret in sorted(secrets, key=len, reverse=True):
        line = line.replace(secret, MASK)
    return mask_text(line)  # a URL the message quotes (another one than the trigger's, say)


def _json_value(value: Any) -> Any:
    """A value that survives a JSON round trip unchanged, so equal readings compare equal."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # NaN != NaN would fire every poll
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    return str(value)
