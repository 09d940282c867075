"""What every model of the pipeline file contract shares (``spec``, ``spec_kinds``,
``spec_events``, ``spec_notify``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo

#: Validation context for definitions read back from the store (see ``spec.STORED``).
STORED = "stored"


def stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(STORED))


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
