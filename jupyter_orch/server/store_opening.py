"""Opening the store for the server: in a thread, retried with backoff until it opens, and a
one-line reason, credentials masked, for the 503 answers meanwhile. A database that is down when
the server starts must not switch orchestration off until a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

from ..store.engine import failure_reason, is_permanent, masked_url
from ..store.repository import Store

__all__ = ["failure_reason", "is_permanent", "masked_url", "open_with_retries"]

FIRST_DELAY_S = 0.5
RETRYING = "; retrying"
GIVING_UP = "; fix c.OrchApp.db_url or JUPYTER_ORCH_DB_URL and restart the server"


def delays(max_delay: float) -> Iterator[float]:
    """Seconds to wait before each retry: doubling from half a second up to ``max_delay``."""
    delay = min(FIRST_DELAY_S, max_delay)
    while True:
        yield delay
        delay = min(delay * 2, max_delay)


async def open_in_thread(url: str) -> Store:
    """``Store.open(url)`` (SQL, migrations) off the event loop, in a daemon thread: a connection
    attempt can hang for minutes, and the process must still exit at once when told to. A store
    opened after the caller gave up waiting is closed."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Store] = loop.create_future()

    def deliver(store: Store | None, error: BaseException | None) -> None:
        if future.done():  # cancelled: the server is stopping
            if store is not None:
                store.close()
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(store)  # type: ignore[arg-type]

    def work() -> None:
        store: Store | None = None
        error: BaseException | None = None
        try:
            store = Store.open(url)
        except Exception as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is exiting
            loop.call_soon_threadsafe(deliver, store, error)

    threading.Thread(target=work, name="jupyter-orch-open-store", daemon=True).start()
    try:
        return await future
    except asyncio.CancelledError:
        if future.done() and not future.cancelled() and future.exception() is None:
            future.result().close()  # opened just as we were cancelled
        raise


async def open_with_retries(
    url: str,
    *,
    max_delay: float,
    on_failure: Callable[[str], None],
    log: logging.Logger,
) -> Store | None:
    """The opened store, after as many attempts as it takes; None if the URL itself is wrong.
    ``on_failure`` gets the message for the 503 answers after each failed attempt."""
    waits = delays(max_delay)
    said = ""
    while True:
        try:
            return await open_in_thread(url)
        except Exception as exc:
            reason = failure_reason(exc, url)
            permanent = is_permanent(exc)
            message = "the orchestration store is unavailable: " + reason
            on_failure(message + (GIVING_UP if permanent else RETRYING))
            if permanent:
                log.error("jupyter-orch: %s%s", message, GIVING_UP)
                return None
            if reason != said:  # once per distinct reason, not at every attempt
                log.warning("jupyter-orch: %s%s", message, RETRYING)
                said = reason
        await asyncio.sleep(next(waits))
