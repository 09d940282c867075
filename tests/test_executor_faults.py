"""A worker reports a task's own errors as they are, and caps what a step prints into its
output notebook while it streams (RELIABILITY cases 17 and 18)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import replace
from pathlib import Path

import nbformat
import psutil
import pytest

from jupyter_orch.executors.base import (
    LOG_CAP_BYTES,
    OUTPUT_CAP_BYTES,
    NotebookTask,
    OutputCaps,
    TaskResult,
)
from jupyter_orch.executors.local import LocalExecutor

from .helpers import task

pytestmark = pytest.mark.slow


def run_one(
    step: NotebookTask, logs: list[str] | None = None, caps: OutputCaps | None = None
) -> TaskResult:
    async def scenario() -> TaskResult:
        executor = LocalExecutor(max_workers=1)
        executor.output_caps = caps or OutputCaps()
        try:
            execution = await executor.submit(
                step, lambda stream, text: logs.append(text) if logs is not None else None
            )
            first = await asyncio.wait_for(execution.wait(), 120)
            # the worker is still there and serves the next step
            again = await executor.submit(replace(step, key="again"), lambda s, t: None)
            await asyncio.wait_for(again.wait(), 120)
            return first
        finally:
            await executor.close()

    return asyncio.run(scenario())


def test_an_output_path_under_a_file_fails_with_the_real_os_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    step = replace(
        task(tmp_path, "nb", "x = 1"), output_notebook=str(tmp_path / "afile" / "sub" / "out.ipynb")
    )
    result = run_one(step)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["ename"] == "NotADirectoryError", result.error
    assert "[Errno 20] Not a directory" in result.error["evalue"]
    assert str(tmp_path / "afile") in result.error["evalue"]


def test_a_killed_worker_is_reported_with_its_signal(tmp_path: Path) -> None:
    step = task(tmp_path, "sleeper", "import time\ntime.sleep(300)")

    async def scenario() -> TaskResult:
        executor = LocalExecutor(max_workers=1)
        try:
            execution = await executor.submit(step, lambda s, t: None)
            worker = (await asyncio.wait_for(execution.started(), 60))["worker"]
            psutil.Process(worker).kill()
            return await asyncio.wait_for(execution.wait(), 30)
        finally:
            await executor.close()

    result = asyncio.run(scenario())
    assert result.error is not None
    assert result.error["ename"] == "WorkerDied"
    assert "killed by SIGKILL" in result.error["evalue"], result.error


#: Prints about 200 MB in 1 MB chunks, then records that it got to the end.
FLOOD = """
import sys, jupyter_orch
chunk = 'x' * 1023 + '\\n'
for _ in range(200):
    sys.stdout.write(chunk * 1024)
print('the end of the flood')
jupyter_orch.record('done', True)
"""


class PeakRss:
    """Samples the resident memory of a process tree (every 50 ms) from a thread."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                tree = [psutil.Process(self.root), *psutil.Process(self.root).children(True)]
            except psutil.Error:
                continue
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    self.peak = max(self.peak, proc.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def test_a_cell_printing_200_mb_is_cut_in_the_notebook_while_it_streams(tmp_path: Path) -> None:
    step = task(tmp_path, "flood", FLOOD)
    logs: list[str] = []

    async def scenario() -> tuple[TaskResult, int]:
        executor = LocalExecutor(max_workers=1)
        try:
            execution = await executor.submit(step, lambda stream, text: logs.append(text))
            worker = execution.processes()["worker"]
            sampler = PeakRss(worker)
            result = await asyncio.wait_for(execution.wait(), 300)
            return result, sampler.stop()
        finally:
            await executor.close()

    result, peak = asyncio.run(scenario())
    assert result.status == "succeeded", result.error
    assert result.outputs == {"done": True}
    size = Path(step.output_notebook).stat().st_size
    assert size < OUTPUT_CAP_BYTES + 1024 * 1024, size
    nb = nbformat.read(step.output_notebook, as_version=4)
    texts = [out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])]
    assert any("[output truncated: " in t for t in texts), "no truncation marker"
    assert sum(len(t) for t in texts) > OUTPUT_CAP_BYTES // 2  # kept up to the cap
    assert not any("the end of the flood" in t for t in texts)
    assert sum(len(t) for t in logs) < LOG_CAP_BYTES + 4096
    # No process of the worker's tree ever held the 200 MB (the issue measured 2.1 GB).
    assert peak < 200 * 1024 * 1024, peak


def test_a_kernel_printing_past_the_cap_is_cut_by_the_worker_with_a_count(
    tmp_path: Path,
) -> None:
    """Output the kernel did not cut itself (another kernel, ours undone) is cut in the
    worker, at exactly the cap, with a marker counting what was dropped."""
    undo = (
        "import sys\n"
        "for s in (sys.stdout, sys.stderr):\n"
        "    s.__dict__.pop('write', None)  # the kernel-side cap, removed\n"
    )
    flood = (
        "import sys\nfor _ in range(3):\n    sys.stdout.write('y' * 1000)\n    sys.stdout.flush()"
    )
    step = task(tmp_path, "uncapped", undo + flood)
    result = run_one(step, caps=OutputCaps(1500, 10_000))
    assert result.status == "succeeded", result.error
    nb = nbformat.read(step.output_notebook, as_version=4)
    outputs = nb.cells[0].outputs
    assert "".join(o.get("text", "") for o in outputs if o.output_type == "stream") == "y" * 1500
    marker = [o.data["text/plain"] for o in outputs if o.output_type == "display_data"]
    assert marker == [
        "[output truncated: 1.5 kB more of stdout not kept; an output keeps at most 1.5 kB]"
    ]


def test_each_output_has_its_cap_the_notebook_its_own_and_each_attempt_starts_again(
    tmp_path: Path,
) -> None:
    """Per cell and stream, at most the output cap (the kernel's own cut, with its marker);
    all outputs together at most the notebook cap (the worker's cut); a run's shared kernel
    (kernel_reuse) gives each attempt the whole of both again."""
    first = replace(task(tmp_path, "first", "print('a' * 600, end='')"), reuse_key="run-1")
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "python3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(f"print('{c}' * {n}, end='')")
        for c, n in (("a", 600), ("b", 1200), ("c", 600))
    ]
    nbformat.write(nb, first.notebook)
    second = replace(first, key="second", output_notebook=str(tmp_path / "out" / "second.ipynb"))

    async def scenario() -> list[TaskResult]:
        executor = LocalExecutor(max_workers=1)
        # the kernel keeps 1000 characters a cell, room left for its marker
        executor.output_caps = OutputCaps(1256, 2000)
        try:
            results = []
            for step in (first, second):
                execution = await executor.submit(step, lambda s, t: None)
                results.append(await asyncio.wait_for(execution.wait(), 120))
            return results
        finally:
            await executor.close()

    for result in asyncio.run(scenario()):
        assert result.status == "succeeded", result.error
        executed = nbformat.read(result.output_notebook, as_version=4)
        texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in executed.cells]
        assert texts[0] == "a" * 600
        assert texts[1] == (
            "b" * 1000 + "\n[output truncated: 200 more characters printed by this cell not "
            "kept; an output keeps at most 1.3 kB]\n"
        )
        left = 2000 - 600 - len(texts[1])
        assert texts[2] == "c" * left  # the notebook's cap: what was left of it
        markers = [o.data["text/plain"] for o in executed.cells[2].outputs if "data" in o]
        assert markers == [
            f"[output truncated: {600 - left} B more of stdout not kept; a notebook keeps at "
            "most 2.0 kB of outputs]"
        ]


def test_a_display_or_result_past_the_cap_is_replaced_by_a_marker_saying_its_size(
    tmp_path: Path,
) -> None:
    code = (
        "from IPython.display import HTML, display\n"
        "display(HTML('<b>' + 'x' * 3_000_000 + '</b>'))\n"
        "display(HTML('<b>small</b>'))\n"
        "'r' * 2_000_000"
    )
    step = task(tmp_path, "rich", code)
    result = run_one(step)
    assert result.status == "succeeded", result.error
    assert Path(step.output_notebook).stat().st_size < 100_000
    outputs = nbformat.read(step.output_notebook, as_version=4).cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data", "execute_result"]
    assert outputs[0].data == {
        "text/plain": "[output truncated: this display output (3.0 MB) not kept; an output "
        "keeps at most 1.0 MB]"
    }
    assert outputs[1].data["text/html"] == "<b>small</b>"
    assert (
        outputs[2].data["text/plain"].startswith("[output truncated: this result output (2.0 MB)")
    )
    assert outputs[2].execution_count is not None
