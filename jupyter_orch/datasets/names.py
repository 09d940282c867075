"""Stable dataset names: a table is its connection's name plus the table as the SQL names it
(``warehouse.mart.daily``); a file is its path relative to the server's root dir (absolute for
the CLI, whose files have no root). A connection given as a URL is named by its backend, host,
port and database, never its user or password (``postgresql://db.example:5432/sales``)."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_orch.connections import CONNECTION_NAME, parse_url

#: The prefix ``jupyter_orch.lineage`` gives a file.
FILE = "file:"


def connection_label(reference: str, url: str | None) -> str:
    """What a table's name starts with: the connection's name when the step names one."""
    if CONNECTION_NAME.fullmatch(reference):
        return reference
    parsed = parse_url(url or "")
    if parsed is None:
        return "connection"
    backend = parsed.drivername.partition("+")[0]
    where = parsed.host or ""
    if parsed.port:
        where += f":{parsed.port}"
    database = parsed.database or ""
    if backend == "sqlite":  # the file is the database
        return f"sqlite:{database or 'memory'}"
    return f"{backend}://{where}/{database}"


def table_dataset(label: str, table: str) -> str:
    return f"{label}.{table}"


def file_dataset(path: str | Path, root: Path | None) -> str:
    """A file's name: relative to ``root`` when inside it, else absolute."""
    absolute = Path(os.path.realpath(path))
    if root is not None:
        try:
            return absolute.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(absolute)


def declared_dataset(name: str, folder: Path, root: Path | None) -> str:
    """A name ``jupyter_orch.lineage`` recorded: a file (``file:<path>``, relative to the step's
    working ``folder``) named as files are; a table as given."""
    if name.startswith(FILE):
        return file_dataset(folder / name[len(FILE) :], root)
    return name
