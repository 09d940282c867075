from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.loader import load_pipeline
from jupyter_orch.records import RunRecord
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store


def write_notebook(
    path: Path,
    parameters: str | None = None,
    *cells: str,
    kernel: str | None = "python3",
) -> Path:
    """A notebook with an optional cell tagged ``parameters`` followed by code cells."""
    nb = nbformat.v4.new_notebook()
    if kernel:
        nb.metadata.kernelspec = {"name": kernel, "display_name": kernel, "language": "python"}
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(textwrap.dedent(parameters))
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.extend(nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'orch.sqlite'}")
    yield store
    store.close()


@pytest.fixture
def orch(tmp_path: Path, store: Store) -> Orchestrator:
    return Orchestrator(store, tmp_path / "runs")


def write_pipeline(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def execute(orch: Orchestrator, loaded: Any, run: RunRecord, workers: int = 2) -> RunRecord:
    async def go() -> RunRecord:
        executor = LocalExecutor(max_workers=workers)
        try:
            return await orch.execute(loaded, run, executor)
        finally:
            await executor.close()

    return asyncio.run(go())


def run_pipeline(
    orch: Orchestrator, path: Path, parameters: dict[str, Any] | None = None, workers: int = 2
) -> RunRecord:
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = orch.create_run(loaded, version.version, parameters=parameters)
    return execute(orch, loaded, run, workers)
