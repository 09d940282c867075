"""Routes of the REST API: filled in by the openapi work."""

from __future__ import annotations

from .handlers import OrchHandler

ROUTES: list[tuple[str, type[OrchHandler]]] = []
