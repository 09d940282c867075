"""The papermill engine the worker executes with: on a warm kernel it hands over, already
connected, with throttled saves, the notebook's stream output capped and the step's secrets
masked in every output as it arrives (a partial notebook never holds one either)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..masking import mask_json
from .output_caps import RICH_OUTPUTS, OutputBudget

ENGINE_NAME = "jupyter-orch"

#: Between cell saves of the output notebook, at least this long (papermill saves before and
#: after every cell, ~4 ms each). The first and the final save always happen, and a kernel
#: that dies still ends in a final save, so only a worker crash can lose under a second.
MIN_SAVE_INTERVAL_S = 1.0


def register_engine() -> None:
    """A papermill engine that executes on a kernel we hand it, already connected."""
    import nbformat
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger

    class ThrottledSaves(NotebookExecutionManager):
        _force = True
        #: Told each cell as it starts (``CellProgress``), if set.
        progress: Callable[[Any, int], None] | None = None

        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            super().cell_start(cell, cell_index, **kwargs)
            if self.progress is not None and cell_index is not None:
                self.progress(self.nb, cell_index)

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
        already told us its language_info; and with its outputs capped."""

        language_info: dict[str, Any] | None = None
        budget: OutputBudget | None = None
        masked: tuple[str, ...] = ()

        def output(
            self, outs: list[Any], msg: dict[str, Any], display_id: Any, cell_index: int
        ) -> Any:
            if self.masked:
                msg["content"] = mask_json(msg["content"], self.masked)
            kind = msg["msg_type"]
            if self.budget is None or kind not in ("stream", *RICH_OUTPUTS):
                return super().output(outs, msg, display_id, cell_index)
            if kind != "stream":
                msg["content"] = self.budget.fit(msg["content"], RICH_OUTPUTS[kind])
                return super().output(outs, msg, display_id, cell_index)
            name, text = msg["content"]["name"], msg["content"].get("text", "")
            kept, dropped = self.budget.admit(cell_index, name, text)
            out = None
            if kept:
                msg["content"]["text"] = kept
                out = super().output(outs, msg, display_id, cell_index)
            if dropped:
                self.budget.mark(outs, cell_index, name, dropped)
                # papermill logs what this returns: the whole text (the log has its own cap)
                out = nbformat.v4.new_output("stream", name=name, text=text)
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
            nb_man.progress = kwargs.pop("cell_progress", None)
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
            output_caps: tuple[int, int] | None = None,
            masked: tuple[str, ...] = (),
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
            client.masked = masked
            if output_caps is not None:
                client.budget = OutputBudget(*output_caps)
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
