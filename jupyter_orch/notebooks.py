"""Checks on notebook files, shared by validation and by the runner at run time."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def installed_kernels() -> frozenset[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    return frozenset(KernelSpecManager().find_kernel_specs())


def read_notebook_json(path: Path) -> dict[str, Any]:
    """The notebook's JSON; raises ``ValueError`` saying what is wrong with the file."""
    if not path.exists():
        raise ValueError(f"notebook not found: {path}")
    if not path.is_file():
        raise ValueError(f"notebook path is not a file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"notebook {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"notebook {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"notebook {path} is not a notebook (its JSON is not an object)")
    major = data.get("nbformat")
    if major != 4:
        raise ValueError(
            f"notebook {path} is nbformat {major!r}; jupyter-orch runs nbformat 4 notebooks "
            "(open and save it in JupyterLab to convert it)"
        )
    import nbformat

    try:
        nbformat.validate(data, version=4)
    except nbformat.ValidationError as exc:
        raise ValueError(
            f"notebook {path} is not a valid nbformat 4 notebook: {exc.message}"
        ) from None
    return data


def kernel_name_of(data: dict[str, Any]) -> str | None:
    spec = data.get("metadata", {}).get("kernelspec") or {}
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else None


def check_notebook(path: Path, kernel_override: str | None = None) -> str:
    """Validate a notebook step's file and kernel; return the kernel name to run it with.

    Raises ``ValueError`` with a message naming the file and what to fix.
    """
    data = read_notebook_json(path)
    kernel = kernel_override or kernel_name_of(data)
    if not kernel:
        raise ValueError(
            f"notebook {path} has no kernelspec in its metadata; set `kernel:` on the step "
            "(or in defaults), or open the notebook in JupyterLab and pick a kernel"
        )
    kernels = installed_kernels()
    if kernel not in kernels:
        raise ValueError(
            f"kernel {kernel!r} for notebook {path} is not installed "
            f"(installed: {', '.join(sorted(kernels)) or 'none'})"
        )
    return kernel
