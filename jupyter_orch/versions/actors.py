"""Who records a version, in the words every record of an actor uses: the Jupyter user (under
JupyterHub, the Hub user), ``token:<first 8 hex of its sha256>`` for a bare token, the OS user
for the CLI."""

from __future__ import annotations

import getpass
import hashlib


def cli_actor() -> str:
    """The OS user running the CLI (``unknown`` when the system cannot say)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (a bare container)
        return "unknown"


def token_actor(token: str) -> str:
    """A bare API token, named without revealing it."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]
