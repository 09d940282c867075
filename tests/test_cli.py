"""The ``jupyter orch`` command as users run it: real processes, exit codes, output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import write_notebook, write_pipeline
from .helpers import command, gone, orch, read_pids, wait_for


def test_validate_reports_problems_with_exit_2(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", None, "x = 1")
    path = write_pipeline(
        tmp_path, "name: p\nsteps:\n  - {name: a, notebook: nb.ipynb, needs: [b], retires: 1}\n"
    )
    result = orch(tmp_path, "validate", str(path))
    assert result.returncode == 2
    assert "2 problems" in result.stderr
    assert f"{path}:3: steps[0].needs[0]: unknown step 'b'" in result.stderr
    assert "unknown key 'retires' (did you mean 'retries'?)" in result.stderr
    ok = write_pipeline(tmp_path, "name: p\nsteps: [{name: a, notebook: nb.ipynb}]\n", "ok.yaml")
    result = orch(tmp_path, "validate", str(ok))
    assert result.returncode == 0 and "ok: pipeline 'p' (1 step)" in result.stdout
    as_json = json.loads(orch(tmp_path, "validate", str(path), "--json").stdout)
    assert as_json["valid"] is False and as_json["problems"][0]["line"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "nope=1"], "unknown parameter 'nope' for pipeline 'p' (declared: days)"),
        (["-p", "class=1"], "parameter name 'class' is not a Python identifier"),
        (["-p", "novalue"], "expected name=value"),
    ],
)
def test_run_rejects_bad_parameters_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    write_notebook(tmp_path / "nb.ipynb", "days = 1", "x = 1")
    path = write_pipeline(
        tmp_path, "name: p\nparameters: {days: 1}\nsteps: [{name: a, notebook: nb.ipynb}]\n"
    )
    result = orch(tmp_path, "run", str(path), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_run_and_invalid_file_exit_2(tmp_path: Path) -> None:
    result = orch(tmp_path, "show", "NOSUCHRUN")
    assert result.returncode == 2 and "no run with id 'NOSUCHRUN'" in result.stderr
    result = orch(tmp_path, "run", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2 and "file not found" in result.stderr


@pytest.mark.slow
def test_run_json_show_logs_runs_and_rerun_from_failed(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "load.ipynb",
        "day = ''",
        "import jupyter_orch\njupyter_orch.record('records_count', 127)\njupyter_orch.record('day', day)",
    )
    flaky = write_notebook(tmp_path / "transform.ipynb", None, "raise ValueError('fix me')")
    path = write_pipeline(
        tmp_path,
        """
        name: cli-demo
        parameters: {day: "x"}
        steps:
          - {name: load, notebook: load.ipynb}
          - {name: transform, notebook: transform.ipynb, needs: [load]}
        """,
    )
    result = orch(tmp_path, "run", str(path), "-p", "day=2024-03-24", "--json")
    assert result.returncode == 1, result.stderr
    record = json.loads(result.stdout)
    assert set(record) >= {
        "id",
        "pipeline",
        "version",
        "status",
        "trigger",
        "parameters",
        "started_at",
        "ended_at",
        "duration_s",
        "error",
        "steps",
    }
    assert record["status"] == "failed" and record["trigger"] == "manual"
    assert record["parameters"] == {"day": "2024-03-24"}  # an unquoted date stays text
    load, transform = record["steps"]
    assert set(load["attempts"][0]) == {
        "number",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "outputs",
        "error",
        "output_notebook",
        "resources",
        "lineage",
    }
    assert load["attempts"][0]["outputs"] == {"records_count": 127, "day": "2024-03-24"}
    assert load["attempts"][0]["resources"]["peak_memory_bytes"] > 10**6  # a kernel's at least
    assert transform["attempts"][0]["error"]["evalue"] == "fix me"
    assert (
        "Step 1: load started" in result.stderr
        and "Pipeline failed at step transform" in result.stderr
    )
    assert "transform at In [1]: ValueError: fix me" in result.stderr  # as the notebook shows it

    show = orch(tmp_path, "show", record["id"])
    assert show.returncode == 0 and "fix me" in show.stdout and "transform.ipynb" in show.stdout
    logs = orch(tmp_path, "logs", record["id"])
    assert (
        "Pipeline started" in logs.stdout and "Step 1: load succeeded (127 records)" in logs.stdout
    )
    runs = json.loads(orch(tmp_path, "runs", "--json").stdout)
    assert [r["id"] for r in runs] == [record["id"]]

    # fix the notebook, then repair the run: load is reused, transform runs again
    write_notebook(flaky, None, "import jupyter_orch\njupyter_orch.record('records_count', 98)")
    rerun = orch(tmp_path, "rerun", record["id"], "--from-failed", "--json")
    assert rerun.returncode == 0, rerun.stderr
    repaired = json.loads(rerun.stdout)
    assert repaired["trigger"] == "rerun" and repaired["rerun_of"] == record["id"]
    assert repaired["parameters"] == record["parameters"]
    assert repaired["version"] == record["version"] + 1  # the fixed notebook: a new version
    steps = {s["name"]: s for s in repaired["steps"]}
    assert steps["load"]["reused_from"] == record["id"]
    assert steps["load"]["attempts"] == load["attempts"]
    assert steps["transform"]["status"] == "succeeded"
    assert (
        f"/{repaired['id']}/transform.ipynb" in steps["transform"]["attempts"][0]["output_notebook"]
    )
    assert "(127 -> 98 records)" in rerun.stderr

    # Piped, a table keeps whole words (Rich had squeezed it into 80 columns: "cli-…", "succ…")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    listed = subprocess.run(
        command(tmp_path, "runs"), capture_output=True, text=True, env=env, cwd=tmp_path
    )
    [row] = [line for line in listed.stdout.splitlines() if repaired["id"] in line]
    assert "cli-demo #2" in row and "succeeded" in row and "rerun" in row, listed.stdout


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_interrupt_cancels_cleanly(tmp_path: Path, sig: int, code: int) -> None:
    pid_file = tmp_path / "pids.json"
    write_notebook(
        tmp_path / "long.ipynb",
        "pid_file = ''",
        "import json, os, subprocess\nchild = subprocess.Popen(['sleep', '300'])\n"
        "json.dump({'kernel': os.getpid(), 'children': [child.pid]}, open(pid_file, 'w'))",
        "import time\ntime.sleep(300)",
    )
    path = write_pipeline(
        tmp_path,
        f"""
        name: long
        steps:
          - {{name: long, notebook: long.ipynb, parameters: {{pid_file: "{pid_file}"}}}}
          - {{name: after, notebook: long.ipynb, needs: [long]}}
        """,
    )
    proc = subprocess.Popen(
        command(tmp_path, "run", str(path), "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        # A shell starts background jobs with SIGINT ignored and children inherit that (CI may
        # run us so); a terminal's Ctrl-C reaches a process that handles it.
        preexec_fn=_default_sigint,
    )
    pids = read_pids(pid_file)
    os.kill(proc.pid, sig)
    sent = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
        _, stderr = proc.communicate(timeout=30)
        pytest.fail(f"`jupyter orch run` did not stop within 60 s of {sig!r}:\n{stderr}")
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 30
    for pid in [pids["kernel"], *pids["children"]]:
        assert wait_for(lambda pid=pid: gone(pid), 5), f"process {pid} survived Ctrl-C"
    record = json.loads(stdout)
    assert record["status"] == "cancelled"
    assert [s["status"] for s in record["steps"]] == ["cancelled", "cancelled"]
    assert record["steps"][0]["attempts"][0]["status"] == "cancelled"


def test_same_name_from_another_file_needs_replace(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a" / "nb.ipynb", None, "x = 1")
    write_notebook(tmp_path / "b" / "nb.ipynb", None, "x = 1")
    first = write_pipeline(
        tmp_path / "a", "name: same\nsteps: [{name: s, notebook: nb.ipynb, if: 'false'}]\n"
    )
    second = write_pipeline(
        tmp_path / "b", "name: same\nsteps: [{name: s, notebook: nb.ipynb, if: 'false'}]\n"
    )
    assert orch(tmp_path, "run", str(first)).returncode == 0
    refused = orch(tmp_path, "run", str(second))
    assert refused.returncode == 2
    assert f"a pipeline named 'same' is already registered from {first}" in refused.stderr
    assert orch(tmp_path, "run", str(second), "--replace").returncode == 0
    # a file that no longer exists does not hold on to its name
    second.unlink()
    assert orch(tmp_path, "run", str(first)).returncode == 0
