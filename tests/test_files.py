"""Files a pipeline names stay inside the root; only regular files are read, never waited on
(RELIABILITY cases 20, 27 and 28, below the REST API: ``test_server.py`` covers them through it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import SpecError
from jupyter_orch.inputs.files import FileProblem, NamedPaths, PathError, read_text
from jupyter_orch.pipelines.loader import load_pipeline, load_pipeline_text

from .conftest import write_notebook

OUTSIDE = "is outside the server's root folder"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``root/project`` holds the pipeline; beside the root, an ``outside`` folder with a real
    notebook, and ``root-sibling`` whose name starts with the root's."""
    root = tmp_path / "root"
    write_notebook(root / "project" / "nb.ipynb", "x = 1", "print(x)")
    write_notebook(tmp_path / "outside" / "secret.ipynb", None, "open('ran', 'w')")
    (tmp_path / "outside" / "shadow.ipynb").write_text("not json at all")
    write_notebook(tmp_path / "root-sibling" / "x.ipynb", None, "x = 1")
    os.symlink(tmp_path / "outside", root / "project" / "link-out")
    return root


def pipeline(notebook: str) -> str:
    return f"name: p\nsteps:\n  - name: a\n    notebook: {json.dumps(notebook)}\n"


def notebook_problems(root: Path, notebook: str, *, confined: bool = True) -> list[str]:
    try:
        load_pipeline_text(
            pipeline(notebook),
            root / "project" / "pipeline.yaml",
            thorough=True,
            root=root if confined else None,
        )
    except SpecError as exc:
        return [f"{p.path}: {p.message}" for p in exc.problems]
    return []


def escapes(tmp_path: Path) -> list[str]:
    outside = tmp_path / "outside"
    return [
        "../../outside/secret.ipynb",
        "../../outside/shadow.ipynb",
        "../../outside/missing.ipynb",
        str(outside / "secret.ipynb"),
        str(outside / "missing.ipynb"),
        "/etc/passwd",
        "/root/.ssh/id_rsa",
        "../../root-sibling/x.ipynb",
        str(tmp_path / "root-sibling" / "x.ipynb"),
        "link-out/secret.ipynb",
        "link-out/missing.ipynb",
        "link-out/../../../outside/secret.ipynb",
        "../../outside/{x}.ipynb",
    ]


def test_notebooks_outside_the_root_are_refused_alike_whether_they_exist_or_not(
    layout: Path, tmp_path: Path
) -> None:
    answers = set()
    for named in escapes(tmp_path):
        problems = notebook_problems(layout, named)
        assert len(problems) == 1, (named, problems)
        assert OUTSIDE in problems[0], (named, problems)
        # The same words for a file that exists, one that does not, and one that is not JSON
        answers.add(problems[0].replace(repr(named), "<named>"))
    assert answers == {
        f"steps[0].notebook: notebook <named> {OUTSIDE}; "
        + ("keep the files a pipeline names under that folder")
    }
    assert not (layout / "project" / "ran").exists()


def test_without_a_root_the_cli_reads_its_users_files_anywhere(
    layout: Path, tmp_path: Path
) -> None:
    assert notebook_problems(layout, "../../outside/secret.ipynb", confined=False) == []
    [problem] = notebook_problems(layout, "../../outside/shadow.ipynb", confined=False)
    assert f"{tmp_path / 'outside' / 'shadow.ipynb'} is not valid JSON" in problem


def test_paths_inside_the_root_work_and_messages_name_them_relative_to_it(layout: Path) -> None:
    assert notebook_problems(layout, "nb.ipynb") == []
    assert notebook_problems(layout, str(layout / "project" / "nb.ipynb")) == []  # absolute
    assert notebook_problems(layout, "../project/nb.ipynb") == []  # up, but still inside
    write_notebook(layout / "project" / "{x}.ipynb", None, "x = 1")
    assert notebook_problems(layout, "{x}.ipynb") == []  # braces are plain characters
    # Percent signs too: `%2e%2e` is a folder name here, never `..`
    assert notebook_problems(layout, "%2e%2e/%2e%2e/outside/secret.ipynb") == [
        "steps[0].notebook: notebook not found: project/%2e%2e/%2e%2e/outside/secret.ipynb"
    ]
    (layout / "project" / "bad.ipynb").write_text("{")
    [problem] = notebook_problems(layout, "bad.ipynb")
    assert problem.startswith("steps[0].notebook: notebook project/bad.ipynb is not valid JSON")
    assert str(layout) not in problem  # never the server's own folders


def test_a_nul_in_a_notebook_path_is_refused(layout: Path) -> None:
    assert notebook_problems(layout, "nb\x00.ipynb") == [
        "steps[0].notebook: notebook 'nb\\x00.ipynb' contains a NUL character"
    ]


def test_resolving_a_path_outside_never_opens_it(
    tmp_path: Path, fifo: Callable[[Path], Path]
) -> None:
    """A FIFO outside the root would block whoever opened it: refused before any open."""
    fifo(tmp_path / "outside.ipynb")
    paths = NamedPaths(tmp_path / "root" / "project", tmp_path / "root")
    with pytest.raises(PathError, match=OUTSIDE):
        paths.resolve("../../outside.ipynb", "notebook")
    os.symlink("loop.ipynb", tmp_path / "loop.ipynb")  # a symlink loop, outside and inside
    with pytest.raises(PathError, match=OUTSIDE):
        paths.resolve("../../loop.ipynb", "notebook")
    (tmp_path / "root").mkdir()
    os.symlink("loop.ipynb", tmp_path / "root" / "loop.ipynb")
    with pytest.raises(FileProblem, match="cannot be read"):
        read_text(paths.resolve("../loop.ipynb"))
    assert paths.resolve("../x.ipynb") == (tmp_path / "root" / "x.ipynb").resolve()
    assert paths.shown(paths.resolve("../x.ipynb")) == "x.ipynb"


@pytest.mark.timeout(20)
def test_fifos_sockets_and_folders_are_refused_without_waiting(
    tmp_path: Path, fifo: Callable[[Path], Path]
) -> None:
    with pytest.raises(FileProblem, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_text(fifo(tmp_path / "pipe"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    with pytest.raises(FileProblem, match="is a socket, not a regular file"):
        read_text(tmp_path / "sock")
    server.close()
    with pytest.raises(FileProblem, match="is a folder, not a regular file"):
        read_text(tmp_path)
    with pytest.raises(FileProblem, match="is a device, not a regular file"):
        read_text(Path("/dev/zero"))
    with pytest.raises(FileProblem) as missing:
        read_text(tmp_path / "nope")
    assert missing.value.missing
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    with pytest.raises(FileProblem, match="is not UTF-8 text"):
        read_text(tmp_path / "latin1")
    (tmp_path / "crlf").write_bytes(b"a\r\nb")
    assert read_text(tmp_path / "crlf") == "a\nb"  # as Path.read_text reads it


@pytest.mark.timeout(20)
def test_a_fifo_as_pipeline_or_notebook_is_a_problem_not_a_hang(
    tmp_path: Path, fifo: Callable[[Path], Path]
) -> None:
    with pytest.raises(SpecError) as pipe:
        load_pipeline(fifo(tmp_path / "pipe.yaml"))
    assert [p.message for p in pipe.value.problems] == [
        "the pipeline file is a FIFO (named pipe), not a regular file"
    ]
    fifo(tmp_path / "pipe.ipynb")
    with pytest.raises(SpecError) as notebook:
        load_pipeline_text(pipeline("pipe.ipynb"), tmp_path / "p.yaml", root=tmp_path)
    assert [f"{p.path}: {p.message}" for p in notebook.value.problems] == [
        "steps[0].notebook: notebook pipe.ipynb is a FIFO (named pipe), not a regular file"
    ]


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_cli_validate_of_a_fifo_exits_2_at_once(
    tmp_path: Path, fifo: Callable[[Path], Path]
) -> None:
    fifo(tmp_path / "pipe.yaml")
    fifo(tmp_path / "pipe.ipynb")
    (tmp_path / "p.yaml").write_text(pipeline("pipe.ipynb"))
    for path, message in [
        ("pipe.yaml", "the pipeline file is a FIFO (named pipe), not a regular file"),
        ("p.yaml", "steps[0].notebook: notebook"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "jupyter_orch.cli", "validate", path],
            capture_output=True,
            text=True,
            timeout=40,
            cwd=tmp_path,
        )
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "is a FIFO" in result.stderr


def test_saving_over_a_pipeline_file_never_opens_what_it_names_outside(
    layout: Path, tmp_path: Path, orch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file being replaced is read for its name only through the root's rules (a spy on
    every read records the paths)."""
    from jupyter_orch.catalog import Catalog
    from jupyter_orch.inputs import files

    read: list[Path] = []
    real_read = files.read_bytes

    def spy(path: Path, max_bytes: int | None = None) -> bytes:
        read.append(Path(path).resolve())
        return real_read(path, max_bytes)

    monkeypatch.setattr(files, "read_bytes", spy)
    old = pipeline("../../outside/secret.ipynb").replace(
        "notebook:", "kernel: python3\n    notebook:"
    )
    (layout / "project" / "p.yaml").write_text(old)
    catalog = Catalog(orch, layout)
    detail = catalog.register({"yaml": pipeline("nb.ipynb"), "path": "project/p.yaml"})
    assert detail["name"] == "p"
    assert read and all(p.is_relative_to(layout.resolve()) for p in read), read


def test_a_pipeline_file_past_its_bound_is_refused_from_its_size_without_reading_it(
    tmp_path: Path,
) -> None:
    """A 1 GB (sparse) file as a pipeline or a parameters file: refused at once, naming it,
    never read into memory (the YAML bound alone would read it whole first)."""
    from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES

    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(2**30)
    with pytest.raises(FileProblem, match=r"is larger than 4 MiB"):
        read_text(huge, MAX_YAML_FILE_BYTES)
    with pytest.raises(SpecError) as caught:
        load_pipeline(huge)
    assert caught.value.problems[0].message == "the pipeline file is larger than 4 MiB"
    write_notebook(tmp_path / "a.ipynb", "x = 0", "x")
    (tmp_path / "p.yaml").write_text(
        "name: p\nparameters: {x: 0}\nsteps: [{name: a, notebook: a.ipynb}]\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_orch.cli", "run", "p.yaml", "-f", "huge.yaml",
         "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "-f huge.yaml: the parameters file is larger than 4 MiB" in result.stderr
