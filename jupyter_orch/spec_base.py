"""What every model of the pipeline file contract shares (``spec``, ``spec_kinds``,
``spec_events``, ``spec_notify``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo

#: Validation context for definitions read back from the store (see ``spec.STORED``).
STORED = "stored"


def stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(STORED))


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_profiles(profiles: dict[str, Any], declared: dict[str, Any] | None) -> dict[str, Any]:
    """A pipeline's ``profiles:``: each an identifier setting declared parameters only."""
    for name, values in profiles.items():
        if not name.isidentifier():
            raise ValueError(f"profile name {name!r} is not an identifier")
        for key in values:
            if key not in (declared or {}):
                known = ", ".join(sorted(declared or {})) or "none"
                raise ValueError(
                    f"profile {name!r} sets {key!r}, which is not a parameter of the "
                    f"pipeline (declared: {known}); declare it under `parameters:`"
                )
    return profiles
