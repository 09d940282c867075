"""The worker's connection to the executor that started it, and the messages they exchange.

Over a multiprocessing connection, to the parent: ``("kernel", key, pid, group)`` once the
step has its kernel (``group`` is the pid again when the kernel leads its own process group,
else None), ``("log", key, stream, text)`` for output, ``("result", key, TaskResult)`` at the
end, ``("warm", pids)`` when its kernel pool changed. From the parent: a ``NotebookTask``,
``("release", reuse_key)``, ``("depth", n, kernel names)`` (keep n fresh kernels of each
ready), or ``None`` to stop.
"""

from __future__ import annotations

import threading
from multiprocessing.connection import Connection
from typing import Any


class ParentGone(Exception):
    """The coordinator's end of the connection is closed: there is no one to report to."""


class ParentConnection:
    """The connection to the coordinator, whose failures are told apart from the task's.

    A task's own ``OSError`` (its output folder under a file, a full disk) is the step's
    error to report; only a failure to reach the parent ends the worker. Safe to send from
    several threads (a call task's output readers and the worker's own thread): a message is
    written whole, never interleaved with another.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sending = threading.Lock()

    def send(self, message: Any) -> None:
        try:
            with self._sending:
                self._conn.send(message)
        except OSError as exc:
            raise ParentGone(str(exc)) from exc

    def recv(self) -> Any:
        return self._conn.recv()

    def fileno(self) -> int:
        return self._conn.fileno()
