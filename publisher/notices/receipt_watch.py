"""Receipt emails sent by the acceptance service itself (``publisher web`` with the setting
``receipts: email``): :func:`publisher.notices.runner.receipts` every few seconds in a daemon
thread, so a customer's receipt follows their acceptance without a timer running
``publisher notice receipts``. The outbox makes this safe beside such a timer and across
service processes: one sender at a time holds the receipts lock, and each receipt is queued
once and sent once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from publisher.background import Background, repeat
from publisher.config import Settings
from publisher.notices import runner
from publisher.notices.receipts import ReceiptReport
from publisher.store.db import Database

log = logging.getLogger("publisher.receipts")


def watch(
    database: Database,
    settings: Settings,
    *,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    on_pass: Callable[[ReceiptReport], None] | None = None,
) -> None:
    """Queue and send receipts every ``interval`` seconds until ``stop`` is set. A pass that
    fails (the mail server or the database went away) is logged and the next one tried: the
    loop never dies of it, and what it left queued goes out on a later pass."""
    repeat(
        lambda _stop: _receipts_pass(database, settings),
        interval=interval,
        stop=stop or threading.Event(),
        log=log,
        what="receipt pass",
        on_pass=on_pass,
    )


def _receipts_pass(database: Database, settings: Settings) -> ReceiptReport:
    report = runner.receipts(database, settings)
    if report.failed or report.unknown or report.aborted:
        log.warning(
            "receipts: %d failed, %d of unknown outcome%s",
            report.failed,
            report.unknown,
            f"; stopped: {report.aborted}" if report.aborted else "",
        )
    return report


def background_receipts(
    database: Database, settings: Settings, *, interval: float = 5.0
) -> Background:
    """:func:`watch` in a daemon thread (for ``publisher web``), not started."""
    return Background(
        "publisher-receipts",
        lambda stop: watch(database, settings, interval=interval, stop=stop),
    )
