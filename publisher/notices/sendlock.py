"""The send lock of a notice: one ``notice send`` process at a time.

The lock is the notice's ``sender`` column (``host:pid:token``) with a heartbeat
(``sender_heartbeat``). :func:`send_lock` takes it for a block; a lock whose process is gone
(same host, pid dead) or silent for longer than the lease is taken over. :func:`heartbeat`
renews it inside a write transaction and raises :class:`LockLost` when another process took
it over meanwhile.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, select, update

from publisher.notices.campaign import NoticeError
from publisher.store.db import Database
from publisher.store.models import utcnow
from publisher.store.tables import NOTICES


class SendLocked(NoticeError):
    """Another live process is sending this notice."""


class LockLost(NoticeError):
    """Another process took over the send lock (this one was silent longer than the lease)."""


def this_host() -> str:
    return socket.gethostname()[:100]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_gone(sender: str, heartbeat: datetime | None, *, now: datetime, lease: float) -> bool:
    """True when the process named by the lock ``host:pid:token`` cannot be sending: it ran
    on this host and is dead, or it has not given a heartbeat for ``lease`` seconds."""
    parts = sender.split(":")
    if (
        len(parts) >= 3
        and parts[-3] == this_host()
        and parts[-2].isdigit()
        and not _pid_alive(int(parts[-2]))
    ):
        return True
    return heartbeat is None or (now - heartbeat).total_seconds() > lease


def describe_holder(sender: str, heartbeat: datetime | None, now: datetime) -> str:
    parts = sender.split(":")
    who = f"pid {parts[-2]} on {parts[-3]}" if len(parts) >= 3 else sender
    if heartbeat is None:
        return who
    return f"{who}, last seen {max(0, int((now - heartbeat).total_seconds()))} s ago"


@contextmanager
def send_lock(
    database: Database, notice_id: int, *, lease: float, now: Callable[[], datetime] = utcnow
) -> Iterator[str]:
    """Hold the notice's send lock for the block; yields the lock token."""
    token = f"{this_host()}:{os.getpid()}:{secrets.token_hex(6)}"
    with database.write() as connection:
        row = connection.execute(
            select(NOTICES.c.sender, NOTICES.c.sender_heartbeat)
            .where(NOTICES.c.id == notice_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NoticeError(f"no notice {notice_id}")
        moment = now()
        if row.sender and not holder_gone(
            row.sender, row.sender_heartbeat, now=moment, lease=lease
        ):
            raise SendLocked(
                f"notice {notice_id} is being sent by another process "
                f"({describe_holder(row.sender, row.sender_heartbeat, moment)})",
                hint=f"wait for it to finish; if that process is gone, the lock expires "
                f"{int(lease)} s after its last heartbeat",
            )
        connection.execute(
            update(NOTICES)
            .where(NOTICES.c.id == notice_id)
            .values(sender=token, sender_heartbeat=moment)
        )
    try:
        yield token
    finally:
        with database.write() as connection:
            connection.execute(
                update(NOTICES)
                .where(NOTICES.c.id == notice_id, NOTICES.c.sender == token)
                .values(sender=None, sender_heartbeat=None)
            )


def heartbeat(connection: Connection, notice_id: int, token: str, moment: datetime) -> None:
    result = connection.execute(
        update(NOTICES)
        .where(NOTICES.c.id == notice_id, NOTICES.c.sender == token)
        .values(sender_heartbeat=moment)
    )
    if result.rowcount != 1:
        raise LockLost(
            f"another process took over sending notice {notice_id}",
            hint="this run stopped; `publisher notice status` shows where things stand",
        )
