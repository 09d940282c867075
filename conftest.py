"""Test-run settings for the whole repository: the tests under tests/ and the example notebooks
nbval runs (their fixtures are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest


def xdist_group_of(nodeid: str) -> str:
    """What runs on one pytest-xdist worker, in order: a file's tests; a folder of example
    notebooks, which nbval runs in order (02 reads what 01 wrote); the browser tests, one
    JupyterLab and one Chromium at a time."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if parts[0] == "example_notebooks":
        return "/".join(parts[:2])
    if parts[:2] == ["tests", "ui"]:
        return "tests/ui"
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist (``-n auto`` in pyproject.toml) hands out whole groups (``xdist_group_of``).
    Its own ``--dist loadgroup`` marks do not survive pytest 9.2's node ids."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group_of(nodeid)

    return GroupScheduling(config, log)
