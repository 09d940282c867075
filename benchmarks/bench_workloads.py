"""The work every scenario measures: notebooks, pipeline files and the peers' driver scripts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

PARAMETERS = "x = 0"
TRIVIAL = "y = x + 1"
SLEEP = "import time\n\ntime.sleep(1)"
#: Busy until the kernel has used 5 s of CPU: the same work whatever else shares the machine.
CPU_WORK = """import time

began = time.process_time()
while time.process_time() - began < 5:
    sum(range(10_000))"""
#: A gigabyte (decimal), every page written so that it is resident.
ALLOCATE_1GB = 'b = bytearray(10**9)\nb[::4096] = b"x" * len(b[::4096])'

#: A process tree for the watchdog: this script with argv SHARE CHILDREN SECONDS holds SHARE
#: bytes resident, starts CHILDREN copies of itself (without children), prints ``ready`` once
#: they all hold theirs, then sleeps SECONDS (the benchmark ends it sooner).
MEMORY_TREE = """
import subprocess, sys, time

share, children, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
held = b"x" * share
procs = [
    subprocess.Popen([sys.executable, __file__, str(share), "0", seconds], stdout=subprocess.PIPE)
    for _ in range(children)
]
for proc in procs:
    proc.stdout.readline()
print("ready", flush=True)
time.sleep(float(seconds))
"""

#: papermill.execute_notebook in a loop, in one process; prints each call's wall time (JSON).
IN_PROCESS_LOOP = """
import json, sys, time
import papermill

timings = []
for source, target, parameters in json.load(open(sys.argv[1])):
    began = time.perf_counter()
    papermill.execute_notebook(source, target, parameters=parameters, progress_bar=False)
    timings.append(time.perf_counter() - began)
print(json.dumps(timings))
"""

#: The fan-out with a pool of worker processes, then the join in the main process.
#: fork, because functions defined under ``python -c`` cannot be pickled for spawn.
POOL_FAN_OUT = """
import json, multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor
import papermill

def execute(job):
    source, target, parameters = job
    papermill.execute_notebook(source, target, parameters=parameters, progress_bar=False)

spec = json.load(open(sys.argv[1]))
context = multiprocessing.get_context("fork")
with ProcessPoolExecutor(spec["workers"], mp_context=context) as pool:
    list(pool.map(execute, spec["fan"]))
execute(spec["join"])
"""


def write_notebook(path: Path, body: str) -> Path:
    """A notebook with a ``parameters`` cell ``x = 0`` and one cell ``body``."""
    parameters = nbformat.v4.new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(body)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def chain_yaml(name: str, notebook: str, length: int, *, kernel_reuse: bool = False) -> str:
    """Steps ``step_0`` .. ``step_<length-1>``, each needing the one before, ``x`` = its index."""
    lines = [f"name: {name}"]
    if kernel_reuse:
        lines.append("kernel_reuse: true")
    lines.append("steps:")
    for index in range(length):
        lines += [
            f"  - name: step_{index}",
            f"    notebook: {notebook}",
            f"    parameters: {{x: {index}}}",
        ]
        if index:
            lines.append(f"    needs: [step_{index - 1}]")
    return "\n".join(lines) + "\n"


def one_step_yaml(
    name: str, notebook: str, *, max_memory: str | None = None, keep_last: int | None = None
) -> str:
    """One step; the run's ``x`` reaches the notebook's parameter ``x``."""
    lines = [f"name: {name}", "parameters: {x: 0}"]
    if keep_last is not None:
        lines.append(f"retention: {{keep_last: {keep_last}}}")
    lines += ["steps:", "  - name: step", f"    notebook: {notebook}"]
    if max_memory is not None:
        lines.append(f"    max_memory: {max_memory}")
    return "\n".join(lines) + "\n"


def fan_out_yaml(name: str, branch: str, join: str, width: int, parallel: int) -> str:
    """``width`` independent branches, then ``join`` needing them all; ``parallel`` at a time."""
    branches = [f"branch_{index}" for index in range(width)]
    lines = [f"name: {name}", f"limits: {{max_parallel_steps: {parallel}}}", "steps:"]
    for index, step in enumerate(branches):
        lines += [f"  - name: {step}", f"    notebook: {branch}", f"    parameters: {{x: {index}}}"]
    lines += [
        "  - name: join",
        f"    notebook: {join}",
        f"    parameters: {{x: {width}}}",
        f"    needs: [{', '.join(branches)}]",
    ]
    return "\n".join(lines) + "\n"


def write_jobs(path: Path, jobs: Any) -> Path:
    path.write_text(json.dumps(jobs))
    return path


def _timestamp(text: str) -> datetime:
    # Jupyter writes a trailing Z, which datetime.fromisoformat reads only from Python 3.11 on.
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cell_seconds(cell: Any) -> float:
    """Time a code cell took in the kernel: execute_input to execute_reply, else papermill's."""
    timing = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
        began, ended = timing["iopub.execute_input"], timing["shell.execute_reply"]
        return (_timestamp(ended) - _timestamp(began)).total_seconds()
    return float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)


def notebook_cell_seconds(path: str | Path) -> float:
    """The summed kernel time of every code cell of an executed notebook."""
    notebook = json.loads(Path(path).read_text())
    return sum(cell_seconds(cell) for cell in notebook["cells"] if cell["cell_type"] == "code")


def seconds_between(started_at: str, ended_at: str) -> float:
    return (_timestamp(ended_at) - _timestamp(started_at)).total_seconds()
