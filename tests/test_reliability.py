"""RELIABILITY.md cases 2, 3, 10 and 15 with real kernels and processes."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.records import AttemptStatus, RunRecord, RunStatus, StepStatus

from .conftest import run_pipeline, write_notebook, write_pipeline, write_steps
from .helpers import gone, read_pids, wait_for

pytestmark = pytest.mark.slow

#: A cell that reports the kernel's pid, its parent (the worker) and children it starts.
SPAWN = """
import json, os, subprocess, multiprocessing, psutil
child = subprocess.Popen(['sleep', '300'])
pool = multiprocessing.get_context('fork').Pool(2)
pool.map(abs, [1, 2])
worker = next(p.pid for p in psutil.Process().parents() if 'jupyter_orch.executors.worker' in ' '.join(p.cmdline()))
pids = {'kernel': os.getpid(), 'worker': worker, 'children': [child.pid] + [p.pid for p in pool._pool]}
with open(pid_file, 'w') as f:
    json.dump(pids, f)
"""


class Background:
    """Run a pipeline in a thread so the test can act on its processes meanwhile."""

    def __init__(self, orch: Any, path: Path) -> None:
        self.result: RunRecord | None = None
        self.thread = threading.Thread(target=self._run, args=(orch, path), daemon=True)
        self.thread.start()

    def _run(self, orch: Any, path: Path) -> None:
        self.result = run_pipeline(orch, path)

    def join(self, timeout: float) -> RunRecord:
        self.thread.join(timeout)
        assert self.result is not None, "the run did not finish"
        return self.result


@pytest.mark.parametrize(
    "body",
    [
        "while True:\n    pass",
        "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except BaseException:\n        pass",
    ],
    ids=["busy-loop", "swallows-BaseException"],
)
def test_timeout_kills_kernel_and_everything_it_started(orch, tmp_path: Path, body: str) -> None:
    pid_file = tmp_path / "pids.json"
    write_notebook(
        tmp_path / "hang.ipynb", "pid_file = ''", SPAWN, "print('before the hang')", body
    )
    path = write_pipeline(
        tmp_path,
        f"""
        name: hang
        steps:
          - {{name: hang, notebook: hang.ipynb, timeout: 6s, parameters: {{pid_file: "{pid_file}"}}}}
          - {{name: after, notebook: hang.ipynb, needs: [hang]}}
        """,
    )
    started = time.monotonic()
    run = run_pipeline(orch, path)
    elapsed = time.monotonic() - started
    pids = json.loads(pid_file.read_text())
    step = run.step("hang")
    assert run.status is RunStatus.FAILED
    assert step.status is StepStatus.TIMED_OUT
    assert run.step("after").status is StepStatus.UPSTREAM_FAILED
    attempt = step.attempts[0]
    assert attempt.status is AttemptStatus.TIMED_OUT
    assert "timeout of 6.0s" in attempt.error["evalue"]
    # the partial output notebook is kept and shows what ran before the timeout
    text = Path(attempt.output_notebook).read_text()
    assert "before the hang" in text
    for pid in [pids["kernel"], *pids["children"]]:
        assert wait_for(lambda pid=pid: gone(pid), 5), f"process {pid} survived the timeout"
    assert elapsed < 6 + 25, elapsed


def test_timed_out_attempt_is_retried(orch, tmp_path: Path) -> None:
    write_notebook(tmp_path / "slow.ipynb", "s = 0", "import time\ntime.sleep(s)")
    path = write_steps(
        tmp_path,
        "slowretry",
        "- {name: slow, notebook: slow.ipynb, timeout: 2s, retries: 1, retry_delay: 0s, parameters: {s: 60}}",
    )
    run = run_pipeline(orch, path)
    assert [a.status for a in run.step("slow").attempts] == [AttemptStatus.TIMED_OUT] * 2
    assert run.step("slow").status is StepStatus.TIMED_OUT


def test_kernel_killed_mid_cell_fails_the_step_quickly(orch, tmp_path: Path) -> None:
    pid_file = tmp_path / "pids.json"
    write_notebook(
        tmp_path / "victim.ipynb", "pid_file = ''", SPAWN, "import time\ntime.sleep(300)"
    )
    write_notebook(tmp_path / "ok.ipynb", None, "x = 1")
    path = write_steps(
        tmp_path,
        "victim",
        f"""
        - {{name: victim, notebook: victim.ipynb, parameters: {{pid_file: "{pid_file}"}}}}
        - {{name: downstream, notebook: ok.ipynb, needs: [victim]}}
        """,
    )
    background = Background(orch, path)
    pids = read_pids(pid_file)
    time.sleep(0.5)
    killed_at = time.monotonic()
    os.kill(pids["kernel"], signal.SIGKILL)
    run = background.join(60)
    assert time.monotonic() - killed_at < 20
    step = run.step("victim")
    assert step.status is StepStatus.FAILED
    assert "kernel died" in step.attempts[0].error["evalue"]
    assert run.step("downstream").status is StepStatus.UPSTREAM_FAILED
    for pid in pids["children"]:
        assert wait_for(lambda pid=pid: gone(pid), 5), f"child {pid} survived its kernel"


def test_worker_killed_takes_its_kernel_and_children_with_it(orch, tmp_path: Path) -> None:
    pid_file = tmp_path / "pids.json"
    write_notebook(
        tmp_path / "victim.ipynb", "pid_file = ''", SPAWN, "import time\ntime.sleep(300)"
    )
    path = write_pipeline(
        tmp_path,
        f"""
        name: worker-victim
        steps:
          - {{name: victim, notebook: victim.ipynb, parameters: {{pid_file: "{pid_file}"}}}}
        """,
    )
    background = Background(orch, path)
    pids = read_pids(pid_file)
    os.kill(pids["worker"], signal.SIGKILL)
    for pid in [pids["kernel"], *pids["children"]]:
        assert wait_for(lambda pid=pid: gone(pid), 5), f"process {pid} survived its worker"
    run = background.join(30)
    attempt = run.step("victim").attempts[0]
    assert run.status is RunStatus.FAILED
    assert attempt.error["ename"] == "WorkerDied"


def test_bad_notebook_at_run_time_fails_the_step_with_the_validation_message(
    orch, tmp_path: Path
) -> None:
    """A notebook read from disk as its step starts (a run of a version recorded before
    versions kept files) that vanished or broke since fails the step, without retrying. A rerun
    with the current files refuses them by name; a replay runs the recorded content."""
    from jupyter_orch.errors import SpecError
    from jupyter_orch.pipelines.loader import load_pipeline
    from jupyter_orch.service import loaded_from_version

    from .conftest import execute

    nb = write_notebook(tmp_path / "nb.ipynb", None, "x = 1")
    path = write_pipeline(
        tmp_path, "name: vanish\nsteps: [{name: a, notebook: nb.ipynb, retries: 2}]\n"
    )
    first = run_pipeline(orch, path)  # version 1, which keeps the notebook
    assert first.status is RunStatus.SUCCEEDED
    loaded = load_pipeline(path)
    orch.store.register("vanish", str(path), loaded.source + "# old\n", loaded.spec.to_json())
    # version 2, as recorded before versions kept files
    for content, message in [
        (None, "notebook not found"),
        ("{broken", "is not valid JSON"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0}), "is nbformat 3"),
    ]:
        if content is None:
            nb.unlink(missing_ok=True)
        else:
            nb.write_text(content)
        with pytest.raises(SpecError, match=r"nb\.ipynb"):
            orch.create_rerun(first.id, from_failed=False)
        rerun = orch.create_run(loaded, 2)  # a run of version 2 reads the notebook on disk
        result = execute(orch, loaded_from_version(orch.store.get_version("vanish", 2)), rerun)
        attempt = result.step("a").attempts[0]
        assert result.status is RunStatus.FAILED
        assert len(result.step("a").attempts) == 1  # no retry for a broken file
        assert attempt.error["ename"] == "InvalidNotebook"
        assert message in attempt.error["evalue"] and str(nb) in attempt.error["evalue"]
    _, replay = orch.create_rerun(first.id, from_failed=False, exact=True)
    replayed = execute(orch, loaded_from_version(orch.store.get_version("vanish", 1)), replay)
    assert replayed.status is RunStatus.SUCCEEDED  # version 1's notebook, from the store
