"""Passes repeated every few seconds until told to stop, in the calling thread or a daemon
thread: the webhook dispatcher (``publisher webhooks dispatch --watch``, ``publisher web
--webhooks``) and the receipt emails (``publisher web`` with ``receipts: email``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

Report = TypeVar("Report")


def repeat(
    run_pass: Callable[[threading.Event], Report],
    *,
    interval: float,
    stop: threading.Event,
    log: logging.Logger,
    what: str,
    on_pass: Callable[[Report], None] | None = None,
) -> None:
    """Call ``run_pass(stop)`` every ``interval`` seconds until ``stop`` is set. A pass that
    fails (the database or the mail server went away) is logged as "``what`` failed" and
    the next one tried: the loop never dies of it."""
    while not stop.is_set():
        try:
            report = run_pass(stop)
        except Exception as exc:
            log.warning("%s failed: %s", what, exc)
        else:
            if on_pass is not None:
                on_pass(report)
        stop.wait(interval)


class Background:
    """``loop(stop)`` in a daemon thread named ``name``: :meth:`start`, then :meth:`stop`
    sets the event and waits for the loop to return."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=loop, args=(self._stop,), name=name, daemon=True)

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
