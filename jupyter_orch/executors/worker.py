"""The worker process: executes notebook tasks with papermill, one at a time, on warm kernels.

Runs in a long-lived child process of the executor. Messages to the parent, over a
multiprocessing connection: ``("kernel", key, pid, group)`` once the step has its kernel
(``group`` is the pid again when the kernel leads its own process group, else None),
``("log", key, stream, text)`` for output, ``("result", key, TaskResult)`` at the end,
``("warm", pids)`` when its kernel pool changed. From the parent: a ``NotebookTask``,
``("release", reuse_key)``, ``("depth", n, kernel names)`` (keep n fresh kernels of each
ready), or ``None`` to stop.

A watchdog thread takes the worker down, with every kernel it started, as soon as its
parent is gone: a coordinator killed with SIGKILL cannot stop its workers itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .base import NotebookTask, TaskResult
from .kernel_template import set_child_subreaper
from .processes import sigkill_tree

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ENGINE_NAME = "jupyter-orch"
#: How often a worker checks that its parent, the coordinator, is still there (seconds).
PARENT_POLL_S = 0.5
#: Once it is gone, for how long at most the worker kills what is still below it.
TEARDOWN_S = 5.0


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from compiling rfc3987_syntax's grammars (about a second per process).

    jsonschema imports it only to check the "iri" formats, which notebook validation never
    uses; a ``None`` entry in ``sys.modules`` makes that optional import fail fast.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class ParentGone(Exception):
    """The coordinator's end of the connection is closed: there is no one to report to."""


class ParentConnection:
    """The connection to the coordinator, whose failures are told apart from the task's.

    A task's own ``OSError`` (its output folder under a file, a full disk) is the step's
    error to report; only a failure to reach the parent ends the worker.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def send(self, message: Any) -> None:
        try:
            self._conn.send(message)
        except OSError as exc:
            raise ParentGone(str(exc)) from exc

    def recv(self) -> Any:
        return self._conn.recv()

    def fileno(self) -> int:
        return self._conn.fileno()


class _CappedStream:
    """A file-like object papermill writes cell output to; forwards it to the parent."""

    def __init__(self, conn: ParentConnection, key: str, name: str, budget: list[int]) -> None:
        self._conn = conn
        self._key = key
        self._name = name
        self._budget = budget  # shared by stdout and stderr: [bytes left, bytes dropped]

    def write(self, text: str) -> int:
        size = len(text.encode("utf-8", "replace"))
        if self._budget[0] <= 0:
            self._budget[1] += size
            return len(text)
        if size > self._budget[0]:
            cut = text.encode("utf-8", "replace")[: self._budget[0]].decode("utf-8", "ignore")
            self._budget[1] += size - len(cut.encode())
            text, size = cut, self._budget[0]
        self._budget[0] -= size
        self._conn.send(("log", self._key, self._name, text))
        return len(text)

    def flush(self) -> None:
        pass


class StreamCap:
    """What one attempt's printed output may leave in its output notebook, applied as it
    streams: the notebook (and the worker holding it) never grows past the cap.

    Past the cap a cell's stream text is dropped, and the cell shows a marker counting
    the bytes not kept (a display output, so no stream coalescing moves it).
    """

    def __init__(self, cap_bytes: int) -> None:
        self.cap_bytes = cap_bytes
        self.left = cap_bytes
        self._marker: dict[str, Any] | None = None
        self._dropped = 0  # bytes not kept since the current marker was added

    def admit(self, text: str) -> tuple[str, int]:
        """The part of ``text`` to keep, and how many bytes of it are not kept."""
        if self.left <= 0:
            return "", len(text.encode("utf-8", "replace"))
        data = text.encode("utf-8", "replace")
        if len(data) <= self.left:
            self.left -= len(data)
            return text, 0
        kept = data[: self.left].decode("utf-8", "ignore")
        self.left = 0
        return kept, len(data) - len(kept.encode())

    def mark(self, outs: list[Any], dropped: int) -> None:
        """Count ``dropped`` bytes on the cell's marker, added after its last kept output."""
        import nbformat

        if self._marker is None or not any(out is self._marker for out in outs):
            self._marker = nbformat.v4.new_output("display_data", {"text/plain": ""})
            self._dropped = 0
            outs.append(self._marker)
        self._dropped += dropped
        self._marker["data"]["text/plain"] = (
            f"[output truncated: {self._dropped} more bytes of printed output not kept; "
            f"the notebook of an attempt keeps {self.cap_bytes} bytes of it]"
        )


#: Between cell saves of the output notebook, at least this long (papermill saves before and
#: after every cell, ~4 ms each). The first and the final save always happen, and a kernel
#: that dies still ends in a final save, so only a worker crash can lose under a second.
MIN_SAVE_INTERVAL_S = 1.0


def _register_engine() -> None:
    """A papermill engine that executes on a kernel we hand it, already connected."""
    import nbformat
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger

    class ThrottledSaves(NotebookExecutionManager):
        _force = True

        def save(self, **kwargs: Any) -> None:
            elapsed = (self.now() - self.last_save_time).total_seconds()
            if self._force or elapsed >= MIN_SAVE_INTERVAL_S:
                self._force = False
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self._force = True
            super().notebook_complete(**kwargs)

    class WarmKernelClient(PapermillNotebookClient):
        """papermill's client, minus the closing kernel_info round trip: the warm kernel
        already told us its language_info; and with its stream output capped."""

        language_info: dict[str, Any] | None = None
        stream_cap: StreamCap | None = None

        def output(
            self, outs: list[Any], msg: dict[str, Any], display_id: Any, cell_index: int
        ) -> Any:
            if self.stream_cap is None or msg["msg_type"] != "stream":
                return super().output(outs, msg, display_id, cell_index)
            text = msg["content"].get("text", "")
            kept, dropped = self.stream_cap.admit(text)
            if kept:
                msg["content"]["text"] = kept
                out = super().output(outs, msg, display_id, cell_index)
            else:
                out = None
            if dropped:
                self.stream_cap.mark(outs, dropped)
                # papermill logs what this returns: the whole text (the log has its own cap)
                out = nbformat.v4.new_output("stream", name=msg["content"]["name"], text=text)
            return out

        def execute(self, **kwargs: Any) -> Any:
            if self.language_info is None:
                return super().execute(**kwargs)
            self.reset_execution_trackers()
            with self.setup_kernel(**kwargs):
                self.papermill_execute_cells()
                self.nb.metadata["language_info"] = self.language_info
                self.set_widgets_metadata()
            return self.nb

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_bar: bool = True,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            # papermill's Engine.execute_notebook, with the throttled manager
            nb_man = ThrottledSaves(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: float | None = None,
            km: Any = None,
            kc: Any = None,
            language_info: dict[str, Any] | None = None,
            output_cap_bytes: int | None = None,
            **kwargs: Any,
        ) -> Any:
            kwargs.pop("input_path", None)
            client = WarmKernelClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            client.kc = kc  # connected and ready: nbclient skips its own start-up wait
            client.language_info = language_info
            if output_cap_bytes is not None:
                client.stream_cap = StreamCap(output_cap_bytes)
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def _error_from(exc: BaseException) -> dict[str, Any]:
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {
            "ename": exc.ename,
            "evalue": exc.evalue,
            "traceback": [strip_ansi(line) for line in exc.traceback],
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
        }
    if isinstance(exc, DeadKernelError):
        return {
            "ename": "DeadKernelError",
            "evalue": "kernel died while executing the notebook",
            "traceback": [],
            "cell_index": None,
        }
    return {
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "traceback": traceback.format_exception(exc),
        "cell_index": None,
    }


def literal_path(path: str) -> str:
    """``path`` as papermill must be given it: papermill formats paths with the parameters
    (``str.format``), so a ``{`` in a folder or file name would fail or, worse, be replaced."""
    return path.replace("{", "{{").replace("}", "}}")


def _parameters(task: NotebookTask) -> dict[str, Any]:
    """Pipeline parameters the notebook's parameters cell declares, then the step's own."""
    declared = _declared(task) if task.pipeline_parameters else set()
    merged = {k: v for k, v in task.pipeline_parameters.items() if k in declared}
    merged.update(task.step_parameters)
    return merged


def _declared(task: NotebookTask) -> set[str]:
    """The names the parameters cell declares, read in the language of the kernel that runs
    it: papermill's ``inspect_notebook`` goes by ``language_info``, which a notebook may get
    wrong (saved once under R, run on Python), and then finds nothing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(task.notebook)  # reads the path as it is (no formatting)
    try:
        language = KernelSpecManager().get_kernel_spec(task.kernel_name).language
    except NoSuchKernel:
        language = None
    return {p.name for p in _infer_parameters(nb, task.kernel_name, language or None)}


def run_task(task: NotebookTask, conn: ParentConnection, cache: Any) -> TaskResult:
    """Execute one task and send its result; raises ``ParentGone`` only.

    Every other error, an ``OSError`` of the task's own files included, is the step's and
    becomes its result.
    """
    import nbformat
    import papermill

    from ..outputs import outputs_from_notebook

    budget = [task.log_cap_bytes, 0]
    error: dict[str, Any] | None = None
    kernel = None
    executed: Any = None
    try:
        Path(task.output_notebook).parent.mkdir(parents=True, exist_ok=True)
        parameters = _parameters(task)
        hide_from_later_kernels(task.hidden_env)
        kernel = cache.take(task)
        conn.send(("kernel", task.key, kernel.pid, _own_group(kernel.pid)))
        executed = papermill.execute_notebook(
            literal_path(task.notebook),
            literal_path(task.output_notebook),
            parameters=parameters,
            engine_name=ENGINE_NAME,
            kernel_name=task.kernel_name,
            km=kernel.km,
            kc=kernel.kc,
            language_info=kernel.language_info,
            progress_bar=False,
            stdout_file=_CappedStream(conn, task.key, "stdout", budget),
            stderr_file=_CappedStream(conn, task.key, "stderr", budget),
            output_cap_bytes=task.output_cap_bytes,
            report_mode=task.report_mode,
        )
    except Exception as exc:
        error = _error_from(exc)
    if budget[1]:
        conn.send(
            (
                "log",
                task.key,
                "stderr",
                f"\n[output truncated: {budget[1]} more bytes not logged]\n",
            )
        )
    written = Path(task.output_notebook).exists()
    outputs: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        if executed is None and written:  # papermill raised: read what it saved
            executed = nbformat.read(task.output_notebook, as_version=4)
        if executed is not None:
            outputs = outputs_from_notebook(executed)
    result = TaskResult(
        status="failed" if error else "succeeded",
        outputs=outputs,
        error=error,
        output_notebook=task.output_notebook if written else None,
    )
    conn.send(("result", task.key, result))
    # After the result: shutting the kernel down is not on the step's clock.
    if kernel is not None:
        cache.give_back(kernel, task.reuse_key)
    return result


def hide_from_later_kernels(names: frozenset[str]) -> None:
    """Remove ``names`` from this worker's environment: kernels it launches from now on
    never hold them (the kernel in use gets them removed before the step's code runs)."""
    for name in names:
        os.environ.pop(name, None)


def _own_group(pid: int | None) -> int | None:
    """``pid`` if it leads its own process group (kernels start a session of their own)."""
    try:
        return pid if pid and os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None


def _reap_children() -> None:
    """Collect every child of ours that has exited (only while the worker is going down:
    in service, each child is its ``Popen``'s to wait for)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def watch_parent(parent: int, kill_kernels: Callable[[], object]) -> threading.Thread:
    """Start a thread that ends this process once ``parent`` is gone, kernels first.

    An orphan is re-parented (to init or a subreaper), so a parent pid other than the one
    at start means the coordinator died. The main thread may be blocked in a step for
    hours; this thread acts within ``PARENT_POLL_S``. (``PR_SET_PDEATHSIG`` would be no
    substitute: it fires when the parent *thread* that spawned us exits, and the executor
    spawns workers from a thread pool; and SIGKILL would leave the kernels behind.)
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        try:
            # Whatever is orphaned below us while we kill (a kernel's processes, once its
            # template is killed) comes to us, not to init: the next pass finds it.
            set_child_subreaper()
            with contextlib.suppress(Exception):
                kill_kernels()  # from now on, a kernel being launched dies as it registers
            deadline = time.monotonic() + TEARDOWN_S
            # again for anything the main thread started, or was orphaned, meanwhile
            while time.monotonic() < deadline:
                _reap_children()  # a zombie is no process to wait for
                if not sigkill_tree(os.getpid(), include_root=False):
                    break
                time.sleep(0.02)
        finally:
            os._exit(1)

    thread = threading.Thread(target=watch, daemon=True, name="orch-parent-watch")
    thread.start()
    return thread


def main(conn: Connection, warm_kernels: list[str], idle_ttl: float, parent: int) -> None:
    """Serve tasks until the parent closes the connection or sends None.

    ``parent`` is the coordinator's pid, from its side: one that died while this process
    started is noticed too.
    """
    # Ctrl-C in a terminal reaches the whole process group: the coordinator decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    skip_slow_optional_imports()
    from .kernels import OWNED, KernelCache

    watch_parent(parent, OWNED.kill_all)

    parent_conn = ParentConnection(conn)

    def announce(pids: list[int]) -> None:
        with contextlib.suppress(ParentGone):
            parent_conn.send(("warm", pids))

    cache = KernelCache(idle_ttl, announce)
    for name in warm_kernels:
        cache.prepare(name)
    import papermill  # noqa: F401  (while the kernels boot, not on the first step's clock)

    _register_engine()
    try:
        _serve(parent_conn, cache)
    finally:
        cache.close()


def _serve(conn: ParentConnection, cache: Any) -> None:
    while True:
        try:
            if not cache.idle(conn.fileno(), min(cache.idle_ttl, 60.0)):
                cache.expire()
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if isinstance(message, tuple) and message[0] == "release":
            cache.release(message[1])
            continue
        if isinstance(message, tuple) and message[0] == "depth":
            cache.depth = message[1]
            for name in message[2]:
                cache.prepare(name)
            continue
        try:
            run_task(message, conn, cache)
        except ParentGone:
            return
        except BaseException as exc:  # the task's own error (a full disk...): report it
            with contextlib.suppress(ParentGone):
                conn.send(
                    ("result", message.key, TaskResult(status="failed", error=_error_from(exc)))
                )


if __name__ == "__main__":
    # python -m jupyter_orch.executors.worker FD IDLE_TTL PARENT_PID [KERNEL ...]
    main(Connection(int(sys.argv[1])), sys.argv[4:], float(sys.argv[2]), int(sys.argv[3]))
