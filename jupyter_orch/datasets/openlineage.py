"""OpenLineage run events for every attempt: ``START`` as it starts, then ``COMPLETE``,
``FAIL`` or ``ABORT`` with its input and output datasets, the SQL facet of a query, the error
facet of a failure, and a parent facet pointing to the pipeline run. Sent through the
openlineage-python client configured the OpenLineage way (``OPENLINEAGE_URL``,
``OPENLINEAGE_CONFIG``, ``OPENLINEAGE__TRANSPORT__...``); none are sent when none of those is
set (the client would print them to the console). ``OPENLINEAGE_NAMESPACE`` names the jobs'
namespace (default ``jupyter-orch``).

Emission never delays or fails a run: events wait in a bounded queue for a thread of their own
(dropped, with one warning, when it is full), and a transport's error is logged. SQL text and
error messages are masked like everything else a run leaves.
"""

from __future__ import annotations

import os
import queue
import threading
import uuid
from datetime import datetime
from typing import Any

from jupyter_orch._version import __version__
from jupyter_orch.masking import mask_text, masked_logger
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunRecord

log = masked_logger("jupyter_orch.openlineage")

PRODUCER = f"https://github.com/jupyter-orch/jupyter-orch/tree/{__version__}"
#: Events waiting for the sending thread; past this they are dropped.
MAX_WAITING = 1000
_IDS = uuid.UUID("6f1a4c1e-5d7b-4c1f-9a51-6a0b7c2f0e11")  # our namespace for uuid5 ids


def configured(environ: dict[str, str] | None = None) -> bool:
    """Whether the OpenLineage client has a transport configured (not its console default)."""
    env = os.environ if environ is None else environ
    return any(
        key in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG") or key.startswith("OPENLINEAGE__TRANSPORT")
        for key, value in env.items()
        if value
    )


def run_uuid(*parts: object) -> str:
    """A stable UUID for a run or an attempt (OpenLineage's run ids are UUIDs)."""
    return str(uuid.uuid5(_IDS, "/".join(map(str, parts))))


def dataset_parts(name: str) -> tuple[str, str]:
    """A stable dataset name as OpenLineage's namespace and name: a table's connection and the
    rest (``warehouse`` / ``mart.daily``), a file's ``file`` and its path."""
    if "://" in name:  # a connection given as a URL: its database ends at the first dot after it
        cut = name.find(".", name.rfind("/"))
        return (name[:cut], name[cut + 1 :]) if cut > 0 else ("jupyter-orch", name)
    if "/" in name or "." not in name:
        return "file", name
    namespace, _, rest = name.partition(".")
    return namespace, rest


class LineageEvents:
    """What the run coordinator tells about attempts; this base sends nothing."""

    def started(self, run: RunRecord, step: str, attempt: AttemptRecord) -> None:
        """An attempt of ``step`` has started."""

    def ended(
        self,
        run: RunRecord,
        step: str,
        attempt: AttemptRecord,
        declared: dict[str, Any] | None,
        masked: tuple[str, ...],
    ) -> None:
        """An attempt has ended (``attempt`` is its record, datasets included);
        ``declared``: what its task reported (a query's SQL text)."""

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event told so far is sent; False if ``timeout`` ran out."""
        return True


class OpenLineageEvents(LineageEvents):
    def __init__(self, client: Any = None) -> None:
        self.namespace = os.environ.get("OPENLINEAGE_NAMESPACE") or "jupyter-orch"
        self._client = client
        self._waiting: queue.Queue[Any] = queue.Queue(MAX_WAITING)
        self._dropped = False
        self._thread = threading.Thread(target=self._send, name="openlineage", daemon=True)
        self._thread.start()

    def started(self, run: RunRecord, step: str, attempt: AttemptRecord) -> None:
        self._put(("START", run, step, attempt, {}, None, ()))

    def ended(
        self,
        run: RunRecord,
        step: str,
        attempt: AttemptRecord,
        declared: dict[str, Any] | None,
        masked: tuple[str, ...],
    ) -> None:
        state = {
            AttemptStatus.SUCCEEDED: "COMPLETE",
            AttemptStatus.CANCELLED: "ABORT",
        }.get(attempt.status, "FAIL")
        self._put((state, run, step, attempt, attempt.lineage or {}, declared, masked))

    def _event(
        self,
        state: str,
        run: RunRecord,
        step: str,
        attempt: AttemptRecord,
        datasets: dict[str, Any],
        declared: dict[str, Any] | None,
        masked: tuple[str, ...],
    ) -> Any:
        from openlineage.client.event_v2 import (
            InputDataset,
            Job,
            OutputDataset,
            Run,
            RunEvent,
            RunState,
        )
        from openlineage.client.facet_v2 import error_message_run, parent_run, sql_job

        run_facets: dict[str, Any] = {
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=run_uuid(run.id)),
                job=parent_run.Job(namespace=self.namespace, name=run.pipeline),
                producer=PRODUCER,
            )
        }
        error = attempt.error or {}
        if state == "FAIL" and error:
            trace = error.get("traceback")
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=mask_text(str(error.get("evalue") or error.get("ename") or ""), masked),
                programmingLanguage="python",
                stackTrace=mask_text("".join(trace), masked) if isinstance(trace, list) else None,
                producer=PRODUCER,
            )
        job_facets: dict[str, Any] = {}
        query = ((declared or {}).get("sql") or {}).get("query")
        if isinstance(query, str) and query:
            job_facets["sql"] = sql_job.SQLJobFacet(
                query=mask_text(query, masked), producer=PRODUCER
            )
        at: datetime | None = attempt.ended_at if state != "START" else attempt.started_at
        return RunEvent(
            eventType=getattr(RunState, state),
            eventTime=(at or datetime.now().astimezone()).isoformat(),
            producer=PRODUCER,
            run=Run(runId=run_uuid(run.id, step, attempt.number), facets=run_facets),
            job=Job(namespace=self.namespace, name=f"{run.pipeline}.{step}", facets=job_facets),
            inputs=[InputDataset(*dataset_parts(n)) for n in datasets.get("inputs") or []],
            outputs=[OutputDataset(*dataset_parts(n)) for n in datasets.get("outputs") or []],
        )

    def _put(self, told: tuple[Any, ...]) -> None:
        """Queue what was told; the sending thread makes the event of it (the client's import
        and the event's checks never run on the caller's event loop, nor fail its run)."""
        try:
            self._waiting.put_nowait(told)
        except queue.Full:
            if not self._dropped:
                self._dropped = True
                log.warning("OpenLineage events are dropped: %d are waiting", MAX_WAITING)

    def _send(self) -> None:
        while True:
            told = self._waiting.get()
            try:
                event = self._event(*told)
                if self._client is None:
                    from openlineage.client import OpenLineageClient

                    self._client = OpenLineageClient()
                self._client.emit(event)
            except Exception as exc:  # a backend down, a bad URL: the run goes on
                log.warning("an OpenLineage event could not be sent: %s", exc)
            finally:
                self._waiting.task_done()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every waiting event is sent (tests, and the CLI before it exits)."""
        done = threading.Event()

        def wait() -> None:
            self._waiting.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)


_EVENTS: LineageEvents | None = None
_LOCK = threading.Lock()


def lineage_events() -> LineageEvents:
    """This process's sender: OpenLineage's when it is configured, else one that sends
    nothing. Made once, when the first run starts."""
    global _EVENTS
    with _LOCK:
        if _EVENTS is None:
            _EVENTS = OpenLineageEvents() if configured() else LineageEvents()
        return _EVENTS
