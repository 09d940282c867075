"""Connections: what a step's or trigger's ``connection:`` stands for.

In a pipeline file, ``connection:`` is one of

- a **name** defined outside pipeline files: the variable ``JUPYTER_ORCH_CONN_<NAME>`` (upper
  case), else ``c.OrchApp.connections = {"warehouse": "postgresql+psycopg://..."}`` (whose values
  may contain ``${ENV}``);
- ``${ENV}``, an environment variable holding a URL;
- a SQLAlchemy URL **without credentials** (a SQLite file, possibly templated).

A URL with a password is refused when the pipeline loads, so no credential is ever stored with a
pipeline version (definitions stored before that rule stay readable). Messages never repeat the
text, which may hold a password. Resolved (``Connections.resolve``) when a step or an event source
connects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_orch.channels import Channels
from jupyter_orch.masking import mask_text, mask_url, masked_values

if TYPE_CHECKING:  # SQLAlchemy is imported when a URL is read: `validate` seldom needs it
    from sqlalchemy.engine import URL

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
INVALID_URL = "<invalid connection URL>"
#: ``warehouse`` is defined by ``JUPYTER_ORCH_CONN_WAREHOUSE``.
CONN_PREFIX = "JUPYTER_ORCH_CONN_"
#: A step reads the secret ``SLACK_TOKEN`` from ``JUPYTER_ORCH_SECRET_SLACK_TOKEN``.
SECRET_PREFIX = "JUPYTER_ORCH_SECRET_"
CONNECTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def resolve_connection(connection: str, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL a trigger's ``connection`` stands for.

    ``${NAME}`` is replaced by the environment variable ``NAME`` (from ``environ``, default
    ``os.environ``); ``ValueError`` naming the variable if it is unset or empty. Anything else is
    the URL itself.
    """
    name = env_reference(connection)
    if name is None:
        return connection
    value = (os.environ if environ is None else environ).get(name, "")
    if not value.strip():
        raise ValueError(
            f"environment variable {name} is not set; it must hold the connection URL, "
            "e.g. postgresql+psycopg://user@host/db"
        )
    return value.strip()


def env_reference(connection: str) -> str | None:
    """``NAME`` when ``connection`` is ``${NAME}``, else None."""
    match = _ENV_REF.fullmatch(connection.strip())
    return match.group(1) if match else None


def redact_url(url: str) -> str:
    """``url`` with its password (and password-like query values) hidden, for messages and logs."""
    return INVALID_URL if parse_url(url) is None else mask_url(url)


def check_connection(connection: str) -> str:
    """Validate a trigger's ``connection`` when the pipeline is loaded and return it unchanged.

    Accepts ``${NAME}`` (``NAME`` a letter or underscore followed by letters, digits or
    underscores) or a URL SQLAlchemy can parse. The ``ValueError`` never repeats the text, since it
    may hold a password.
    """
    if not isinstance(connection, str) or not connection.strip():
        raise ValueError("connection is empty; write a SQLAlchemy URL or ${ENV_VAR}")
    text = connection.strip()
    if _ENV_REF.fullmatch(text):
        return connection
    if "${" in text:
        raise ValueError(
            "connection: write the whole value as ${NAME}, NAME a letter or underscore followed by "
            "letters, digits or underscores; a variable inside a URL is not expanded"
        )
    if parse_url(text) is None:
        raise ValueError(
            "connection is not a SQLAlchemy URL (e.g. postgresql+psycopg://user@host:5432/db or "
            "sqlite:///path/to/file.db) nor ${ENV_VAR}"
        )
    return connection


def parse_url(url: str) -> URL | None:
    import sqlalchemy as sa

    try:
        return sa.make_url(url)
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        return None


def check_connection_ref(connection: str, *, allow_password: bool = False) -> str:
    """Validate a ``connection:`` value when the pipeline loads and return it unchanged.

    A name, ``${ENV}``, or a URL without a password (``allow_password``: definitions stored
    before that rule). Templates may stand in a URL (``sqlite:///{{ run.dir }}/x.db``).
    """
    if not isinstance(connection, str) or not connection.strip():
        raise ValueError("connection is empty; give a connection name, ${ENV_VAR} or a URL")
    text = connection.strip()
    if CONNECTION_NAME.fullmatch(text):
        return connection
    if "://" not in text and "${" not in text:
        raise ValueError(
            "connection is neither a connection name (letters, digits and _, first a letter), "
            "${ENV_VAR} nor a SQLAlchemy URL"
        )
    check_connection(_TEMPLATE.sub("x", text))
    if not allow_password and mask_url(text) != text:
        raise ValueError(
            "connection: a URL with a password would be stored with every version of the "
            "pipeline; define a named connection (JUPYTER_ORCH_CONN_<NAME> or "
            "c.OrchApp.connections) or give ${ENV_VAR}"
        )
    return connection


def expand_env(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with every ``${NAME}`` replaced by the variable; ``ValueError`` if one is unset."""

    def value(match: re.Match[str]) -> str:
        found = environ.get(match.group(1), "")
        if not found.strip():
            raise ValueError(f"environment variable {match.group(1)} is not set")
        return found.strip()

    return _ENV_REF.sub(value, text)


@dataclass(frozen=True)
class Connections:
    """The named connections: ``JUPYTER_ORCH_CONN_<NAME>`` variables over ``configured``
    (``c.OrchApp.connections``). ``environ`` defaults to ``os.environ``, read at each call."""

    configured: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None
    #: ``c.OrchApp.notify_channels``: the notification channels travel with the connections
    #: (both are named outside pipeline files, and every loader and run needs both).
    notify_channels: Mapping[str, str] = field(default_factory=dict)

    @property
    def _env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ

    @property
    def channels(self) -> Channels:
        return Channels(self.notify_channels, self.environ)

    def names(self) -> list[str]:
        """Every defined name, sorted (a variable's name in lower case)."""
        from_env = {
            key[len(CONN_PREFIX) :].lower()
            for key, value in self._env.items()
            if key.startswith(CONN_PREFIX) and value.strip() and len(key) > len(CONN_PREFIX)
        }
        return sorted(from_env | set(self.configured))

    def environ_value(self, name: str) -> str:
        """``JUPYTER_ORCH_CONN_<NAME>``, stripped; empty when unset."""
        return self._env.get(CONN_PREFIX + name.upper(), "").strip()

    def is_defined(self, name: str) -> bool:
        return bool(self.environ_value(name)) or name in self.configured

    def url(self, name: str) -> str:
        """The URL ``name`` stands for; ``ValueError`` saying how to define it."""
        value = self.environ_value(name)
        if value:
            return value
        if name in self.configured:
            try:
                return expand_env(str(self.configured[name]), self._env)
            except ValueError as exc:
                raise ValueError(f"connection {name!r} (c.OrchApp.connections): {exc}") from None
        raise ValueError(
            f"connection {name!r} is not defined; set {CONN_PREFIX}{name.upper()} or "
            f"c.OrchApp.connections = {{{name!r}: 'dialect+driver://...'}}"
        )

    def resolve(self, connection: str) -> str:
        """The URL of a (rendered) ``connection:`` value: a name, ``${ENV}`` or a URL."""
        text = connection.strip()
        if CONNECTION_NAME.fullmatch(text):
            return self.url(text)
        return resolve_connection(text, self._env)

    def variables(self) -> frozenset[str]:
        """The variables holding connection URLs or parts of them (no step may read them)."""
        referenced = {
            match.group(1)
            for value in self.configured.values()
            for match in _ENV_REF.finditer(str(value))
        }
        return frozenset(referenced)


def describe_connections(connections: Connections) -> list[dict[str, Any]]:
    """Each defined name with its dialect, host, port and database (never a user or password),
    and where it is defined; ``problem`` says what is wrong with one that cannot be used."""
    described = []
    for name in connections.names():
        from_env = bool(connections.environ_value(name))
        entry: dict[str, Any] = {
            "name": name,
            "defined_by": CONN_PREFIX + name.upper() if from_env else "c.OrchApp.connections",
        }
        try:
            url = parse_url(connections.url(name))
        except ValueError as exc:
            url, entry["problem"] = None, str(exc)
        if url is not None:
            entry.update(
                dialect=url.get_backend_name(),
                host=url.host,
                port=url.port,
                database=url.database,
            )
        elif "problem" not in entry:
            entry["problem"] = "not a SQLAlchemy URL"
        described.append(entry)
    return described


def try_connection(connections: Connections, name: str, timeout: float = 10.0) -> str | None:
    """Connect to ``name`` and run ``SELECT 1``: None when it works, else what failed (the
    password masked). ``ValueError`` when the name is not defined."""
    url = connections.url(name)
    parsed = parse_url(url)
    if parsed is None:
        return "the URL is not a SQLAlchemy URL"
    options: dict[str, Any] = {}
    if parsed.get_backend_name() in ("postgresql", "mysql", "mariadb"):
        options["connect_args"] = {"connect_timeout": int(timeout)}
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, **options)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as exc:
        secrets = [parsed.password] if parsed.password else []
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return mask_text(f"{type(exc).__name__}: {first}", masked_values(secrets))
    return None
