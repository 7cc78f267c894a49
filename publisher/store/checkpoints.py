"""Anchors of the ledger's head outside the database: a signed log in the policy repository.

An administrator of the database can edit a record and recompute every hash after it; the
chain then verifies. What they cannot change is a copy of an earlier head kept where they have
no hand: each anchor (seq, hash, time) is signed with the Ed25519 evidence key and appended to
``anchors.jsonl`` on the ref :data:`ANCHOR_REF` of the policy repository, one commit per
anchor written with ``git fast-import`` (objects and the ref only: the work tree, index and
branches are never touched). The ref is an ordinary one: ``git push origin
refs/publisher/anchors`` copies it to a remote. ``publisher audit verify --anchors`` checks the
chain against every anchor (:func:`publisher.store.audit.audit_ledger`).

Anchors are written by ``publisher audit anchor`` and, rate-limited by :class:`Checkpointer`,
after acceptances recorded by the acceptance service.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher.config import Settings
from publisher.errors import GitError, PublisherError
from publisher.gitio import Git
from publisher.store.db import Database
from publisher.store.ledger import GENESIS, chain_head, format_time
from publisher.store.models import utcnow
from publisher.store.signing import fingerprint, public_key_b64, sign, verify_signature

ANCHOR_REF = "refs/publisher/anchors"
LOG_FILE = "anchors.jsonl"
COMMITTER = "policy-publisher <publisher@localhost>"

_log = logging.getLogger(__name__)


class AnchorError(PublisherError):
    """The anchor log cannot be read or written."""


@dataclass(frozen=True)
class Anchor:
    """One signed checkpoint of the chain head."""

    seq: int
    hash: str
    at: str
    key: str
    """The signer's public key (base64)."""
    signature: str

    @staticmethod
    def payload(seq: int, digest: str, at: str) -> bytes:
        """The bytes signed: canonical JSON of seq, hash and time."""
        data = {"seq": seq, "hash": digest, "at": at}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @property
    def signed(self) -> bool:
        return verify_signature(
            self.key, self.signature, self.payload(self.seq, self.hash, self.at)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key": self.key,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Any, *, line: int) -> Anchor:
        try:
            return cls(
                int(data["seq"]),
                str(data["hash"]),
                str(data["at"]),
                str(data["key"]),
                str(data["signature"]),
            )
        except (TypeError, KeyError, ValueError) as exc:
            raise AnchorError(f"{ANCHOR_REF}:{LOG_FILE}:{line}: not an anchor ({exc})") from exc


def _log_bytes(git: Git) -> bytes | None:
    found = git.cat.get(f"{ANCHOR_REF}:{LOG_FILE}")
    return found.data if found is not None and found.type == "blob" else None


def read_anchors(root: Path) -> list[Anchor]:
    """Every anchor in the log of the repository at ``root`` (empty when there is none)."""
    with Git.open(root) as git:
        data = _log_bytes(git)
    anchors = []
    for number, line in enumerate((data or b"").decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnchorError(f"{ANCHOR_REF}:{LOG_FILE}:{number}: not JSON ({exc.msg})") from exc
        anchors.append(Anchor.from_dict(value, line=number))
    return anchors


def anchor_problems(anchors: list[Anchor], trusted_key: str | None) -> list[str]:
    """Anchors whose signature does not verify, or (given ``trusted_key``) that another key
    signed."""
    problems = []
    for anchor in anchors:
        if not anchor.signed:
            problems.append(
                f"anchor seq {anchor.seq} ({anchor.at}): the signature does not "
                "verify (the anchor log was edited)"
            )
        elif trusted_key is not None and anchor.key != trusted_key:
            problems.append(
                f"anchor seq {anchor.seq} ({anchor.at}) is signed by key "
                f"{fingerprint(anchor.key)}, not by the evidence key "
                f"{fingerprint(trusted_key)}"
            )
    return problems


def write_anchor(
    root: Path,
    database: Database,
    key: Ed25519PrivateKey,
    *,
    now: Callable[[], datetime] = utcnow,
) -> Anchor | None:
    """Append the ledger's current head to the anchor log; None when the log's last anchor
    already names that head (or the ledger is empty)."""
    seq, digest = chain_head(database)
    if seq == 0 or digest == GENESIS:
        return None
    at = format_time(now())
    anchor = Anchor(
        seq, digest, at, public_key_b64(key), sign(key, Anchor.payload(seq, digest, at))
    )
    line = json.dumps(anchor.to_dict(), sort_keys=True, separators=(",", ":")) + "\n"
    from publisher.publish import fast_import_stream

    try:
        with Git.open(root) as git:
            parent = git.rev_parse(ANCHOR_REF)
            old = _log_bytes(git) or b""
            last = old.decode("utf-8").splitlines()[-1:] if old else []
            if (
                last
                and json.loads(last[0]).get("seq") == seq
                and json.loads(last[0]).get("hash") == digest
            ):
                return None
            stream = fast_import_stream(
                ANCHOR_REF,
                {LOG_FILE: old + line.encode("utf-8")},
                message=f"Anchor the acceptance ledger at seq {seq}\n\n{digest}\n",
                committer=COMMITTER,
                when=now(),
                parent=parent,
            )
            git.fast_import(stream)
    except GitError as exc:
        raise AnchorError(
            f"cannot write the anchor: {exc.message}",
            hint="the policy repository must be writable by this process",
        ) from exc
    return anchor


class Checkpointer:
    """Anchors the head after acceptances, at most once per ``interval`` seconds per process,
    in a background thread (a request never waits for git). Failures are logged, never
    raised: anchoring is a safeguard, not part of recording."""

    def __init__(
        self,
        root: Path,
        key: Callable[[], Ed25519PrivateKey],
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.key = key
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Checkpointer:
        from publisher.store.signing import signing_key

        return cls(settings.root, lambda: signing_key(settings), float(settings.anchor_interval))

    def due(self) -> bool:
        """Whether an anchor is due now (and, if so, claim it)."""
        if self.interval <= 0:
            return False
        with self._lock:
            moment = self.clock()
            if self._last is not None and moment - self._last < self.interval:
                return False
            if self._thread is not None and self._thread.is_alive():
                return False
            self._last = moment
            return True

    def poke(self, database: Database) -> threading.Thread | None:
        """After a commit: start anchoring in the background when one is due."""
        if not self.due():
            return None
        thread = threading.Thread(
            target=self._run, args=(database,), name="ledger-anchor", daemon=True
        )
        self._thread = thread
        thread.start()
        return thread

    def _run(self, database: Database) -> None:
        try:
            write_anchor(self.root, database, self.key())
        except PublisherError as exc:
            _log.warning("ledger anchor not written: %s", exc.message)
        except Exception:  # a background safeguard must never take the service down
            _log.exception("ledger anchor not written")
