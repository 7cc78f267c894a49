"""Verifying the ledger: every record's hash and link re-computed, the first bad one named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import select

from publisher.counting import counted
from publisher.store.db import Database
from publisher.store.record import (
    ACCEPTANCES as _ACCEPTANCES,
)
from publisher.store.record import (
    GENESIS,
    AcceptanceRecord,
    read_records,
)
from publisher.store.record import (
    HEAD_MISSING as _HEAD_MISSING,
)
from publisher.store.record import (
    HEAD_QUERY as _HEAD_QUERY,
)

ProblemKind = Literal["edited", "reordered", "missing", "broken", "head"]


@dataclass(frozen=True)
class ChainProblem:
    """One defect of the chain, at the record it was found on (None: the chain head)."""

    kind: ProblemKind
    seq: int | None
    id: int | None
    message: str


@dataclass(frozen=True)
class ChainVerification:
    """The result of :func:`verify_chain`."""

    records: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> ChainProblem | None:
        """The first bad record (in chain order), or None when the chain is intact."""
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "problems": [
                {"kind": p.kind, "seq": p.seq, "id": p.id, "message": p.message}
                for p in self.problems
            ],
        }


def _chain_positions(rows: list[AcceptanceRecord]) -> dict[int, int]:
    """Record id → its position in the chain as linked by the hashes (from the genesis)."""
    following = {row.prev_hash: row for row in rows}
    positions: dict[int, int] = {}
    current, position = GENESIS, 0
    while current in following and len(positions) < len(rows):
        row = following.pop(current)
        position += 1
        positions[row.id] = position
        current = row.hash
    return positions


def _describe(row: AcceptanceRecord) -> str:
    return f"record seq {row.seq} (id {row.id}; {row.customer_id} {row.policy} {row.version})"


def check_records(
    rows: Iterable[AcceptanceRecord], *, head_seq: int, head_hash: str
) -> ChainVerification:
    """Verify records given in stored order (by ``seq``) against each other and the head.

    Pure: the database is read by :func:`verify_chain`.
    """
    ordered = list(rows)
    hashes = {row.hash for row in ordered}
    positions = _chain_positions(ordered)
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS, 1
    for row in ordered:
        where = _describe(row)
        reported = False
        if row.computed_hash() != row.hash:
            true_seq = positions.get(row.id)
            if (
                true_seq is not None
                and true_seq != row.seq
                and (row.computed_hash(seq=true_seq) == row.hash)
            ):
                problems.append(
                    ChainProblem(
                        "reordered",
                        row.seq,
                        row.id,
                        f"{where} was reordered: it was recorded as seq {true_seq}",
                    )
                )
            else:
                problems.append(
                    ChainProblem(
                        "edited",
                        row.seq,
                        row.id,
                        f"{where} was edited: its fields no longer match its hash",
                    )
                )
            reported = True
        opening = None if reported else row.opening_problem()
        if opening is not None:
            problems.append(
                ChainProblem("edited", row.seq, row.id, f"{where} was edited: {opening}")
            )
            reported = True
        if not reported and row.seq > expected_seq and row.prev_hash not in hashes:
            gap = (
                f"seq {expected_seq}"
                if row.seq == expected_seq + 1
                else f"seq {expected_seq}–{row.seq - 1}"
            )
            problems.append(
                ChainProblem(
                    "missing",
                    row.seq,
                    row.id,
                    f"record {gap} is missing (deleted): {where} follows a record "
                    "that is not in the ledger",
                )
            )
            reported = True
        if not reported and row.prev_hash != expected_prev:
            kind: ProblemKind = "reordered" if row.prev_hash in hashes else "broken"
            problems.append(
                ChainProblem(
                    kind,
                    row.seq,
                    row.id,
                    f"{where} does not follow the record stored before it "
                    + (
                        "(records were reordered)"
                        if kind == "reordered"
                        else "(a record was inserted, deleted or rewritten)"
                    ),
                )
            )
        elif not reported and row.seq != expected_seq:
            problems.append(
                ChainProblem(
                    "edited",
                    row.seq,
                    row.id,
                    f"{where} has seq {row.seq} where {expected_seq} was expected",
                )
            )
        expected_prev, expected_seq = row.hash, row.seq + 1
    last_seq = ordered[-1].seq if ordered else 0
    last_hash = ordered[-1].hash if ordered else GENESIS
    if head_seq > last_seq:
        problems.append(
            ChainProblem(
                "missing",
                None,
                None,
                f"the ledger ends at seq {last_seq} but the chain head says {head_seq}: "
                f"the last {counted(head_seq - last_seq, 'record')} missing (deleted)",
            )
        )
    elif head_seq != last_seq or head_hash != last_hash:
        problems.append(
            ChainProblem(
                "head",
                None,
                None,
                f"the chain head (seq {head_seq}) does not match the last record (seq {last_seq})",
            )
        )
    return ChainVerification(len(ordered), head_seq, head_hash, tuple(problems))


def verify_chain(database: Database, *, anchor: tuple[int, str] | None = None) -> ChainVerification:
    """Re-compute every record's hash and link; name the first bad record.

    ``anchor`` is a (seq, hash) pair kept outside the database (``publisher audit head``):
    the record at that seq must still carry that hash, which also catches a rewrite of the
    whole chain or deleting its tail.
    """
    with database.read() as connection:
        head = connection.execute(_HEAD_QUERY).one_or_none()
        rows = read_records(
            connection,
            select(_ACCEPTANCES).order_by(_ACCEPTANCES.c.seq, _ACCEPTANCES.c.id),
            every=True,
        )
    if head is None:
        result = check_records(
            rows, head_seq=rows[-1].seq if rows else 0, head_hash=rows[-1].hash if rows else GENESIS
        )
        missing = ChainProblem("head", None, None, _HEAD_MISSING)
        result = replace(result, problems=(missing, *result.problems))
    else:
        result = check_records(rows, head_seq=head.seq, head_hash=head.hash)
    if anchor is None:
        return result
    seq, digest = anchor
    at = next((row for row in rows if row.seq == seq), None)
    if at is None or at.hash != digest:
        found = "is missing" if at is None else f"has hash {at.hash[:12]}…"
        problem = ChainProblem(
            "missing" if at is None else "edited",
            seq,
            at.id if at else None,
            f"anchor seq {seq} {digest[:12]}…: that record {found}",
        )
        return ChainVerification(
            result.records, result.head_seq, result.head_hash, (*result.problems, problem)
        )
    return result
