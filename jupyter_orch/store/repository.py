"""The SQLAlchemy store: the only place with queries of our own, one part per concern
(runs.py, instances.py, schedule_state.py, requests.py, catalog.py). Returns records, never
rows. Its interface, as those who use it see it, is ``store/base.py``."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from .activity import ActivityMixin
from .backfills import BackfillsMixin
from .base import StoreProtocol
from .catalog import CatalogMixin
from .engine import READ_ONLY, make_engine, migrate
from .instances import InstancesMixin
from .outbox import OutboxMixin
from .requests import RequestsMixin
from .retention import RetentionMixin
from .runs import RunsMixin
from .schedule_state import ScheduleStateMixin
from .version_files import BlobsMixin
from .wakes import WakesMixin


class Store(
    ActivityMixin,
    InstancesMixin,
    ScheduleStateMixin,
    RequestsMixin,
    BackfillsMixin,
    CatalogMixin,
    RunsMixin,
    OutboxMixin,
    RetentionMixin,
    WakesMixin,
    BlobsMixin,
):
    """Pipelines, versions, runs, attempts and logs in one SQLAlchemy database."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: Sessions that only read: on SQLite they begin deferred, so the panel's polls never
        #: queue for the write lock behind the scheduler and the runs it records.
        self._reads = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str) -> Store:
        store = cls(url)
        migrate(store.engine)
        return store

    def close(self) -> None:
        self.engine.dispose()


def _conforms(store: Store) -> StoreProtocol:
    """Where mypy checks that ``Store`` satisfies every protocol of ``store/base.py``."""
    return store
