"""Acceptances made before this tool (``publisher acceptance import FILE.csv``).

A file of ``customer,policy,version,accepted_at[,source,acting_user]`` rows is checked whole first —
:func:`parse_history` (pure: the CSV's shape, times, duplicate rows) and :func:`check_rows`
(against the store: unknown customers, policies and versions) — and nothing is written while
any row is bad. Each row then becomes a ledger record of method ``import``: ``accepted_at``
is the import's own time (the chain's times never go back), ``claimed_at`` the time the row
claims, ``source`` where it came from, and for an organisation ``acting_user`` the member
who accepted on its behalf. Rows whose (customer, policy, version) is already in
the ledger are skipped and counted, so re-running an import, or finishing one that was
interrupted, records nothing twice. Reports, the status API and the re-acceptance rule
treat an imported record as an acceptance of its version at its claimed time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.counting import counted
from publisher.errors import NotFoundError, PublisherError
from publisher.store.customers import RowProblem, csv_rows
from publisher.store.db import Database, StoreError
from publisher.store.ledger import AcceptanceRequest, record_acceptances
from publisher.store.models import utcnow
from publisher.store.tables import ACCEPTANCES, CUSTOMERS, VERSIONS
from publisher.textsafety import text_problem

COLUMNS = ("customer", "policy", "version", "accepted_at")
OPTIONAL = ("source", "acting_user")
LIMITS = {"customer": 200, "policy": 200, "version": 100, "source": 200, "acting_user": 200}
_EXPECTED = f"expected {','.join(COLUMNS)}[,{','.join(OPTIONAL)}]"
BATCH = 500
"""Records per ledger transaction (and per step of the progress bar)."""


class HistoryFileError(PublisherError):
    """The file has bad rows; nothing was imported. ``problems`` lists them."""

    def __init__(self, message: str, *, problems: Sequence[RowProblem] = (), **kwargs: Any):
        super().__init__(message, **kwargs)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class HistoryRow:
    """One acceptance the file claims, and the line it is on."""

    line: int
    customer: str
    policy: str
    version: str
    claimed_at: datetime
    source: str
    acting_user: str | None = None
    """For an organisation: the member who accepted on its behalf."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.customer, self.policy, self.version)


@dataclass(frozen=True)
class ParsedHistory:
    rows: tuple[HistoryRow, ...]
    problems: tuple[RowProblem, ...]


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    rows: int
    imported: int
    skipped: int
    """Rows already in the ledger (imported before, or accepted here since)."""
    dry_run: bool
    records: tuple[int, ...] = field(default=(), repr=False)
    """seq of every record created."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "first_record": min(self.records) if self.records else None,
            "last_record": max(self.records) if self.records else None,
        }


def parse_time(value: str, now: datetime) -> datetime | str:
    """An ISO 8601 time with a UTC offset, not in the future; else why not."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return f"accepted_at {value!r} is not an ISO 8601 time (e.g. 2023-05-01T09:30:00Z)"
    if moment.tzinfo is None:
        return f"accepted_at {value!r} has no UTC offset (add Z or +02:00)"
    if moment > now:
        return f"accepted_at {value!r} is in the future"
    return moment.astimezone(UTC)


def _header_problems(header: list[str]) -> list[str]:
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    repeated = sorted({c for c in header if header.count(c) > 1})
    expected = _EXPECTED
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing) + f" ({expected})")
    if unknown:
        problems.append("unknown column(s) " + ", ".join(map(repr, unknown)) + f" ({expected})")
    if repeated:
        problems.append("repeated column(s) " + ", ".join(repeated))
    return problems


def _row_problems(values: dict[str, str], default_source: str | None) -> list[str]:
    problems = []
    for name in ("customer", "policy", "version"):
        problem = text_problem(values[name], limit=LIMITS[name])
        if problem is not None:
            problems.append("missing " + name if problem == "is empty" else f"{name} {problem}")
    source = values.get("source") or default_source or ""
    if not source:
        problems.append("missing source (where the acceptance was given; or pass --source)")
    elif (problem := text_problem(source, limit=LIMITS["source"])) is not None:
        problems.append(f"source {problem}")
    acting = values.get("acting_user") or ""
    if acting and (problem := text_problem(acting, limit=LIMITS["acting_user"])) is not None:
        problems.append(f"acting_user {problem}")
    return problems


def parse_history(
    text: str, *, default_source: str | None = None, now: datetime | None = None
) -> ParsedHistory:
    """Every row of a history CSV given as text, and every problem with its line (the header
    is line 1). Pure: nothing about the store is checked here."""
    moment = now or utcnow()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_row = next(reader, None)
    except csv.Error as exc:
        return ParsedHistory((), (RowProblem(1, f"not valid CSV: {exc}"),))
    if header_row is None or not any(cell.strip() for cell in header_row):
        return ParsedHistory((), (RowProblem(1, f"empty file: {_EXPECTED} as the header"),))
    header = [cell.strip().lower() for cell in header_row]
    header_problems = _header_problems(header)
    if header_problems:
        return ParsedHistory((), tuple(RowProblem(1, p) for p in header_problems))
    rows: list[HistoryRow] = []
    problems: list[RowProblem] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    for numbered in csv_rows(reader):
        if isinstance(numbered, RowProblem):
            problems.append(numbered)
            continue
        line, cells = numbered
        if len(cells) != len(header):
            problems.append(
                RowProblem(
                    line, f"expected {len(header)} fields ({','.join(header)}), found {len(cells)}"
                )
            )
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        found = _row_problems(values, default_source)
        claimed = parse_time(values["accepted_at"], moment) if values["accepted_at"] else None
        if claimed is None:
            found.append("missing accepted_at")
        elif isinstance(claimed, str):
            found.append(claimed)
        key = (values["customer"], values["policy"], values["version"])
        if all(key) and key in first_seen:
            found.append(f"duplicate of line {first_seen[key]} ({' '.join(key)})")
        elif all(key):
            first_seen[key] = line
        if found or not isinstance(claimed, datetime):
            problems.append(RowProblem(line, "; ".join(found)))
            continue
        source = values.get("source") or default_source or ""
        acting = values.get("acting_user") or None
        rows.append(HistoryRow(line, *key, claimed_at=claimed, source=source, acting_user=acting))
    return ParsedHistory(tuple(rows), tuple(problems))


def read_history(
    path: Path, *, default_source: str | None = None, now: datetime | None = None
) -> ParsedHistory:
    """Read and parse a history file (UTF-8, with or without BOM)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except OSError as exc:
        raise HistoryFileError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HistoryFileError("not UTF-8 text", path=path, line=line) from exc
    return parse_history(text, default_source=default_source, now=now)


def count_rows(path: Path) -> int:
    """About how many rows ``path`` has (its lines less the header), for a progress bar."""
    try:
        with path.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return 0


@dataclass(frozen=True)
class StoreFacts:
    """What the store holds of a file's references."""

    customers: set[str]
    versions: set[tuple[str, str]]
    policies: set[str]
    recorded: set[tuple[str, str, str]]
    """(customer, policy, version) already in the ledger."""
    organisations: set[str] = field(default_factory=set)
    """The rows' customers that are organisations."""
    member_of: dict[str, str | None] = field(default_factory=dict)
    """The rows' acting users that are stored customers → their organisation."""


def check_rows(rows: Sequence[HistoryRow], facts: StoreFacts) -> list[RowProblem]:
    """Rows naming a customer, policy or version the store does not have (pure)."""
    problems = []
    for row in rows:
        if row.customer not in facts.customers:
            problems.append(RowProblem(row.line, f"unknown customer {row.customer!r}"))
        elif row.acting_user is not None and row.customer not in facts.organisations:
            problems.append(
                RowProblem(
                    row.line,
                    f"acting_user given but {row.customer!r} is not an organisation",
                )
            )
        elif row.acting_user is not None and row.acting_user not in facts.member_of:
            problems.append(RowProblem(row.line, f"unknown acting_user {row.acting_user!r}"))
        elif row.acting_user is not None and facts.member_of[row.acting_user] != row.customer:
            problems.append(
                RowProblem(
                    row.line,
                    f"acting_user {row.acting_user!r} is not a member of {row.customer!r}",
                )
            )
        elif row.policy not in facts.policies:
            problems.append(RowProblem(row.line, f"unknown policy {row.policy!r}"))
        elif (row.policy, row.version) not in facts.versions:
            problems.append(
                RowProblem(row.line, f"unknown version {row.version!r} of {row.policy}")
            )
    return problems


def store_facts(database: Database, rows: Sequence[HistoryRow]) -> StoreFacts:
    """The customers, versions and ledger keys of ``rows`` that the store has."""
    customers: set[str] = set()
    organisations: set[str] = set()
    member_of: dict[str, str | None] = {}
    recorded: set[tuple[str, str, str]] = set()
    wanted = {row.key for row in rows}
    ids = sorted({row.customer for row in rows})
    acting = sorted({row.acting_user for row in rows if row.acting_user is not None})
    with database.read() as connection:
        for start in range(0, len(acting), BATCH):
            query = select(CUSTOMERS.c.id, CUSTOMERS.c.organisation_id).where(
                CUSTOMERS.c.id.in_(acting[start : start + BATCH])
            )
            member_of.update({row.id: row.organisation_id for row in connection.execute(query)})
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            for found in connection.execute(
                select(CUSTOMERS.c.id, CUSTOMERS.c.kind).where(CUSTOMERS.c.id.in_(chunk))
            ):
                customers.add(found.id)
                if found.kind == "organisation":
                    organisations.add(found.id)
            keys = connection.execute(
                select(
                    ACCEPTANCES.c.customer_id, ACCEPTANCES.c.slug, ACCEPTANCES.c.version_label
                ).where(ACCEPTANCES.c.customer_id.in_(chunk))
            )
            recorded.update(key for key in map(tuple, keys) if key in wanted)
        versions = {
            (slug, label)
            for slug, label in connection.execute(select(VERSIONS.c.slug, VERSIONS.c.label))
        }
    policies = {slug for slug, _ in versions}
    return StoreFacts(customers, versions, policies, recorded, organisations, member_of)


def problems_error(path: Path | str, problems: Sequence[RowProblem]) -> HistoryFileError:
    listed = "\n".join(f"  {path}:{p.line}: {p.message}" for p in problems)
    return HistoryFileError(
        f"{path}: {counted(len(problems), 'bad row')}; nothing was imported:\n{listed}",
        problems=problems,
        hint="fix these rows (import customers with `publisher customers import`, copy "
        "versions with `publisher db sync`) and run the import again",
    )


def import_history(
    database: Database,
    path: Path,
    *,
    default_source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    now: Callable[[], datetime] = utcnow,
    parsed: ParsedHistory | None = None,
) -> ImportSummary:
    """Check every row of ``path``, then record the new ones (unless ``dry_run``), ``BATCH``
    per transaction, calling ``progress`` with the number of rows done after each batch.
    HistoryFileError (nothing written) when any row is bad. ``parsed``: the file as
    :func:`read_history` read it already (see :func:`import_file`)."""
    if parsed is None:
        parsed = read_history(path, default_source=default_source, now=now())
    facts = store_facts(database, parsed.rows)
    problems = sorted([*parsed.problems, *check_rows(parsed.rows, facts)], key=lambda p: p.line)
    if problems:
        raise problems_error(path, problems)
    new = [row for row in parsed.rows if row.key not in facts.recorded]
    skipped = len(parsed.rows) - len(new)
    if dry_run:
        return ImportSummary(str(path), len(parsed.rows), len(new), skipped, dry_run=True)
    created: list[int] = []
    if progress is not None and skipped:
        progress(skipped)
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        outcomes = record_acceptances(
            database,
            [
                AcceptanceRequest(
                    row.customer,
                    row.policy,
                    row.version,
                    "import",
                    claimed_at=row.claimed_at,
                    source=row.source,
                    acting_user=row.acting_user,
                )
                for row in batch
            ],
            now=now,
        )
        for row, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, PublisherError):
                raise PublisherError(
                    f"{path}:{row.line}: {outcome.message}",
                    hint=f"{counted(len(created), 'row')} before it recorded; fix the row and run "
                    "the import again (recorded rows are skipped)",
                )
            if outcome.created:
                created.append(outcome.record.seq)
            else:
                skipped += 1
        if progress is not None:
            progress(len(batch))
    return ImportSummary(
        str(path), len(parsed.rows), len(created), skipped, dry_run=False, records=tuple(created)
    )


def import_file(
    open_store: Callable[[], Database],
    path: Path,
    *,
    default_source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ImportSummary:
    """:func:`import_history` of ``path`` into the store ``open_store`` opens (and this
    closes), reading the file first: when the store cannot be opened (there is none yet:
    ``open_store`` must never create one, since its customers must be in it), the file's own
    problems are the error, so a bad file never leaves a new database behind."""
    parsed = read_history(path, default_source=default_source, now=now())
    try:
        database = open_store()
    except StoreError:
        if parsed.problems:
            raise problems_error(path, parsed.problems) from None
        raise
    with database:
        return import_history(
            database,
            path,
            default_source=default_source,
            dry_run=dry_run,
            progress=progress,
            now=now,
            parsed=parsed,
        )
