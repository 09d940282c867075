"""Whether the routes can answer: the catalog once the store is open, and until then why not
(every route but the OpenAPI document then answers 503 with that reason)."""

from __future__ import annotations

from ..catalog import Catalog
from ..errors import UnavailableError

OPENING = "the orchestration store is unavailable: still opening; retrying"


class Availability:
    """The catalog, or the reason there is none yet; shared by the app and its handlers."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._reason = OPENING

    @property
    def current(self) -> Catalog | None:
        return self._catalog

    @property
    def reason(self) -> str:
        return self._reason

    def catalog(self) -> Catalog:
        if self._catalog is None:
            raise UnavailableError(self._reason)
        return self._catalog

    def ready(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def unavailable(self, reason: str) -> None:
        self._catalog = None
        self._reason = reason
