"""``RunMonitor``: a pipeline's newest runs, live in a notebook."""

from __future__ import annotations

from typing import Any

from ..notebook_client import NoServerError, OrchAPIError, OrchClient
from . import render
from .base import OrchWidget, pipeline_path


class RunMonitor(OrchWidget):
    """The newest runs of a pipeline, refreshed while it is shown.

    A table of the runs, newest first: number (linking the run's folder), status, trigger,
    start, duration, and each step's status with a link to its output notebook. A background
    thread asks the REST API of the server the kernel runs under every ``interval`` seconds
    until ``stop()`` or ``close()``.

    Parameters
    ----------
    pipeline
        The pipeline's name, e.g. ``"daily-sales-report"``.
    limit
        How many runs to show.
    interval
        Seconds between two refreshes.
    client
        The server to ask; by default the one that launched this kernel
        (``OrchClient.discover()``).

    Examples
    --------
    >>> from jupyter_orch.widgets import RunMonitor
    >>> RunMonitor("daily-sales-report")  # doctest: +SKIP
    """

    def __init__(
        self,
        pipeline: str,
        *,
        limit: int = 10,
        interval: float = 2.0,
        client: OrchClient | None = None,
    ) -> None:
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            raise ValueError(f"limit: give a number of runs from 1 to 200, not {limit!r}")
        if not interval > 0:
            raise ValueError(f"interval: give a number of seconds above 0, not {interval!r}")
        super().__init__(pipeline, client, "jp-orch-RunMonitor")
        self.limit = limit
        self.interval = float(interval)
        #: The runs shown, newest first, as the REST API gives them.
        self.runs: list[dict[str, Any]] = []
        self._found = False
        if self.refresh() is not None:  # a server, even if it failed this once: keep asking
            self.poll(lambda: self.refresh() is not None, self.interval)

    def refresh(self) -> list[dict[str, Any]] | None:
        """Ask for the runs now and show them, or show why they cannot be shown. The runs;
        None when the kernel runs under no server (there is nothing to ask again)."""
        with self._lock:
            try:
                client = self.client
            except NoServerError as exc:
                self.show_problem(exc)
                return None
            try:
                if not self._found:  # the pipeline's runs would be an empty list, not a 404
                    detail = client.get(pipeline_path(self.pipeline))
                    self.header.value = render.title(
                        self.pipeline, str(detail.get("description") or "")
                    )
                    self._found = True
                page = client.get("orch/runs", {"pipeline": self.pipeline, "limit": self.limit})
            except (NoServerError, OrchAPIError) as exc:
                self.show_problem(exc)
                return []
            self.runs = list(page.get("runs") or [])
            self.show(render.runs_table(client, self.runs))
            return self.runs
