"""Notebook widgets (ipywidgets) for pipelines of the Jupyter server the kernel runs under::

    from jupyter_orch.widgets import RunButton, RunMonitor
    RunMonitor("daily-sales-report")                 # its runs, live
    RunButton("daily-sales-report", parameters={"days": 30})   # a form and a Run button

They talk to that server's REST API (``jupyter_orch.notebook_client``), never to the store,
and say so in the widget when there is no server or no such pipeline. Not imported by
``jupyter_orch`` itself: that stays cheap to import in every kernel.
"""

from __future__ import annotations

from .button import RunButton
from .monitor import RunMonitor

__all__ = ["RunButton", "RunMonitor"]
