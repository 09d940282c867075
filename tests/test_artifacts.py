"""Artifacts (issue "Results in view"): which attempt wrote which file, and the first rows of a
table read within bounds. The ledger on a real folder; the run coordinator with a fake executor
whose attempts write files; CSV and Parquet previews of good, huge, hostile and corrupt files;
the migration that adds ``step_attempts.artifacts``."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

import jupyter_orch.artifacts.previews as previews
from jupyter_orch.artifact_views import step_artifacts
from jupyter_orch.artifacts.files import artifact_type, read_image, table_preview
from jupyter_orch.artifacts.ledger import ArtifactLedger, snapshot
from jupyter_orch.errors import UnreadableFile
from jupyter_orch.executors.base import Execution, LogSink, NotebookTask
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunRecord, RunStatus, Trigger
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline, write_notebook, write_steps
from .fakes import FAILS, FakeClock, FakeExecutor, Script, copied_store, run_with_clock

# --- the ledger ----------------------------------------------------------------------------------


def test_an_attempt_owns_what_it_created_or_changed_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    (folder / "old").mkdir(parents=True)
    (folder / "kept.csv").write_text("a\n1\n")
    (folder / "changed.csv").write_text("a\n1\n")
    (folder / "old" / "deep.txt").write_text("x")
    ledger = ArtifactLedger(folder, ["report"])

    async def attempt() -> list[dict[str, Any]]:
        await ledger.begin("report", 1)
        (folder / "chart.png").write_bytes(b"\x89PNG")
        (folder / "changed.csv").write_text("a\n1\n2\n")
        (folder / "sub").mkdir()
        (folder / "sub" / "inner.txt").write_text("y")
        (folder / ".chart.png.partial").write_bytes(b"half")  # a writer's temporary file
        (folder / "link.txt").symlink_to(folder / "kept.csv")
        return await ledger.end("report", 1, {})

    written = asyncio.run(attempt())
    assert [(e["name"], e["size"]) for e in written] == [
        ("changed.csv", 6),
        ("chart.png", 4),
        ("sub/inner.txt", 1),
    ]
    assert all(Path(e["path"]).is_absolute() and "concurrent" not in e for e in written)
    assert written[1]["modified_at"].endswith("+00:00")
    # an attempt never begun (an `if:` that failed) and one ended twice record nothing
    assert asyncio.run(ledger.end("report", 2, {})) == []
    assert asyncio.run(ledger.end("report", 1, {})) == []


def test_a_listing_is_bounded_and_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert snapshot(tmp_path / "none") == {}
    for n in range(30):
        (tmp_path / f"f{n}").write_text("x")
    assert len(snapshot(tmp_path, limit=10)) == 10


def test_steps_running_together_keep_files_named_for_them_and_share_the_rest(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    ledger = ArtifactLedger(folder, ["extract", "chart", "late"])

    async def together() -> tuple[list[dict[str, Any]], ...]:
        await ledger.begin("extract", 1)
        await ledger.begin("chart", 1)
        (folder / "extract.parquet").write_bytes(b"PAR1")
        (folder / "chart").mkdir()
        (folder / "chart" / "sales.png").write_bytes(b"\x89PNG")
        (folder / "unnamed.csv").write_text("a\n")
        extract = await ledger.end("extract", 1, {})
        chart = await ledger.end("chart", 1, {})
        await asyncio.sleep(0.2)
        await ledger.begin("late", 1)  # began after those files were written
        (folder / "late.txt").write_text("z")
        late = await ledger.end("late", 1, {})
        return extract, chart, late

    extract, chart, late = asyncio.run(together())
    assert [(e["name"], e.get("concurrent")) for e in extract] == [
        ("extract.parquet", None),
        ("unnamed.csv", ["chart"]),
    ]
    assert [(e["name"], e.get("concurrent")) for e in chart] == [
        ("chart/sales.png", None),
        ("unnamed.csv", ["extract"]),
    ]
    assert [(e["name"], e.get("concurrent")) for e in late] == [("late.txt", None)]


def test_a_reported_path_counts_only_when_the_attempt_wrote_it(tmp_path: Path) -> None:
    """An export's file elsewhere under the root: its ``path`` output, if modified meanwhile."""
    folder = tmp_path / "runs" / "artifacts"
    folder.mkdir(parents=True)
    before = tmp_path / "reports" / "before.csv"
    before.parent.mkdir()
    before.write_text("a\n")
    os.utime(before, (time.time() - 3600, time.time() - 3600))
    ledger = ArtifactLedger(folder, ["load"])

    async def attempt(number: int, reported: str) -> list[dict[str, Any]]:
        await ledger.begin("load", number)
        if number == 1:
            (tmp_path / "reports" / "out.csv").write_text("a\n1\n")
        return await ledger.end("load", number, {"path": reported})

    written = asyncio.run(attempt(1, str(tmp_path / "reports" / "out.csv")))
    assert [(e["name"], e["path"]) for e in written] == [
        ("out.csv", str(tmp_path / "reports" / "out.csv"))
    ]
    assert asyncio.run(attempt(2, str(before))) == []
    assert asyncio.run(attempt(3, "relative/out.csv")) == []


# --- through the run coordinator -----------------------------------------------------------------


class FakeWritingExecutor(FakeExecutor):
    """A fake executor whose attempts write ``writes[step]`` (name: bytes) into the run's
    artifacts folder as they are sent, then play their script."""

    def __init__(self, writes: dict[str, dict[str, bytes]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writes = writes

    async def submit(self, task: NotebookTask, on_log: LogSink) -> Execution:
        folder = Path(task.env["JUPYTER_ORCH_RUN_DIR"])
        for name, data in self.writes.get(task.env["JUPYTER_ORCH_STEP"], {}).items():
            (folder / name).write_bytes(data)
        return await super().submit(task, on_log)


def coordinated(
    tmp_path: Path,
    steps: str,
    writes: dict[str, dict[str, bytes]],
    scripts: dict[str, list[Script]] | None = None,
) -> tuple[RunRecord, Store]:
    store = copied_store(tmp_path)
    write_notebook(tmp_path / "nb.ipynb", "n = 0", "print(n)")
    loaded = load_pipeline(write_steps(tmp_path, "files", steps))
    orch = Orchestrator(store, tmp_path / "runs")
    run = orch.create_run(loaded, orch.register(loaded).version)
    clock = FakeClock()
    executor = FakeWritingExecutor(writes, scripts=scripts, clock=clock)

    async def main() -> RunRecord:
        coordinator = RunCoordinator(store, executor, loaded, run, clock=clock, sleep=clock.sleep)
        return await coordinator.execute()

    run_with_clock(main, clock)
    return store.get_run(run.id), store


def names(run: RunRecord, root: Path) -> dict[str, list[tuple[str, Any]]]:
    found = step_artifacts(run, root)
    return {
        step: [(a["name"], a.get("concurrent")) for a in files] for step, files in found.items()
    }


def test_two_steps_writing_a_png_and_a_csv_show_each_under_its_step(tmp_path: Path) -> None:
    run, store = coordinated(
        tmp_path,
        """
        - {name: draw, notebook: nb.ipynb}
        - {name: tabulate, notebook: nb.ipynb, needs: [draw]}
        """,
        {"draw": {"a.png": b"\x89PNG"}, "tabulate": {"b.csv": b"x,y\n1,2\n"}},
    )
    try:
        assert run.status is RunStatus.SUCCEEDED
        assert names(run, tmp_path) == {"draw": [("a.png", None)], "tabulate": [("b.csv", None)]}
        shown = step_artifacts(run, tmp_path)["draw"][0]
        assert shown["path"] == f"runs/files/{run.id}/artifacts/a.png"
        assert (shown["type"], shown["size"], shown["attempt"]) == ("image", 4, 1)
        assert run.steps[0].attempts[0].to_dict().keys() == {
            "number", "status", "started_at", "ended_at", "duration_s", "outputs", "error",
            "output_notebook", "resources", "lineage",
        }  # fmt: skip
    finally:
        store.close()


def test_parallel_steps_keep_files_named_for_them_and_share_the_others(tmp_path: Path) -> None:
    run, store = coordinated(
        tmp_path,
        """
        - {name: left, notebook: nb.ipynb}
        - {name: right, notebook: nb.ipynb}
        """,
        {"left": {"left.png": b"L", "shared.csv": b"s\n"}, "right": {"right.csv": b"r\n"}},
        {"left": [Script(seconds=10)], "right": [Script(seconds=10)]},
    )
    try:
        assert names(run, tmp_path) == {
            "left": [("left.png", None), ("shared.csv", ["right"])],
            "right": [("right.csv", None), ("shared.csv", ["left"])],
        }
    finally:
        store.close()


def test_a_file_rewritten_by_a_retry_shows_once_as_the_last_attempt_left_it(
    tmp_path: Path,
) -> None:
    run, store = coordinated(
        tmp_path,
        "- {name: flaky, notebook: nb.ipynb, retries: 1, retry_delay: 1s}",
        {"flaky": {"out.csv": b"a\n1\n"}},
        {"flaky": [FAILS, Script()]},
    )
    try:
        step = run.steps[0]
        assert [len(a.artifacts) for a in step.attempts] == [1, 1]
        [shown] = step_artifacts(run, tmp_path)["flaky"]
        assert (shown["name"], shown["attempt"]) == ("out.csv", 2)
    finally:
        store.close()


# --- previews --------------------------------------------------------------------------------------


def preview_of(path: Path, rows: int = 20) -> dict[str, Any]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return table_preview(fd, path.name, path.name, rows).to_json()
    finally:
        os.close(fd)


def test_a_csv_preview_is_its_header_and_first_rows_cut_to_the_bounds(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(80))
    long_cell = "v" * 1000
    wide.write_text("\ufeff" + header + "\n" + f'"{long_cell}",2,3\n' * 60)
    shown = preview_of(wide, rows=5)
    assert shown["format"] == "csv" and shown["types"] is None and shown["total_rows"] is None
    assert len(shown["columns"]) == 50 and shown["columns"][0] == "c0"
    assert shown["hidden_columns"] == 30
    assert len(shown["rows"]) == 5 and shown["more_rows"]
    assert len(shown["rows"][0][0]) == 200 and shown["rows"][0][0].endswith("\u2026")
    semi = tmp_path / "semi.csv"
    semi.write_text("a;b\n1;2\n")
    shown = preview_of(semi)
    assert (shown["columns"], shown["rows"], shown["more_rows"]) == (
        ["a", "b"],
        [["1", "2"]],
        False,
    )
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a,b\tc\n1,2\t3\n")
    assert preview_of(tsv)["columns"] == ["a,b", "c"]


def test_a_huge_csv_answers_bounded_rows_quickly(tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    line = b"1,two,3.0,four\n"
    with huge.open("wb") as out:
        out.write(b"a,b,c,d\n")
        for _ in range(200):
            out.write(line * 20_000)  # 60 MB
    started = time.monotonic()
    shown = preview_of(huge, rows=50)
    assert time.monotonic() - started < 1.0
    assert len(shown["rows"]) == 50 and shown["more_rows"]
    one_line = tmp_path / "one_line.csv"
    one_line.write_bytes(b"x" * (2 * previews.CSV_BYTES))  # no newline in what is read
    shown = preview_of(one_line)
    assert shown["rows"] == [] and shown["columns"] == ["x" * 199 + "\u2026"]


def test_binary_or_garbled_csv_is_refused_naming_the_file(tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"a,b\n\x00\x01\x02\n")
    with pytest.raises(UnreadableFile, match=r"binary\.csv is not CSV text"):
        preview_of(binary)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    assert preview_of(latin)["rows"] == [["caf\ufffd"]]


def test_a_parquet_preview_has_types_and_the_total_row_count(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table({"n": list(range(500)), "s": ["x"] * 500, "f": [None, 1.5] * 250}),
        path,
        row_group_size=7,  # the first rows span row groups
    )
    shown = preview_of(path, rows=10)
    assert shown["columns"] == ["n", "s", "f"]
    assert shown["types"] == ["int64", "string", "double"]
    assert shown["rows"][:2] == [["0", "x", None], ["1", "x", "1.5"]] and len(shown["rows"]) == 10
    assert shown["total_rows"] == 500 and shown["more_rows"]


@pytest.mark.parametrize(
    "content",
    [b"PAR1" + bytes(range(256)) * 4 + b"PAR1", b"not parquet at all", b""],
    ids=["garbage-footer", "text", "empty"],
)
def test_a_corrupt_parquet_is_refused_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=r"^broken\.parquet is not a readable Parquet file"):
        preview_of(path)


@pytest.mark.slow
def test_a_parquet_needing_too_much_memory_or_time_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 100 MB cell that compresses to kilobytes: the reader is killed, the server lives."""
    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"s": ["a" * (100 * 2**20)]}), path, compression="zstd")
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(previews, "PARQUET_MEMORY_BYTES", 64 * 2**20)
    with pytest.raises(UnreadableFile, match=r"bomb\.parquet: reading .* needs more than 67 MB"):
        preview_of(path)
    monkeypatch.setattr(previews, "PARQUET_SECONDS", 0.01)
    with pytest.raises(UnreadableFile, match=r"bomb\.parquet: .*took longer than 0\.01 s"):
        preview_of(path)


def test_kinds_and_images(tmp_path: Path) -> None:
    assert [artifact_type(n) for n in ("a.PNG", "b.svg", "c.csv", "d.pq", "e.ipynb", "f.txt")] == [
        "image", "image", "table", "table", "notebook", "file",
    ]  # fmt: skip
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UnreadableFile, match=r"notes\.txt: only CSV and Parquet"):
        preview_of(tmp_path / "notes.txt")
    big = tmp_path / "big.png"
    with big.open("wb") as out:
        out.truncate(21 * 2**20)
    fd = os.open(big, os.O_RDONLY)
    try:
        with pytest.raises(UnreadableFile, match=r"big\.png is 22 MB, larger than the 21 MB"):
            read_image(fd, "big.png")
    finally:
        os.close(fd)


# --- the migration ---------------------------------------------------------------------------------


def test_the_0013_migration_adds_and_drops_the_column_in_place(store_url: str) -> None:
    """Down to 0012 and up again: the attempt stays, its artifacts read as none."""
    from alembic import command

    from .test_store import _migrations_on

    store = Store.open(store_url)
    try:
        store.register("p", "/a/p.yaml", "x", {})
        run = store.create_run(
            pipeline="p",
            version=1,
            trigger=Trigger.API,
            parameters={},
            steps=[("a", ())],
            runs_dir="/r",
        )
        written = [{"path": "/r/p/a.png", "name": "a.png", "size": 1, "modified_at": None}]
        done = AttemptRecord(1, AttemptStatus.SUCCEEDED, outputs={"n": 1}, artifacts=written)
        store.save_attempt(run.id, "a", done)
        assert store.get_run(run.id).steps[0].attempts[0].artifacts == written
        with store.engine.begin() as conn:
            command.downgrade(_migrations_on(conn), "0012")
            assert conn.execute(text("select count(*) from step_attempts")).scalar() == 1
            command.upgrade(_migrations_on(conn), "head")
        [attempt] = store.get_run(run.id).steps[0].attempts
        assert attempt.outputs == {"n": 1} and attempt.artifacts == []
    finally:
        store.close()


# --- a real run ------------------------------------------------------------------------------------

FUNCTIONS = """\
import os
from pathlib import Path


def chart():
    Path(os.environ["JUPYTER_ORCH_RUN_DIR"], "chart.png").write_bytes(b"\\x89PNG")


def table():
    Path(os.environ["JUPYTER_ORCH_RUN_DIR"], "table.csv").write_text("a\\n1\\n")
"""


@pytest.mark.slow
def test_a_real_run_records_what_each_kind_of_step_wrote(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """Two function steps at once (each file named for its step), a query's Parquet file and
    an export's CSV file outside the run's folder."""
    (tmp_path / "funcs.py").write_text(FUNCTIONS)
    path = write_steps(
        tmp_path,
        "kinds",
        f"""
        - {{name: chart, python: "funcs.py:chart"}}
        - {{name: table, python: "funcs.py:table"}}
        - name: rows
          needs: [chart, table]
          sql: SELECT 1 AS n
          connection: "sqlite:///{tmp_path / "db.sqlite"}"
        - name: publish
          needs: [rows]
          export: {{from: "{{{{ steps.rows.outputs.path }}}}", to: {{file: out/rows.csv}}}}
        """,
    )
    run = run_pipeline(orch, path)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert names(run, tmp_path) == {
        "chart": [("chart.png", None)],
        "table": [("table.csv", None)],
        "rows": [("rows.parquet", None)],
        "publish": [("rows.csv", None)],
    }
    shown = step_artifacts(run, tmp_path)["publish"][0]
    assert shown["path"] == "out/rows.csv" and shown["type"] == "table"
