"""Connections: a SQLAlchemy URL, or ``${NAME}`` for an environment variable holding one.

Checked when a pipeline loads (the message never repeats the text, which may hold a password) and
resolved when a step or an event source connects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import URL

from jupyter_orch.masking import mask_url

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
INVALID_URL = "<invalid connection URL>"


def resolve_connection(connection: str, environ: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL a trigger's ``connection`` stands for.

    ``${NAME}`` is replaced by the environment variable ``NAME`` (from ``environ``, default
    ``os.environ``); ``ValueError`` naming the variable if it is unset or empty. Anything else is
    the URL itself.
    """
    match = _ENV_REF.fullmatch(connection.strip())
    if match is None:
        return connection
    name = match.group(1)
    value = (os.environ if environ is None else environ).get(name, "")
    if not value.strip():
        raise ValueError(
            f"environment variable {name} is not set; it must hold the connection URL, "
            "e.g. postgresql+psycopg://user@host/db"
        )
    return value.strip()


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
    try:
        return sa.make_url(url)
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        return None
