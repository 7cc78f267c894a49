"""Customers from a CSV file (``id,email,name,company[,locale,kind,organisation]``) into the
store.

:func:`parse_customers` is pure: it validates every row and collects every problem with its
line number. :func:`import_customers` writes valid rows in one transaction (insert new ids,
update changed ones), so a failed import leaves the store as it was. Ids, names and companies
with bidirectional controls or zero-width characters (which make a name read as another) are
refused, not silently cleaned: see :func:`publisher.textsafety.invisible_problem`.

A customer is a ``person`` (the default) or an ``organisation``; a person may name the
organisation they belong to (``organisation``), which must be a customer of kind
``organisation`` in the file or the store (see :mod:`publisher.store.organisations`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from publisher.counting import counted
from publisher.errors import NotFoundError, PublisherError
from publisher.store.db import Database
from publisher.store.models import Customer, utcnow
from publisher.store.tables import CUSTOMERS
from publisher.textsafety import invisible_problem

REQUIRED_COLUMNS = ("id", "email", "name", "company")
OPTIONAL_COLUMNS = ("locale", "kind", "organisation")
KINDS = ("person", "organisation")
_NOT_EMPTY = ("id", "email", "name")

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LIMITS = {
    "id": 200,
    "email": 320,
    "name": 300,
    "company": 300,
    "locale": 35,
    "kind": 20,
    "organisation": 200,
}
_BATCH = 1000


class CustomerFileError(PublisherError):
    """The customers CSV has invalid rows; nothing was imported. ``problems`` lists them."""

    def __init__(self, message: str, *, problems: Sequence[RowProblem] = (), **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.problems = tuple(problems)


@dataclass(frozen=True)
class CustomerRow:
    """A valid customer row and the line it starts on."""

    line: int
    id: str
    email: str
    name: str
    company: str
    locale: str | None = None
    kind: str = "person"
    organisation: str | None = None
    """The id of the organisation this person belongs to (None: none)."""


@dataclass(frozen=True)
class RowProblem:
    """Why one row (by line number) cannot be imported."""

    line: int
    message: str


def csv_rows(reader: Any) -> Iterator[tuple[int, list[str]] | RowProblem]:
    """The rows after the header of a ``csv.reader`` with the line each starts on (quoted
    newlines make lines and rows differ); blank rows are skipped, a row that is not valid CSV
    is a :class:`RowProblem` and reading goes on."""
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowProblem(line, f"not valid CSV: {exc}")
            next_line = reader.line_num + 1
            continue
        next_line = reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


@dataclass(frozen=True)
class ParsedCustomers:
    """Every valid row and every problem of a customers file."""

    rows: tuple[CustomerRow, ...]
    problems: tuple[RowProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CustomerInfo:
    """A stored customer."""

    id: str
    email: str
    name: str
    company: str
    locale: str | None
    kind: str = "person"
    organisation: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "company": self.company,
            "locale": self.locale,
            "kind": self.kind,
            "organisation": self.organisation,
        }


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_customers` did."""

    created: int
    updated: int
    unchanged: int
    skipped: tuple[RowProblem, ...] = ()


def valid_email(address: str) -> bool:
    """A pragmatic syntax check: one @, a dotted domain, no spaces, sane lengths."""
    if len(address) > 320 or ".." in address:
        return False
    local, _, _domain = address.partition("@")
    return bool(_EMAIL.match(address)) and 0 < len(local) <= 64 and not local.startswith(".")


def _check_header(header: list[str]) -> list[str]:
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"{counted(len(missing), 'missing column')}: " + ", ".join(missing))
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [c for c in header if c not in known]
    if unknown:
        problems.append(
            f"{counted(len(unknown), 'unknown column')}: "
            + ", ".join(repr(c) for c in unknown)
            + f" (expected {','.join(REQUIRED_COLUMNS)}[,{','.join(OPTIONAL_COLUMNS)}])"
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(f"{counted(len(duplicated), 'repeated column')}: " + ", ".join(duplicated))
    return problems


def _check_row(values: dict[str, str]) -> list[str]:
    problems = [f"missing {name}" for name in _NOT_EMPTY if not values.get(name)]
    email = values.get("email", "")
    if email and not valid_email(email):
        problems.append(f"invalid email {email!r}")
    locale = values.get("locale") or ""
    if locale and not _LOCALE.match(locale):
        problems.append(f"invalid locale {locale!r} (use a language tag such as en or pt-BR)")
    kind = values.get("kind") or "person"
    if kind not in KINDS:
        problems.append(f"invalid kind {kind!r} (use person or organisation)")
    organisation = values.get("organisation") or ""
    if organisation and kind == "organisation":
        problems.append("an organisation cannot belong to another organisation")
    if organisation and organisation == values.get("id"):
        problems.append("a customer cannot be their own organisation")
    for name in _LIMITS:
        if _CONTROL.search(values.get(name) or ""):
            problems.append(f"{name} contains a line break or control character")
    for name in (
        "id",
        "name",
        "company",
        "organisation",
    ):  # what people read on pages, emails and reports
        invisible = invisible_problem(values.get(name) or "")
        if invisible is not None:
            problems.append(f"{name} {invisible}")
    for name, limit in _LIMITS.items():
        if len(values.get(name) or "") > limit:
            problems.append(f"{name} longer than {limit} characters")
    return problems


def customer_row(values: dict[str, str], *, line: int = 0) -> CustomerRow:
    """One customer from field values (``id``, ``email``, ``name`` and any of ``company``,
    ``locale``, ``kind``, ``organisation``), checked as a CSV row is; CustomerFileError
    listing every problem otherwise."""
    problems = _check_row(values)
    if problems:
        raise CustomerFileError(
            f"customer {values.get('id', '')!r}: " + "; ".join(problems),
            problems=[RowProblem(line, p) for p in problems],
        )
    return CustomerRow(
        line=line,
        id=values["id"],
        email=values["email"],
        name=values["name"],
        company=values.get("company") or "",
        locale=values.get("locale") or None,
        kind=values.get("kind") or "person",
        organisation=values.get("organisation") or None,
    )


def parse_customers(text: str) -> ParsedCustomers:
    """Validate a customers CSV given as text; line numbers are 1-based (header = line 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[RowProblem] = []
    rows: list[CustomerRow] = []
    try:
        header_row = next(reader, None)
    except csv.Error as exc:
        return ParsedCustomers((), (RowProblem(1, f"not valid CSV: {exc}"),))
    if header_row is None or not any(cell.strip() for cell in header_row):
        return ParsedCustomers(
            (),
            (
                RowProblem(
                    1,
                    "empty file: expected a header line "
                    "id,email,name,company[,locale,kind,organisation]",
                ),
            ),
        )
    header = [cell.strip().lower() for cell in header_row]
    header_problems = _check_header(header)
    if header_problems:
        return ParsedCustomers((), tuple(RowProblem(1, p) for p in header_problems))
    first_seen: dict[str, int] = {}
    for numbered in csv_rows(reader):
        if isinstance(numbered, RowProblem):
            problems.append(numbered)
            continue
        line, cells = numbered
        if len(cells) < len(header) and all(c in OPTIONAL_COLUMNS for c in header[len(cells) :]):
            cells = cells + [""] * (len(header) - len(cells))  # trailing optional columns
        if len(cells) != len(header):
            problems.append(
                RowProblem(
                    line, f"expected {len(header)} fields ({','.join(header)}), found {len(cells)}"
                )
            )
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        row_problems = _check_row(values)
        customer_id = values["id"]
        if customer_id:
            if customer_id in first_seen:
                row_problems.append(
                    f"duplicate id {customer_id!r} (first on line {first_seen[customer_id]})"
                )
            else:
                first_seen[customer_id] = line
        if row_problems:
            problems.append(RowProblem(line, "; ".join(row_problems)))
            continue
        rows.append(
            CustomerRow(
                line=line,
                id=customer_id,
                email=values["email"],
                name=values["name"],
                company=values["company"],
                locale=values.get("locale") or None,
                kind=values.get("kind") or "person",
                organisation=values.get("organisation") or None,
            )
        )
    return ParsedCustomers(tuple(rows), tuple(problems))


def read_customers(path: Path | str) -> ParsedCustomers:
    """Read and validate a customers CSV file (UTF-8, with or without BOM)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except OSError as exc:
        raise CustomerFileError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CustomerFileError(
            "not UTF-8 text",
            path=path,
            line=line,
            hint="save the file as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)",
        ) from exc
    return parse_customers(text)


def problems_error(
    path: Path | str, problems: Sequence[RowProblem], *, skip_hint: bool = True
) -> CustomerFileError:
    """One error listing every bad row as ``file:line: message``."""
    listed = "\n".join(f"  {path}:{p.line}: {p.message}" for p in problems)
    return CustomerFileError(
        f"{path}: {counted(len(problems), 'invalid row')}; nothing was imported:\n{listed}",
        problems=problems,
        hint="fix these rows, or pass --skip-invalid to import only the valid ones"
        if skip_hint
        else "fix these rows (an organisation must be imported, or be in the file, "
        "with kind organisation)",
    )


def membership_problems(
    rows: Sequence[CustomerRow],
    stored_kinds: dict[str, str],
    stored_members: dict[str, list[str]],
) -> list[RowProblem]:
    """Why rows' organisations do not hold (pure): each ``organisation`` must be a customer of
    kind organisation once the rows are stored, and an organisation that becomes a person
    must have no members left. ``stored_kinds``: id → kind of the stored customers the rows
    refer to; ``stored_members``: organisation id → its stored members."""
    kinds = dict(stored_kinds)
    kinds.update({row.id: row.kind for row in rows})
    moved = {row.id: row.organisation for row in rows}
    problems = []
    for row in rows:
        if row.organisation is None:
            if row.kind == "person":
                left = [m for m in stored_members.get(row.id, []) if moved.get(m, row.id) == row.id]
                if left and stored_kinds.get(row.id) == "organisation":
                    problems.append(
                        RowProblem(
                            row.line,
                            f"{row.id!r} has {counted(len(left), 'member')} "
                            f"({', '.join(sorted(left)[:3])}): it stays an organisation",
                        )
                    )
            continue
        kind = kinds.get(row.organisation)
        if kind is None:
            problems.append(RowProblem(row.line, f"unknown organisation {row.organisation!r}"))
        elif kind != "organisation":
            problems.append(
                RowProblem(
                    row.line,
                    f"{row.organisation!r} is a person, not an organisation "
                    "(give it kind organisation)",
                )
            )
    return problems


def _stored(
    connection: Connection, ids: Sequence[str]
) -> tuple[dict[str, tuple[object, ...]], dict[str, list[str]]]:
    """The stored customers among ``ids`` (id → email, name, company, locale, kind,
    organisation) and the stored members of those of them that are organisations."""
    table = CUSTOMERS
    existing: dict[str, tuple[object, ...]] = {}
    members: dict[str, list[str]] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        query = select(
            table.c.id,
            table.c.email,
            table.c.name,
            table.c.company,
            table.c.locale,
            table.c.kind,
            table.c.organisation_id,
        ).where(table.c.id.in_(chunk))
        for found in connection.execute(query):
            existing[found.id] = tuple(found)[1:]
        member_query = select(table.c.id, table.c.organisation_id).where(
            table.c.organisation_id.in_(chunk)
        )
        for member in connection.execute(member_query):
            members.setdefault(member.organisation_id, []).append(member.id)
    return existing, members


def import_customers(
    database: Database,
    rows: Iterable[CustomerRow],
    *,
    now: Callable[[], datetime] = utcnow,
    path: Path | str = "customers",
) -> ImportResult:
    """Insert new customers and update changed ones (by id), in one transaction. A row whose
    organisation does not hold (see :func:`membership_problems`) fails the whole import with
    :class:`CustomerFileError`, nothing written."""
    wanted = {row.id: row for row in rows}
    table = CUSTOMERS
    moment = now()
    created: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    with database.write() as connection:
        referred = sorted(set(wanted) | {r.organisation for r in wanted.values() if r.organisation})
        existing, members = _stored(connection, referred)
        problems = membership_problems(
            list(wanted.values()),
            {key: str(values[4]) for key, values in existing.items()},
            members,
        )
        if problems:
            raise problems_error(path, problems, skip_hint=False)
        for customer_id, row in wanted.items():
            values = (row.email, row.name, row.company, row.locale, row.kind, row.organisation)
            fields = {
                "email": row.email,
                "name": row.name,
                "company": row.company,
                "locale": row.locale,
                "kind": row.kind,
                "organisation_id": row.organisation,
                "updated_at": moment,
            }
            if customer_id not in existing:
                created.append({"id": customer_id, "created_at": moment, **fields})
            elif existing[customer_id] != values:
                changed.append({"key": customer_id, **fields})
        for start in range(0, len(created), _BATCH):
            connection.execute(insert(table), created[start : start + _BATCH])
        if changed:
            statement = (
                update(table)
                .where(table.c.id == bindparam("key"))
                .values({name: bindparam(name) for name in changed[0] if name != "key"})
            )
            connection.execute(statement, changed)
    unchanged = len(wanted) - len(created) - len(changed)
    return ImportResult(len(created), len(changed), unchanged)


def import_file(
    database: Database, path: Path | str, *, skip_invalid: bool = False
) -> ImportResult:
    """Validate ``path`` and import it: all rows, or none unless ``skip_invalid``."""
    parsed = read_customers(path)
    if parsed.problems and not skip_invalid:
        raise problems_error(path, parsed.problems)
    result = import_customers(database, parsed.rows, path=path)
    return ImportResult(result.created, result.updated, result.unchanged, parsed.problems)


def get_customer(database: Database, customer_id: str) -> CustomerInfo:
    """One stored customer; NotFoundError otherwise."""
    with database.session() as session:
        row = session.get(Customer, customer_id)
        if row is None:
            raise NotFoundError(
                f"unknown customer {customer_id!r}",
                hint="see `publisher customers list`, or import them from a CSV file",
            )
        return _info(row)


def list_customers(database: Database) -> list[CustomerInfo]:
    """Every stored customer, by id."""
    with database.session() as session:
        return [_info(row) for row in session.scalars(select(Customer).order_by(Customer.id))]


def _info(row: Customer) -> CustomerInfo:
    return CustomerInfo(
        row.id, row.email, row.name, row.company, row.locale, row.kind, row.organisation_id
    )
