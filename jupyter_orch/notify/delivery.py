"""Delivering the outbox: any scheduler, server or ``jupyter orch run`` process does it.

A process claims one notification at a time (the claim counts as a try and holds for
``lease`` seconds), sends it, and records the outcome; a failed try is retried with backoff up
to ``max_attempts``, then the notification is ``failed`` with the last error. A process killed
while it sends leaves the claim to run out, and the next process sends again with the same
delivery id: delivery is at least once, and receivers can drop a resend by that id.

All of it is blocking I/O (SQL, SMTP, HTTP): callers run it off the event loop (``serve``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..channels import Channels, UndefinedChannel, kind_of
from ..errors import NotFoundError
from ..masking import ValuesMaskingFilter, mask_text, masked_logger
from ..records import RunRecord, describe_exception
from ..run_folders import RemoteFolder, local_folder
from ..store.base import Outbox
from ..store.types import Notification, utcnow
from . import messages
from .senders import SendError, Target, send

if TYPE_CHECKING:  # asyncio where a loop runs: `jupyter orch validate` reads these settings
    import asyncio

log = masked_logger("jupyter_orch.notify")
#: Libraries a delivery goes through, whose log lines may quote a channel's URL.
LIBRARY_LOGGERS = ("urllib3.connectionpool", "apprise")


#: The channels of every notifier of this process (the newest few): whose secrets to mask.
_GUARDED: list[Channels] = []


def _guarded_values() -> list[str]:
    return [value for channels in list(_GUARDED) for value in channels.masked()]


def guard_library_logs(channels: Channels) -> None:
    """Mask the channels' secrets in the libraries' log lines."""
    if not any(known is channels for known in _GUARDED):
        _GUARDED.append(channels)
        del _GUARDED[:-20]
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ValuesMaskingFilter) for f in logger.filters):
            logger.addFilter(ValuesMaskingFilter(_guarded_values))


#: Events that close an incident (PagerDuty ``resolve``) rather than open one.
RESOLVING = ("success", "recovery")


def _in_daemon_thread(
    work: Callable[[], None], done: asyncio.Future[None] | None = None
) -> threading.Thread:
    """``work`` in a daemon thread; ``done`` (a future of the calling loop) resolved after it."""
    import asyncio

    loop = asyncio.get_running_loop() if done is not None else None

    def resolve() -> None:
        if done is not None and not done.done():
            done.set_result(None)

    def run() -> None:
        try:
            work()
        finally:
            if loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(resolve)

    thread = threading.Thread(target=run, daemon=True, name="orch-notify")
    thread.start()
    return thread


class NotifyStore(Outbox, Protocol):
    def get_run(self, run_id: str) -> RunRecord: ...


@dataclass(frozen=True)
class DeliverySettings:
    """``c.OrchApp.notify_*``: tries per notification, the first retry's delay (doubling up
    to an hour), each try's timeout, and how long a claim holds."""

    max_attempts: int = 5
    retry_delay: float = 30.0
    timeout: float = 10.0
    #: Past the timeout of each connection a try makes (SMTP sends one per recipient).
    lease: float = 35.0

    def retry_after(self, attempts: int) -> float:
        return float(min(self.retry_delay * 2 ** max(attempts - 1, 0), 3600.0))


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:notify"


class Notifier:
    """Sends due notifications from one store through the configured channels."""

    def __init__(
        self,
        store: NotifyStore,
        channels: Channels,
        runs_dir: Path | str,
        *,
        instance_id: str | None = None,
        public_url: str | None = None,
        settings: DeliverySettings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.channels = channels
        self.runs_dir = str(runs_dir)  # a folder, or a URL (``run_folders``)
        self.instance_id = instance_id or instance_name()
        self.public_url = public_url or None
        self.settings = settings or DeliverySettings()
        self.clock = clock
        #: Set by ``stop``: no new try starts.
        self.stopping = threading.Event()
        guard_library_logs(channels)

    # --- one notification ----------------------------------------------------------------------

    def deliver(self, notification_id: str) -> bool:
        """Claim and send one; False when another process holds it or it is not due."""
        claimed = self.store.claim_notification(
            notification_id, self.instance_id, self.clock(), self.settings.lease
        )
        if claimed is None:
            return False
        masked = self.channels.masked()
        try:
            target, message, run = self._prepare(claimed, masked)
            response = send(target, message)
            remote = RemoteFolder.of(self.outbox_home(claimed, run))
            if remote is not None and kind_of(target.url) == "outbox":
                remote.push()  # the message goes where the run's files are kept
        except Exception as exc:  # the channel's fault or ours: the run is not affected
            self._failed(claimed, exc, masked)
            return True
        self.store.settle_notification(
            claimed.id,
            self.instance_id,
            self.clock(),
            sent=True,
            response=mask_text(response, masked),
        )
        return True

    def _prepare(
        self, notification: Notification, masked: Sequence[str]
    ) -> tuple[Target, messages.Message, RunRecord | None]:
        run = None
        if notification.run_id is not None:
            try:
                run = self.store.get_run(notification.run_id)
            except NotFoundError:
                run = None
        message = messages.build(
            notification, run, public_url=self.public_url, masked=masked, now=self.clock()
        )
        return self.target(notification, run), message, run

    def target(self, notification: Notification, run: RunRecord | None) -> Target:
        """Where ``notification`` goes; ``ValueError`` when its channel is not defined here."""
        url = self.channels.url(notification.channel)
        outbox = local_folder(self.outbox_home(notification, run))
        dedup = "jupyter-orch/" + notification.pipeline
        if notification.step:
            dedup += "/" + notification.step
        return Target(
            channel=notification.channel,
            url=url,
            delivery_id=notification.id,
            to=tuple(notification.detail.get("to") or ()),
            secret=self.channels.secret(notification.channel),
            pagerduty_url=self.channels.pagerduty_url,
            dedup_key=dedup,
            action="resolve" if notification.event in RESOLVING else "trigger",
            outbox_dir=outbox,
            timeout=self.settings.timeout,
        )

    def outbox_home(self, notification: Notification, run: RunRecord | None) -> str:
        """Where the outbox channel keeps ``notification``: in its run's folder, else (a missed
        slot) under ``<runs_dir>/_outbox/<pipeline>/``, not under ``<runs_dir>/<pipeline>/``,
        where only run folders live (retention). A URL when ``runs_dir`` is one."""
        if run is not None:
            return f"{run.run_dir.rstrip('/')}/outbox"
        return f"{self.runs_dir.rstrip('/')}/_outbox/{notification.pipeline}"

    def _failed(self, notification: Notification, exc: Exception, masked: Sequence[str]) -> None:
        undefined = isinstance(exc, UndefinedChannel)
        reason = str(exc) if isinstance(exc, (SendError, ValueError)) else describe_exception(exc)
        reason = mask_text(reason, masked)
        last = undefined or notification.attempts >= self.settings.max_attempts
        retry_at = None
        if not last:
            delay = self.settings.retry_after(notification.attempts)
            retry_at = self.clock() + timedelta(seconds=delay)
        log.warning(
            "notification %s (%s %s to %s), try %d: %s%s",
            notification.id,
            notification.pipeline,
            notification.event,
            notification.channel,
            notification.attempts,
            reason,
            "" if retry_at is None else f"; retrying at {retry_at.isoformat()}",
        )
        self.store.settle_notification(
            notification.id,
            self.instance_id,
            self.clock(),
            sent=False,
            error=reason,
            retry_at=retry_at,
        )

    # --- many ----------------------------------------------------------------------------------

    def deliver_due(
        self, run_ids: Sequence[str] | None = None, *, until: float | None = None
    ) -> int:
        """Send every notification due now (of ``run_ids`` only, if given), starting none after
        ``until`` (``time.monotonic()``) or once ``stop()`` is called; how many were tried."""
        tried = 0
        while not self.stopping.is_set() and (until is None or time.monotonic() < until):
            due = self.store.due_notifications(self.clock(), run_ids=run_ids)
            sent = []
            for nid in due:
                if self.stopping.is_set() or (until is not None and time.monotonic() >= until):
                    break
                if self.deliver(nid):
                    sent.append(nid)
            tried += len(sent)
            if not sent:
                break
        return tried

    def left(self, run_ids: Sequence[str]) -> list[Notification]:
        """The notifications of ``run_ids`` not sent or failed yet."""
        found = self.store.notifications(run_ids=run_ids)
        return [n for n in found if n.status == "pending"]

    def drain(self, run_ids: Sequence[str], timeout: float) -> list[Notification]:
        """Deliver the notifications of ``run_ids`` for at most ``timeout`` seconds, retries
        included; those left unsent. A try still running then goes on in a daemon thread: the
        process may exit under it, and its claim runs out for the next process to resend."""
        until = time.monotonic() + timeout

        def work() -> None:
            while time.monotonic() < until:
                self.deliver_due(run_ids, until=until)
                left = self.left(run_ids)
                if not left:
                    return
                waits = [
                    (n.next_attempt_at - self.clock()).total_seconds()
                    for n in left
                    if n.next_attempt_at is not None and n.claimed_until is None
                ]
                remaining = until - time.monotonic()
                time.sleep(max(0.05, min([remaining, 0.5, *[w for w in waits if w > 0]])))

        _in_daemon_thread(work).join(timeout)
        return self.left(run_ids)

    def stop(self) -> None:
        """Start no new try (one under way ends with its timeout, in its daemon thread)."""
        self.stopping.set()

    async def serve(self, interval: float = 1.0) -> None:
        """Deliver what is due every ``interval`` seconds until cancelled, each round in a daemon
        thread: the event loop never waits on a channel, and a stopping process never waits for
        a try to time out."""
        import asyncio

        try:
            while True:
                done = asyncio.get_running_loop().create_future()
                _in_daemon_thread(self._round, done).join(0)
                await done
                await asyncio.sleep(interval)
        finally:
            self.stop()

    def _round(self) -> None:
        try:
            self.deliver_due()
        except Exception as exc:  # the store is down: the rows wait for the next round
            log.warning("delivering notifications failed: %s", describe_exception(exc))


def send_test_message(
    channels: Channels, channel: str, outbox_dir: Path, settings: DeliverySettings | None = None
) -> str:
    """Send a test message through ``channel`` now; what it answered (``SendError``, or
    ``ValueError`` when the channel is not defined)."""
    url = channels.url(channel)
    guard_library_logs(channels)
    body = (
        f"A test message from jupyter-orch on {socket.gethostname()} through the channel "
        f"{channel!r} ({kind_of(url)}). If you read this, the channel works."
    )
    message = messages.custom(
        f"[jupyter-orch] test message to {channel}",
        body,
        data={"event": "test", "channel": channel},
        masked=channels.masked(),
    )
    target = Target(
        channel=channel,
        url=url,
        delivery_id="test-" + os.urandom(8).hex(),
        secret=channels.secret(channel),
        pagerduty_url=channels.pagerduty_url,
        dedup_key="jupyter-orch/test",
        outbox_dir=outbox_dir,
        timeout=(settings or DeliverySettings()).timeout,
    )
    try:
        return mask_text(send(target, message), channels.masked())
    except SendError as exc:
        raise SendError(mask_text(str(exc), channels.masked())) from None
