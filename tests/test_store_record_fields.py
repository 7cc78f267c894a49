"""The ledger's hashed fields, declared once (publisher.store.record.FIELDS): the request, the
record, the table and the API follow the declaration; every field is hashed and stored alike
by both backends (PostgreSQL's append function included), NULLs and any text too; records of
format 1, written before the new fields, keep their stored hash and still verify."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner
from sqlalchemy import text

from publisher.cli import main
from publisher.errors import PublisherError
from publisher.store import migrate
from publisher.store.audit import audit_ledger
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import (
    AcceptanceRequest,
    LedgerError,
    Recorded,
    record_acceptance,
    record_acceptances,
    records,
    verify_chain,
)
from publisher.store.record import (
    CURRENT_FORMAT,
    FIELDS,
    REQUEST_FIELDS,
    AcceptanceRecord,
    canonical,
    fields_of,
    record_hash,
)
from publisher.store.tables import ACCEPTANCES
from publisher.store.versions import store_versions
from publisher.web.openapi import SCHEMAS

POLICY = "acceptable-use"
AWKWARD = [
    'quote " and backslash \\ and slash /',
    "newline\nreturn\rtab\tbell\x07 del\x7f",
    "ünïcödé – “curly” — 日本語 — emoji 🎉 — rtl \u202e",
    '"prev_hash":"' + "@" * 64 + '","seq":0',
    "",
]
SHOWN = hashlib.sha256(b"Nutzungsrichtlinie").hexdigest()

FORMAT_1_KEYS = {
    "seq",
    "customer",
    "policy",
    "version",
    "content_sha256",
    "commit",
    "notice",
    "accepted_at",
    "ip",
    "user_agent",
    "method",
    "prev_hash",
}
PERSONAL = ("ip", "user_agent", "acting_user")
NEW_KEYS = {"format", "language", "shown_sha256", "acting_user", "claimed_at", "source"}


def test_the_request_record_table_and_api_follow_the_declaration() -> None:
    assert {f.key for f in fields_of(1)} == FORMAT_1_KEYS
    assert {f.key for f in fields_of(2)} == FORMAT_1_KEYS | NEW_KEYS
    request_names = {f.name for f in dataclasses.fields(AcceptanceRequest)}
    assert request_names == {f.attribute for f in REQUEST_FIELDS}
    record_names = {f.name for f in dataclasses.fields(AcceptanceRecord)}
    assert record_names == {"id", "hash", "commitments", "salts", "erased_at"} | {
        f.attribute for f in FIELDS
    }
    assert set(ACCEPTANCES.c.keys()) == {"id", "hash"} | {f.column for f in FIELDS}
    schema = SCHEMAS["Record"]["properties"]
    assert set(schema) == {"id", "hash", "commitments", "salts", "erased_at"} | {
        f.key for f in FIELDS
    }
    assert {f.key for f in fields_of(3)} == {f.key for f in fields_of(2)}
    hints = typing.get_type_hints(AcceptanceRequest)
    assert {name: hints[name] for name in sorted(NEW_KEYS - {"format"})} == {
        "acting_user": str | None,
        "claimed_at": datetime | None,
        "language": str | None,
        "shown_sha256": str | None,
        "source": str | None,
    }
    with pytest.raises(ValueError, match="unknown ledger record format 4"):
        fields_of(4)


def _record(**changes: object) -> AcceptanceRecord:
    base = AcceptanceRecord(
        id=1,
        seq=4,
        customer_id="c1",
        policy=POLICY,
        version="2",
        content_sha256="a" * 64,
        commit="b" * 40,
        notice_id=None,
        accepted_at=datetime(2024, 6, 1, 12, tzinfo=UTC),
        ip=None,
        user_agent=None,
        method="link",
        prev_hash="c" * 64,
        hash="",
        format=2,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


OTHER_VALUES: dict[str, object] = {
    "seq": 5,
    "customer_id": "c2",
    "policy": "privacy",
    "version": "3",
    "content_sha256": "d" * 64,
    "commit": "e" * 40,
    "notice_id": 7,
    "accepted_at": datetime(2024, 6, 1, 12, 0, 0, 1, tzinfo=UTC),
    "ip": "192.0.2.1",
    "user_agent": "Firefox",
    "method": "api",
    "prev_hash": "f" * 64,
    "format": 1,
    "language": "de",
    "shown_sha256": SHOWN,
    "acting_user": "ada@example.com",
    "claimed_at": datetime(2020, 1, 1, tzinfo=UTC),
    "source": "legacy.csv",
}


def test_every_declared_field_is_hashed() -> None:
    assert set(OTHER_VALUES) == {f.attribute for f in FIELDS}
    before = _record().computed_hash()
    for attribute, value in OTHER_VALUES.items():
        assert _record(**{attribute: value}).computed_hash() != before, attribute


def test_format_1_hashes_the_twelve_fields_as_before() -> None:
    """The canonical JSON of format 1, spelled out here: the stored hashes of every record
    written before migration 0006 depend on it."""
    record = _record(format=1, language="de", ip="192.0.2.1")  # language: not in format 1
    expected = json.dumps(
        {
            "accepted_at": "2024-06-01T12:00:00.000000Z",
            "commit": "b" * 40,
            "content_sha256": "a" * 64,
            "customer": "c1",
            "ip": "192.0.2.1",
            "method": "link",
            "notice": None,
            "policy": POLICY,
            "prev_hash": "c" * 64,
            "seq": 4,
            "user_agent": None,
            "version": "2",
        },
        separators=(",", ":"),
    )
    assert record.computed_hash() == hashlib.sha256(expected.encode()).hexdigest()
    assert set(_record().fields()) == FORMAT_1_KEYS | NEW_KEYS


def _requests(people: list[CustomerRow]) -> list[AcceptanceRequest]:
    """One request per person: the first with every optional field NULL, the others with
    awkward text in every text field and times with odd offsets and microseconds."""
    requests = [AcceptanceRequest(people[0].id, POLICY, "2", "link")]
    for n, (person, awkward) in enumerate(zip(people[1:], AWKWARD, strict=True)):
        requests.append(
            AcceptanceRequest(
                person.id,
                POLICY,
                "2",
                "import",
                ip=awkward[:64],
                user_agent=awkward,
                language=["de", "fr-CA", "zh-Hans", "pt-BR", "en"][n],
                shown_sha256=SHOWN,
                acting_user=awkward or "x",
                claimed_at=datetime(
                    2019, 3, 4, 5, 6, 7, 890123 + n, tzinfo=timezone(timedelta(hours=5, minutes=30))
                ),
                source=awkward or "y",
            )
        )
    return requests


def test_every_field_is_stored_and_hashed_alike_by_both_backends(database: Database) -> None:
    """On PostgreSQL the append function inserts the row and computes the hash in SQL: each
    returned and stored record must be what Python computes, field for field."""
    support.seed(database)
    people = [
        CustomerRow(10 + i, f"f{i}", f"f{i}@example.com", f"F {i}", "")
        for i in range(len(AWKWARD) + 1)
    ]
    import_customers(database, people)
    requests = _requests(people)
    outcomes = record_acceptances(database, requests)
    assert all(isinstance(o, Recorded) and o.created for o in outcomes), outcomes
    stored = records(database)
    assert [o.record for o in outcomes if isinstance(o, Recorded)] == stored
    for request, record in zip(requests, stored, strict=True):
        assert record.format == CURRENT_FORMAT
        for field in REQUEST_FIELDS:
            assert getattr(record, field.attribute) == getattr(request, field.attribute)
        document = record.to_dict()
        hashed = {
            key: document["commitments"].get(key) if key in PERSONAL else value
            for key, value in document.items()
            if key not in ("id", "hash", "commitments", "salts", "erased_at")
        }
        data = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(data.encode("utf-8")).hexdigest() == record.hash
        for key in PERSONAL:  # each kept value opens its commitment
            if document[key] is not None:
                salted = bytes.fromhex(document["salts"][key]) + document[key].encode()
                expected = "c1:" + hashlib.sha256(salted).hexdigest()
                assert document["commitments"][key] == expected
            else:
                assert key not in document["commitments"]
    assert stored[1].claimed_at is not None and stored[1].claimed_at.tzinfo is not None
    assert stored[1].to_dict()["claimed_at"] == "2019-03-03T23:36:07.890123Z"
    assert verify_chain(database).ok
    assert audit_ledger(database).ok


def test_values_that_cannot_be_recorded_are_refused_alone(database: Database) -> None:
    support.seed(database)
    bad = [
        AcceptanceRequest("c1", POLICY, "2", "link", language="not a tag"),
        AcceptanceRequest("c1", POLICY, "2", "link", shown_sha256="ABC"),
        AcceptanceRequest("c1", POLICY, "2", "import", claimed_at=datetime(2020, 1, 1)),
        AcceptanceRequest("c1", POLICY, "2", "import", source="  "),
        AcceptanceRequest("c1", POLICY, "2", "link", acting_user=""),
    ]
    good = AcceptanceRequest("c2", POLICY, "2", "link", language="de", acting_user="Bob")
    outcomes = record_acceptances(database, [*bad, good])
    messages = [str(o) for o in outcomes[:-1]]
    assert all(isinstance(o, LedgerError) for o in outcomes[:-1])
    assert "is not a BCP 47 tag" in messages[0]
    assert "is not a sha256" in messages[1]
    assert "has no time zone" in messages[2]
    assert "source is empty" in messages[3] and "acting_user is empty" in messages[4]
    assert isinstance(outcomes[-1], Recorded) and outcomes[-1].record.acting_user == "Bob"
    assert [r.customer_id for r in records(database)] == ["c2"]
    with pytest.raises(PublisherError, match="BCP 47"):
        record_acceptance(
            database, customer_id="c3", policy=POLICY, version="2", method="link", language="?"
        )


def _seed_at_0005(db: Database) -> None:
    """The seed versions and customers, written as schema 0005 holds them (the current
    customer code also writes the columns of later revisions)."""
    store_versions(db, support.SEED_VERSIONS)
    moment = datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with db.engine.begin() as connection:
        for row in support.SEED_CUSTOMERS:
            connection.execute(
                text(
                    "INSERT INTO customers (id, email, name, company, locale, created_at, "
                    "updated_at) VALUES (:id, :email, :name, :company, :locale, :at, :at)"
                ),
                {
                    "id": row.id,
                    "email": row.email,
                    "name": row.name,
                    "company": row.company,
                    "locale": row.locale,
                    "at": moment,
                },
            )


def _format_1_record(db: Database) -> str:
    """A record as the code before migration 0006 wrote it (its canonical JSON spelled out
    here), at schema 0005; returns its hash."""
    version = support.SEED_VERSIONS[1]
    moment = "2024-05-06T07:08:09.123456Z"
    fields = {
        "seq": 1,
        "customer": "c1",
        "policy": POLICY,
        "version": "2",
        "content_sha256": version.sha256,
        "commit": version.commit,
        "notice": None,
        "accepted_at": moment,
        "ip": "192.0.2.1",
        "user_agent": "Ünïcode/1.0",
        "method": "link",
        "prev_hash": "0" * 64,
    }
    data = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(data.encode("utf-8")).hexdigest()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO acceptances (seq, customer_id, slug, version_label, content_sha256,"
                ' "commit", notice_id, accepted_at, ip, user_agent, method, prev_hash, hash) '
                "VALUES (1, 'c1', :slug, '2', :sha, :commit, NULL, :at, '192.0.2.1', "
                "'Ünïcode/1.0', 'link', :genesis, :hash)"
            ),
            {
                "slug": POLICY,
                "sha": version.sha256,
                "commit": version.commit,
                "at": datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
                if db.dialect == "postgresql"
                else "2024-05-06 07:08:09.123456",
                "genesis": "0" * 64,
                "hash": digest,
            },
        )
        connection.execute(
            text("UPDATE chain_head SET seq = 1, hash = :hash WHERE id = 1"), {"hash": digest}
        )
    return digest


def _format_2_record(db: Database, prev_hash: str) -> str:
    """A record as migration 0006's code wrote it (the new fields in plaintext), after the
    record of format 1; returns its hash."""
    version = support.SEED_VERSIONS[1]
    record = _record(
        seq=2,
        customer_id="c3",
        content_sha256=version.sha256,
        commit=version.commit,
        accepted_at=datetime(2024, 5, 7, tzinfo=UTC),
        ip="192.0.2.3",
        acting_user="Cy",
        prev_hash=prev_hash,
    )
    digest = record.computed_hash()
    row = {f.column: getattr(record, f.attribute) for f in FIELDS}
    with db.engine.begin() as connection:
        connection.execute(ACCEPTANCES.insert().values(**row, hash=digest))
        connection.execute(
            text("UPDATE chain_head SET seq = 2, hash = :hash WHERE id = 1"), {"hash": digest}
        )
    return digest


def test_records_of_every_format_verify(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url, root=tmp_path)
    try:
        migrate.upgrade(db, "0005_in_app")
        _seed_at_0005(db)
        old_hash = _format_1_record(db)
        migrate.upgrade(db, "0006_ledger")
        plain = _format_2_record(db, old_hash)
        migrate.upgrade(db)
        new = record_acceptance(
            db, customer_id="c2", policy=POLICY, version="2", method="link", language="de"
        ).record
        old, stored_plain, stored_new = records(db)
        assert stored_plain.format == 2 and stored_plain.hash == plain
        assert stored_plain.ip == "192.0.2.3" and stored_plain.commitments == {}
        assert new.prev_hash == plain
        assert (old.format, old.hash, old.computed_hash()) == (1, old_hash, old_hash)
        assert old.user_agent == "Ünïcode/1.0" and old.language is None
        assert old.to_dict()["format"] == 1 and old.to_dict()["language"] is None
        assert stored_new == new and new.format == CURRENT_FORMAT
        assert verify_chain(db).ok
        assert audit_ledger(db).ok
    finally:
        db.dispose()
    verify = CliRunner().invoke(
        main, ["-C", str(tmp_path), "audit", "verify", "--database-url", database_url]
    )
    assert verify.exit_code == 0, verify.output


def test_an_edited_record_of_either_format_fails_verification(database: Database) -> None:
    support.seed(database)
    record_acceptance(database, customer_id="c1", policy=POLICY, version="2", method="link")
    record_acceptance(
        database, customer_id="c2", policy=POLICY, version="2", method="link", source="x"
    )
    support.disable_append_only_guard(database)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE acceptances SET source = 'y' WHERE customer_id = 'c2'"))
        connection.execute(text("UPDATE acceptances SET format = 1 WHERE customer_id = 'c1'"))
    result = verify_chain(database)
    assert [(p.kind, p.seq) for p in result.problems] == [("edited", 1), ("edited", 2)]


def test_canonical_needs_the_format() -> None:
    values = {f.attribute: getattr(_record(), f.attribute) for f in FIELDS}
    assert record_hash(canonical(values)) == _record().computed_hash()
    values["format"] = 1
    assert "language" not in canonical(values)
