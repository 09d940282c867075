"""The REST API of the Jupyter server a notebook's kernel runs under, for code that runs in a
notebook (``jupyter_orch.use_step``, ``jupyter_orch.widgets``). Never the store itself: a
notebook sees what the server lets its user see, through the same authorization.

The server is found the Jupyter way: the running servers' info files (``jpserver-*.json``),
the one whose process launched this kernel (an ancestor of it) first. ``JUPYTER_ORCH_SERVER_URL``
(with ``JUPYTER_ORCH_SERVER_TOKEN``) names one explicitly, e.g. for a kernel on another host.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

URL_VARIABLE = "JUPYTER_ORCH_SERVER_URL"
TOKEN_VARIABLE = "JUPYTER_ORCH_SERVER_TOKEN"
#: Seconds a request may take before the notebook is told the server does not answer.
TIMEOUT = 30.0


class NoServerError(RuntimeError):
    """No Jupyter server with jupyter-orch could be found for this kernel."""


class OrchAPIError(RuntimeError):
    """The server answered a request with an error; the message is the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _ancestors() -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process().parents()]
    except psutil.Error:
        return [os.getppid()]


def pick_server(servers: Iterable[Mapping[str, Any]], ancestors: list[int]) -> Mapping[str, Any]:
    """The server that launched this kernel (the nearest ancestor); else the only one."""
    found = list(servers)
    by_pid = {info.get("pid"): info for info in found}
    for pid in ancestors:
        if pid in by_pid:
            return by_pid[pid]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NoServerError(
            "no running Jupyter server was found for this kernel: jupyter_orch talks to the "
            "server the notebook runs under (start JupyterLab, or set "
            f"{URL_VARIABLE} and {TOKEN_VARIABLE} to reach one)"
        )
    raise NoServerError(
        f"{len(found)} Jupyter servers are running and none of them launched this kernel: "
        f"set {URL_VARIABLE} and {TOKEN_VARIABLE} to the one to use"
    )


@dataclass(frozen=True)
class OrchClient:
    #: The server's URL with its base URL, ending in ``/``.
    url: str
    token: str = ""

    @classmethod
    def discover(cls) -> OrchClient:
        explicit = os.environ.get(URL_VARIABLE)
        if explicit:
            return cls(explicit.rstrip("/") + "/", os.environ.get(TOKEN_VARIABLE, ""))
        from jupyter_server.serverapp import list_running_servers

        info = pick_server(list_running_servers(), _ancestors())
        url = str(info.get("url") or "").rstrip("/") + "/"
        return cls(url, str(info.get("token") or ""))

    def lab_url(self, path: str) -> str:
        """The address that opens a file of the root dir in JupyterLab."""
        return f"{self.url}lab/tree/{quote(path)}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=dict(body or {}))

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        headers = {"X-Orch-Client": "notebook"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        address = self.url + path.lstrip("/")
        try:
            response = requests.request(method, address, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise NoServerError(
                f"the Jupyter server at {self.url} does not answer ({type(exc).__name__}); "
                "is it still running?"
            ) from None
        if response.status_code == 404 and "application/json" not in response.headers.get(
            "Content-Type", ""
        ):
            raise NoServerError(
                f"the Jupyter server at {self.url} does not serve jupyter-orch: enable the "
                "extension (jupyter server extension enable jupyter_orch) and restart it"
            )
        if response.status_code in (401, 403):
            raise OrchAPIError(
                response.status_code,
                f"the Jupyter server at {self.url} refused the request "
                f"({response.status_code}): set {TOKEN_VARIABLE} to a token it accepts",
            )
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise OrchAPIError(response.status_code, message or response.reason)
        return data
