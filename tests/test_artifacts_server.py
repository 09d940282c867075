"""A run's artifacts through the REST API of a real server: each step's files in the run
detail, a table's first rows and an image, with Jupyter's auth; and every path that leaves the
run (traversal, symlinks, another file of the root), every FIFO, every corrupt or huge file
answered with a 4xx naming it, never a 500 and never a wait.

The run is recorded here as its coordinator would record it (the ledger lists what its steps
wrote), with the scheduler off: nothing executes, so these tests take milliseconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jupyter_orch.artifacts.ledger import ArtifactLedger
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunStatus, StepStatus
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook
from .orch_server import call

PIPELINE = """\
name: files
steps:
  - {name: draw, notebook: nb.ipynb}
  - {name: tabulate, notebook: nb.ipynb, needs: [draw]}
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def scheduler_enabled() -> bool:
    return False  # the run is recorded by the test, never executed


class Recorded:
    """The recorded run: its id, its artifacts folder, and the root."""

    def __init__(self, run_id: str, folder: Path, root: Path) -> None:
        self.run_id, self.folder, self.root = run_id, folder, root

    def relative(self, name: str) -> str:
        return (self.folder / name).relative_to(self.root).as_posix()


@pytest.fixture
def recorded(jp_serverapp: Any, jp_root_dir: Path, started: Any) -> Recorded:
    """A succeeded run of ``files``: draw wrote chart.png and chart.svg; tabulate wrote
    table.csv, typed.parquet, broken.parquet and (an export's file, outside the run's folder)
    reports/out.csv."""
    catalog = jp_serverapp.web_app.settings["jupyter_orch.availability"].catalog()
    write_notebook(jp_root_dir / "nb.ipynb", "n = 0", "print(n)")
    (jp_root_dir / "files.yaml").write_text(PIPELINE)
    loaded = load_pipeline(jp_root_dir / "files.yaml", root=jp_root_dir)
    run = catalog.orch.create_run(loaded, catalog.orch.register(loaded).version)
    folder = Path(run.run_dir) / "artifacts"
    folder.mkdir(parents=True)
    ledger = ArtifactLedger(folder, ["draw", "tabulate"])
    export = jp_root_dir / "reports" / "out.csv"

    def draw() -> None:
        (folder / "chart.png").write_bytes(PNG)
        (folder / "chart.svg").write_bytes(SVG)

    def tabulate() -> None:
        (folder / "table.csv").write_text("city,sales\nBerlin,10\nParis,12\n")
        pq.write_table(pa.table({"n": [1, 2], "s": ["a", None]}), folder / "typed.parquet")
        (folder / "broken.parquet").write_bytes(b"PAR1 not really PAR1")
        export.parent.mkdir()
        export.write_text("a\n1\n")

    async def attempts() -> None:
        for number, (step, write) in enumerate((("draw", draw), ("tabulate", tabulate))):
            await ledger.begin(step, 1)
            write()
            written = await ledger.end(step, 1, {"path": str(export)} if number else {})
            now = utcnow()
            done = AttemptRecord(1, AttemptStatus.SUCCEEDED, now, now, artifacts=written)
            catalog.store.save_attempt(run.id, step, done, step_status=StepStatus.SUCCEEDED)

    asyncio.run(attempts())
    catalog.store.update_run(run.id, status=RunStatus.SUCCEEDED, started_at=utcnow())
    return Recorded(run.id, folder, jp_root_dir)


async def preview(jp_fetch: Any, run_id: str, path: str, **kw: Any) -> tuple[int, Any]:
    params = {"path": path, **{k: str(v) for k, v in kw.pop("params", {}).items()}}
    code, answer = await call(
        jp_fetch, "GET", "runs", run_id, "artifacts", "preview", params=params, **kw
    )
    return code, answer


async def image(jp_fetch: Any, run_id: str, path: str) -> Any:
    return await jp_fetch(
        "orch", "runs", run_id, "artifacts", "image", params={"path": path}, raise_error=False
    )


async def test_the_run_detail_lists_each_steps_files(jp_fetch: Any, recorded: Recorded) -> None:
    code, run = await call(jp_fetch, "GET", "runs", recorded.run_id)
    assert code == 200
    files = {s["name"]: [(a["name"], a["type"]) for a in s["artifacts"]] for s in run["steps"]}
    assert files == {
        "draw": [("chart.png", "image"), ("chart.svg", "image")],
        "tabulate": [
            ("broken.parquet", "table"),
            ("out.csv", "table"),
            ("table.csv", "table"),
            ("typed.parquet", "table"),
        ],
    }
    chart = run["steps"][0]["artifacts"][0]
    assert chart["path"] == recorded.relative("chart.png")
    assert (chart["size"], chart["attempt"]) == (len(PNG), 1) and chart["modified_at"]
    assert run["steps"][1]["artifacts"][1]["path"] == "reports/out.csv"
    code, page = await call(jp_fetch, "GET", "runs", params={"pipeline": "files"})
    assert code == 200 and "artifacts" not in page["runs"][0]["steps"][0]  # the detail only


async def test_a_tables_first_rows(jp_fetch: Any, recorded: Recorded) -> None:
    code, shown = await preview(jp_fetch, recorded.run_id, recorded.relative("table.csv"))
    assert code == 200, shown
    assert shown["path"] == recorded.relative("table.csv") and shown["format"] == "csv"
    assert shown["columns"] == ["city", "sales"]
    assert shown["rows"] == [["Berlin", "10"], ["Paris", "12"]] and not shown["more_rows"]
    code, shown = await preview(
        jp_fetch, recorded.run_id, recorded.relative("typed.parquet"), params={"rows": 1}
    )
    assert code == 200, shown
    assert (shown["types"], shown["rows"], shown["total_rows"]) == (
        ["int64", "string"],
        [["1", "a"]],
        2,
    )
    code, shown = await preview(jp_fetch, recorded.run_id, "reports/out.csv")
    assert code == 200 and shown["rows"] == [["1"]]  # an export's file, recorded by its step


@pytest.mark.parametrize("rows", ["0", "51", "x", "-1"])
async def test_rows_out_of_bounds_are_400_naming_rows(
    jp_fetch: Any, recorded: Recorded, rows: str
) -> None:
    code, answer = await preview(
        jp_fetch, recorded.run_id, recorded.relative("table.csv"), params={"rows": rows}
    )
    assert code == 400 and answer["error"].startswith("rows:")


async def test_a_corrupt_parquet_or_a_non_table_is_422_naming_the_file(
    jp_fetch: Any, recorded: Recorded
) -> None:
    broken = recorded.relative("broken.parquet")
    code, answer = await preview(jp_fetch, recorded.run_id, broken)
    assert code == 422 and answer["error"].startswith(f"{broken} is not a readable Parquet file")
    code, answer = await preview(jp_fetch, recorded.run_id, recorded.relative("chart.png"))
    assert code == 422 and "only CSV and Parquet files have a preview" in answer["error"]
    response = await image(jp_fetch, recorded.run_id, recorded.relative("table.csv"))
    assert response.code == 422 and b"is not an image" in response.body


async def test_images_are_served_with_their_type_never_sniffed(
    jp_fetch: Any, recorded: Recorded
) -> None:
    response = await image(jp_fetch, recorded.run_id, recorded.relative("chart.png"))
    assert response.code == 200 and response.body == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'inline; filename="chart.png"'
    response = await image(jp_fetch, recorded.run_id, recorded.relative("chart.svg"))
    assert response.code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]


async def test_no_token_is_403_and_an_unknown_run_is_404(jp_fetch: Any, recorded: Recorded) -> None:
    path = recorded.relative("table.csv")
    for route in ("preview", "image"):
        code, answer = await call(
            jp_fetch,
            "GET",
            "runs",
            recorded.run_id,
            "artifacts",
            route,
            params={"path": path},
            headers={"Authorization": ""},
        )
        assert code == 403 and set(answer) == {"error", "details"}, route
    code, answer = await preview(jp_fetch, "01NOSUCHRUN", path)
    assert code == 404 and "01NOSUCHRUN" in answer["error"]


async def test_paths_leaving_the_run_are_refused(
    jp_fetch: Any, recorded: Recorded, jp_root_dir: Path
) -> None:
    folder, run_id = recorded.folder, recorded.run_id
    (folder / "out_of_root.csv").symlink_to("/etc/passwd")
    (folder / "to_root.csv").symlink_to(jp_root_dir / "reports" / "out.csv")
    (jp_root_dir / "other.csv").write_text("a\n1\n")
    (folder / "to_other.csv").symlink_to(jp_root_dir / "other.csv")
    refused = {
        "": "give a path relative",
        "../other.csv": "goes up with '..'",
        "%2e%2e/other.csv": "goes up with '..'",
        "/etc/passwd": "is absolute",
        "other.csv": "is not a file of run",
        "nb.ipynb": "is not a file of run",
        recorded.relative("out_of_root.csv"): "is outside the server's root folder",
        recorded.relative("to_other.csv"): "is not a file of run",
    }
    for path, reason in refused.items():
        code, answer = await preview(jp_fetch, run_id, path)
        assert code == 400 and reason in answer["error"], (path, code, answer)
        response = await image(jp_fetch, run_id, path)
        assert response.code == 400, path
    # a link inside the run to a file the run recorded is that file
    code, _ = await preview(jp_fetch, run_id, recorded.relative("to_root.csv"))
    assert code == 200
    (folder / "table.csv").unlink()
    code, answer = await preview(jp_fetch, run_id, recorded.relative("table.csv"))
    assert code == 404 and "table.csv does not exist" in answer["error"]


async def test_a_fifo_is_refused_at_once(
    jp_fetch: Any, recorded: Recorded, fifo: Callable[[Path], Path]
) -> None:
    fifo(recorded.folder / "pipe.csv")
    fifo(recorded.folder / "pipe.png")
    started = time.monotonic()
    code, answer = await preview(jp_fetch, recorded.run_id, recorded.relative("pipe.csv"))
    assert code == 400 and "pipe.csv is a FIFO (named pipe)" in answer["error"]
    response = await image(jp_fetch, recorded.run_id, recorded.relative("pipe.png"))
    assert response.code == 400 and b"FIFO" in response.body
    assert time.monotonic() - started < 5


async def test_a_huge_csv_answers_its_first_rows_quickly(jp_fetch: Any, recorded: Recorded) -> None:
    with (recorded.folder / "huge.csv").open("wb") as out:
        out.write(b"a,b,c\n")
        for _ in range(100):
            out.write(b"1,2,3\n" * 100_000)  # 60 MB
    started = time.monotonic()
    code, shown = await preview(
        jp_fetch, recorded.run_id, recorded.relative("huge.csv"), params={"rows": 50}
    )
    assert code == 200 and len(shown["rows"]) == 50 and shown["more_rows"]
    assert time.monotonic() - started < 2
