"""The folder mailer: every notice becomes an ``.eml`` file (the default; dry runs and demos).

Files are ``<outbox_dir>/notice-<id>/<delivery id>-<customer id>.eml``, written to a temporary
name and renamed, so a file is either complete or absent. Because the name is fixed by the
outbox row, this mailer can tell after a crash which messages were written
(:meth:`FolderMailer.probe`), and a message is never written twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import SMTP
from pathlib import Path

from publisher.notices.mailers.base import Batch, BatchResult, Mailer, Recipient, RecipientResult
from publisher.notices.mailers.message import build_message, message_id
from publisher.workdir import write_file_atomically


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80] or "_"


class FolderMailer(Mailer):
    """Writes each message as an .eml file under ``folder``."""

    name = "folder"
    max_batch = 200

    def __init__(
        self, folder: Path, *, now: Callable[[], datetime], prefix: str = "notice"
    ) -> None:
        self.folder = Path(folder)
        self._now = now
        self.prefix = prefix
        """The name of each notice's folder before its id (``receipt`` for receipts, whose
        "notice" is the ledger record's seq)."""

    def path_for(self, notice_id: int, recipient: Recipient) -> Path:
        """Where the message for ``recipient`` is (or will be) written."""
        return (
            self.folder
            / f"{self.prefix}-{notice_id}"
            / f"{recipient.delivery_id:08d}-{_safe(recipient.customer_id)}.eml"
        )

    def send(self, batch: Batch) -> BatchResult:
        results: dict[int, RecipientResult] = {}
        for recipient in batch.recipients:
            path = self.path_for(batch.notice_id, recipient)
            existing = _message_id_of(path)
            if existing is not None:  # written by a run that died before recording it
                results[recipient.delivery_id] = RecipientResult("sent", existing)
                continue
            msg_id = message_id(batch, recipient)
            try:
                data = build_message(batch, recipient, date=self._now(), msg_id=msg_id).as_bytes()
            except (ValueError, IndexError) as exc:
                results[recipient.delivery_id] = RecipientResult(
                    "failed", error=f"cannot build the message: {exc}"
                )
                continue
            try:
                write_file_atomically(path, data)  # .publisher/ gets its .gitignore
            except OSError as exc:
                return BatchResult(results, abort=f"cannot write {path}: {exc.strerror}")
            results[recipient.delivery_id] = RecipientResult("sent", msg_id)
        return BatchResult(results)

    def probe(self, notice_id: int, recipients: Sequence[Recipient]) -> dict[int, bool]:
        return {r.delivery_id: self.path_for(notice_id, r).exists() for r in recipients}


def _message_id_of(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=SMTP).parse(handle)
    except FileNotFoundError:
        return None
    value = headers.get("Message-ID")
    return str(value) if value else ""
