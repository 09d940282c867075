"""Notebooks compared cell by cell with nbdime, in a child process with a time limit and an
address-space limit (``nbdiff_child``): a notebook a user wrote, or one a run left, never makes
the server's own process compute without bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from jupyter_orch.errors import UnreadableFile

#: How long one comparison may take, and the address space its process may use.
NBDIFF_TIMEOUT = 60.0
NBDIFF_ADDRESS_SPACE = 4 * 2**30
#: The largest notebook compared (a run's output notebook may be bigger than any version's).
MAX_COMPARED_BYTES = 64 * 2**20


@dataclass(frozen=True)
class NotebookPair:
    """Two notebooks' contents (None: the notebook is absent on that side) and their names."""

    old: bytes | None
    new: bytes | None
    old_name: str
    new_name: str


def compare_notebooks(
    pairs: list[NotebookPair], *, text: bool = False, color: bool = False
) -> list[Any]:
    """Each pair's ``{"diff": nbdime's diff, "base": the old notebook as nbformat reads it}``,
    or with ``text`` the diff as plain lines; ``UnreadableFile`` naming the notebook that is
    too large, unreadable or too slow to compare."""
    if not pairs:
        return []
    for pair in pairs:
        for data, name in ((pair.old, pair.old_name), (pair.new, pair.new_name)):
            if data is not None and len(data) > MAX_COMPARED_BYTES:
                raise UnreadableFile(
                    f"{name} is larger than {MAX_COMPARED_BYTES // 2**20} MiB; "
                    "compare it outside the lab (nbdiff)"
                )
    request = {
        "pairs": [
            {
                "old": _text(pair.old),
                "new": _text(pair.new),
                "old_name": pair.old_name,
                "new_name": pair.new_name,
            }
            for pair in pairs
        ],
        "text": text,
        "color": color,
    }
    command = [
        sys.executable,
        "-m",
        "jupyter_orch.versions.nbdiff_child",
        str(NBDIFF_ADDRESS_SPACE),
    ]
    names = ", ".join(dict.fromkeys(p.new_name for p in pairs))
    try:
        done = subprocess.run(
            command,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=NBDIFF_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadableFile(
            f"comparing {names} took longer than {NBDIFF_TIMEOUT:.0f} s; "
            "compare it outside the lab (nbdiff)"
        ) from None
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = {"error": f"the comparing process ended with status {done.returncode}"}
    if "error" in answer:
        raise UnreadableFile(f"cannot compare {names}: {answer['error']}")
    results: list[Any] = answer["results"]
    return results


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")
