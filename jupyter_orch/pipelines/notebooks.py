"""Checks on notebook files, shared by validation and by the runner at run time."""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jupyter_orch.inputs.files import FileProblem, NamedPaths, read_text


@lru_cache(maxsize=1)
def installed_kernels() -> frozenset[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    # find_kernel_specs lowers the names, as the lookup of a spec does
    return frozenset(name.lower() for name in KernelSpecManager().find_kernel_specs())


def _check_structure(data: dict[str, Any], name: str) -> None:
    """What execution relies on, without jsonschema (whose import alone costs ~0.3 s)."""
    problem = None
    if not isinstance(data.get("cells"), list):
        problem = "'cells' must be a list"
    elif not isinstance(data.get("metadata"), dict):
        problem = "'metadata' must be an object"
    else:
        for index, cell in enumerate(data["cells"]):
            if not isinstance(cell, dict) or cell.get("cell_type") not in (
                "code",
                "markdown",
                "raw",
            ):
                problem = f"cell {index} has no valid 'cell_type'"
            elif not isinstance(cell.get("source"), (str, list)):
                problem = f"cell {index} has no valid 'source'"
            if problem:
                break
    if problem:
        raise ValueError(f"notebook {name} is not a valid nbformat 4 notebook: {problem}")


def read_notebook_json(
    path: Path, *, thorough: bool = False, shown: str | None = None
) -> dict[str, Any]:
    """The notebook's JSON; raises ``ValueError`` saying what is wrong with the file.

    ``thorough`` also validates against the full nbformat schema (``jupyter orch validate``);
    ``shown`` is the name messages give the file (default: its path).
    """
    name = shown or str(path)
    try:
        text = read_text(path)
    except FileProblem as exc:
        if exc.missing:
            raise ValueError(f"notebook not found: {name}") from None
        raise ValueError(f"notebook {name} {exc.reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"notebook {name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"notebook {name} is not a notebook (its JSON is not an object)")
    major = data.get("nbformat")
    if major != 4:
        raise ValueError(
            f"notebook {name} is nbformat {major!r}; jupyter-orch runs nbformat 4 notebooks "
            "(open and save it in JupyterLab to convert it)"
        )
    _check_structure(data, name)
    if thorough:
        import nbformat

        try:
            nbformat.validate(data, version=4)
        except nbformat.ValidationError as exc:
            raise ValueError(
                f"notebook {name} is not a valid nbformat 4 notebook: {exc.message}"
            ) from None
    return data


def kernel_name_of(data: dict[str, Any]) -> str | None:
    spec = data.get("metadata", {}).get("kernelspec") or {}
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else None


def check_notebook(
    path: Path,
    kernel_override: str | None = None,
    *,
    thorough: bool = False,
    shown: str | None = None,
) -> str:
    """Validate a notebook step's file and kernel; return the kernel name to run it with.

    Raises ``ValueError`` with a message naming the file (as ``shown``) and what to fix.
    """
    name = shown or str(path)
    data = read_notebook_json(path, thorough=thorough, shown=name)
    kernel = kernel_override or kernel_name_of(data)
    if not kernel:
        raise ValueError(
            f"notebook {name} has no kernelspec in its metadata; set `kernel:` on the step "
            "(or in defaults), or open the notebook in JupyterLab and pick a kernel"
        )
    resolved = resolve_kernel(kernel)
    if resolved is None:
        raise ValueError(
            f"kernel {kernel!r} for notebook {name} is not installed "
            f"(installed: {', '.join(sorted(installed_kernels())) or 'none'})"
        )
    return resolved


def resolve_kernel(name: str) -> str | None:
    """The kernel jupyter_client starts for ``name`` (as papermill runs it), or None.

    As ``KernelManager`` and ``KernelSpecManager`` resolve it: ``python`` means the native
    Python kernel (``python3``), spec names match whatever their case, and the native kernel is
    ipykernel's own even where no spec is installed for it.
    """
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

    wanted = (NATIVE_KERNEL_NAME if name == "python" else name).lower()
    if wanted in installed_kernels():
        return wanted
    if wanted == NATIVE_KERNEL_NAME and importlib.util.find_spec("ipykernel") is not None:
        return wanted
    return None


def check_named_notebook(
    paths: NamedPaths, named: str, kernel_override: str | None = None, *, thorough: bool = False
) -> tuple[Path, str]:
    """The notebook a step names, resolved where the pipeline's paths may go, and its kernel.

    The one check registration, validation and each step's start share; raises ``ValueError``
    (``PathError`` outside the root, before anything there is opened).
    """
    path = paths.resolve(named, "notebook")
    return path, check_notebook(path, kernel_override, thorough=thorough, shown=paths.shown(path))
