"""What both notebook widgets share: the pipeline name's check, the server's client (found
once, on first use) and a poller that refreshes a widget from a daemon thread."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from urllib.parse import quote

import ipywidgets as widgets

from ..notebook_client import NoServerError, OrchAPIError, OrchClient
from . import render

#: A pipeline's name, as the REST API's routes take it.
PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
#: Seconds ``stop()`` waits for a request in flight to end before it returns.
STOP_WAIT = 5.0


def check_pipeline_name(name: object) -> str:
    if not isinstance(name, str) or not PIPELINE_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a pipeline name (lowercase letters, digits, - and _), "
            "e.g. 'daily-sales-report'"
        )
    return name


def pipeline_path(name: str, *rest: str) -> str:
    return "/".join(["orch/pipelines", quote(name), *rest])


def explain(exc: NoServerError | OrchAPIError, pipeline: str, client: OrchClient | None) -> str:
    """What to tell the user about a failed request, in a sentence."""
    if isinstance(exc, OrchAPIError) and exc.status == 404:
        where = f"the Jupyter server at {client.url}" if client else "the Jupyter server"
        return (
            f"{where} has no pipeline named {pipeline!r}: register it first "
            f"(jupyter orch apply, or the Orchestration panel). {exc}"
        )
    if isinstance(exc, OrchAPIError):
        return f"the server answered {exc.status}: {exc}"
    return str(exc)


class Poller:
    """Calls ``tick`` every ``interval`` seconds in a daemon thread until ``stop()``, or until
    ``tick`` returns False. A tick's unexpected error is shown by ``on_error``, not raised:
    a background thread's traceback would land in whichever cell runs at that moment."""

    def __init__(
        self,
        tick: Callable[[], bool],
        interval: float,
        on_error: Callable[[BaseException], None],
        name: str,
    ) -> None:
        self._tick = tick
        self._interval = interval
        self._on_error = on_error
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(STOP_WAIT)

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                if not self._tick():
                    return
            except Exception as exc:  # shown in the widget; the next tick tries again
                self._on_error(exc)


class OrchWidget(widgets.VBox):
    """A box of HTML parts talking to the REST API of the kernel's server."""

    def __init__(self, pipeline: str, client: OrchClient | None, css: str) -> None:
        self._pollers: list[Poller] = []  # first: Widget.__del__ calls close()
        self.pipeline = check_pipeline_name(pipeline)
        self._client = client
        self._lock = threading.RLock()
        self.header = widgets.HTML(render.title(pipeline))
        self.body = widgets.HTML()
        super().__init__([self.header, self.body])
        self.add_class("jp-orch-widget")
        self.add_class(css)

    @property
    def client(self) -> OrchClient:
        """The server's client; NoServerError when the kernel runs under none."""
        if self._client is None:
            self._client = OrchClient.discover()
        return self._client

    def show(self, html: str) -> None:
        self.body.value = html

    def show_problem(self, exc: NoServerError | OrchAPIError) -> None:
        self.show(render.message(explain(exc, self.pipeline, self._client)))

    def show_fault(self, exc: BaseException) -> None:
        self.show(render.message(f"could not refresh: {type(exc).__name__}: {exc}"))

    def poll(self, tick: Callable[[], bool], interval: float) -> Poller:
        poller = Poller(tick, interval, self.show_fault, f"jupyter-orch {self.pipeline}")
        self._pollers.append(poller)
        poller.start()
        return poller

    @property
    def polling(self) -> bool:
        """Whether a background thread still refreshes the widget."""
        return any(p.alive for p in self._pollers)

    def stop(self) -> None:
        """Stop refreshing (the widget stays on the page as it is)."""
        for poller in self._pollers:
            poller.stop()

    def close(self) -> None:
        """Stop refreshing and remove the widget from the page."""
        self.stop()
        for child in self.children:
            child.close()
        super().close()
