"""Erasure of a customer's personal data: gone from every table (the chain holds only salted
commitments to the IP address, user agent and acting user), the erasure recorded in the
chain, the chain still verifying; the retention period erasing old IP addresses and user
agents the same way."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner
from sqlalchemy import insert, inspect, text

from publisher.cli import main
from publisher.store import migrate
from publisher.store.audit import audit_ledger
from publisher.store.db import Database
from publisher.store.erasure import (
    ERASED_NAME,
    apply_retention,
    erase_customer,
    erasure_summary,
    pseudonym_email,
)
from publisher.store.evidence import collect_evidence, evidence_document, write_evidence
from publisher.store.ledger import record_acceptance, records, verify_chain
from publisher.store.models import AppAcceptance, Delivery, DeliveryEvent, Notice

POLICY = "acceptable-use"
T0 = datetime(2024, 4, 2, 9, 15, tzinfo=UTC)
PERSONAL = (
    "ada@example.com",
    "Ada Lovelace",
    "Analytical Ltd",
    "192.0.2.1",
    "Firefox/ada",
    "Ada Admin",
)


def _scenario(db: Database) -> None:
    support.seed(db)
    with db.session() as session, session.begin():
        notice = Notice(
            slug=POLICY,
            version_label="2",
            subject="Our AUP changes",
            status="sent",
            forced=False,
            created_at=T0,
        )
        session.add(notice)
        session.flush()
        delivery = Delivery(
            notice_id=notice.id,
            customer_id="c1",
            email="ada@example.com",
            state="failed",
            attempts=1,
            queued_at=T0,
            last_error="550 ada@example.com: mailbox full",
        )
        session.add(delivery)
        session.flush()
        session.add(
            DeliveryEvent(
                delivery_id=delivery.id,
                provider_event_id="ev-1",
                event="bounce",
                reason="ada@example.com mailbox full",
                occurred_at=T0,
                received_at=T0,
                payload=json.dumps({"email": "ada@example.com"}),
            )
        )
    for customer, ip, agent, user in (
        ("c1", "192.0.2.1", "Firefox/ada", "Ada Admin"),
        ("c2", "192.0.2.2", "Safari/bob", None),
    ):
        record_acceptance(
            db,
            customer_id=customer,
            policy=POLICY,
            version="2",
            method="link",
            ip=ip,
            user_agent=agent,
            acting_user=user,
            now=lambda: T0,
        )
    first = records(db)[0]
    with db.engine.begin() as connection:
        connection.execute(
            insert(AppAcceptance).values(
                acceptance_id=first.id,
                idempotency_key="k1",
                request_sha256="0" * 64,
                created=True,
                app_user_id="app-ada",
                forwarded_ip="192.0.2.1",
                forwarded_user_agent="Firefox/ada",
                caller_ip="203.0.113.5",
                received_at=T0,
            )
        )


def _every_value(db: Database) -> str:
    """Every stored value, in an order that does not depend on the engine.

    PostgreSQL returns tables and rows in no fixed order (an UPDATE moves a row), so
    both are sorted; the schema-version table is left out.
    """
    tables = sorted(set(inspect(db.engine).get_table_names()) - {migrate.VERSION_TABLE})
    with db.engine.connect() as connection:
        return "\n".join(
            line
            for table in tables
            for line in sorted(
                f"{table}: {tuple(row)}"
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            )
        )


def test_erasure_removes_the_personal_data_and_keeps_the_chain(
    database: Database, tmp_path: Path
) -> None:
    _scenario(database)
    before = _every_value(database)
    assert all(value in before for value in PERSONAL)
    later = T0 + timedelta(days=3)
    result = erase_customer(database, "c1", now=lambda: later)
    after = _every_value(database)
    assert [value for value in PERSONAL if value in after] == []
    assert ERASED_NAME in after and pseudonym_email("c1") in after
    assert all(value in after for value in ("bob@example.org", "192.0.2.2", "Safari/bob"))
    assert (result.deliveries, result.events, result.records_erased) == (1, 1, 1)
    assert result.records_keeping_ip == 0
    assert audit_ledger(database).ok and verify_chain(database).ok
    accepted, other, erasure = records(database)
    assert [r.customer_id for r in (accepted, other, erasure)] == ["c1", "c2", "c1"]
    assert result.erasure_record == erasure
    assert (erasure.method, erasure.seq, erasure.accepted_at, erasure.ip) == (
        "erasure",
        3,
        later,
        None,
    )
    summary = erasure_summary("c1", [1])
    assert erasure.content_sha256 == hashlib.sha256(summary.encode()).hexdigest()
    assert (accepted.ip, accepted.user_agent, accepted.acting_user) == (None, None, None)
    assert set(accepted.commitments) == {"ip", "user_agent", "acting_user"}
    assert accepted.salts == {} and accepted.erased_at == later
    assert other.ip == "192.0.2.2" and other.erased_at is None
    again = erase_customer(database, "c1")
    assert _every_value(database) == after and again.erasure_record is None
    assert len(records(database)) == 3

    evidence = collect_evidence(database, "c1")
    document = evidence_document(evidence)
    assert document["acceptances"][0]["erased"] == {
        key: "2024-04-05T09:15:00.000000Z" for key in ("ip", "user_agent", "acting_user")
    }
    assert [e["record"]["seq"] for e in document["erasures"]] == [3]
    write_evidence(evidence, tmp_path / "evidence")
    readme = (tmp_path / "evidence" / "README.txt").read_text()
    assert "from an IP address erased on 2024-04-05" in readme
    assert "personal data erased on 2024-04-05 (ledger seq 3" in readme
    assert "192.0.2.1" not in readme


def test_a_changed_personal_value_fails_verification(database: Database) -> None:
    _scenario(database)
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE personal_data SET value = '198.51.100.1' WHERE value = '192.0.2.2'")
        )
    result = verify_chain(database)
    assert [(p.kind, p.seq) for p in result.problems] == [("edited", 2)]
    assert "its ip no longer matches the commitment in its hash" in result.problems[0].message


def test_retention_erases_old_ip_addresses_and_user_agents(database: Database) -> None:
    _scenario(database)  # two records at T0
    record_acceptance(
        database,
        customer_id="c3",
        policy=POLICY,
        version="2",
        method="link",
        ip="192.0.2.3",
        user_agent="Edge/cy",
        now=lambda: T0 + timedelta(days=40),
    )
    now = T0 + timedelta(days=45)
    before = _every_value(database)
    dry = apply_retention(database, 30, dry_run=True, now=lambda: now)
    assert (dry.records, dry.app_calls, dry.dry_run) == (2, 1, True)
    assert _every_value(database) == before
    done = apply_retention(database, 30, now=lambda: now)
    assert (done.records, done.app_calls) == (2, 1)
    after = _every_value(database)
    gone = ("192.0.2.1", "Firefox/ada", "192.0.2.2", "Safari/bob")
    assert [value for value in gone if value in after] == []
    assert "192.0.2.3" in after and "Ada Admin" in after  # recent; not a retained field
    assert verify_chain(database).ok and audit_ledger(database).ok
    assert apply_retention(database, 30, now=lambda: now).records == 0
    assert done.to_dict()["cutoff"] == "2024-04-17T09:15:00.000000Z"
    with pytest.raises(ValueError, match="at least one day"):
        apply_retention(database, 0)


def test_the_erase_and_retain_commands(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        record_acceptance(
            db,
            customer_id="c1",
            policy=POLICY,
            version="2",
            method="link",
            ip="192.0.2.1",
            now=lambda: T0,
        )
    finally:
        db.dispose()

    def run(group: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main,
            ["-C", str(repo), "customers", group, *args, "--database-url", database_url],
            input=stdin,
        )
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run("retain", "--days", "30", "--dry-run", "--format", "json")
    assert code == 0 and json.loads(out)["records_erased"] == 1
    code, _, err = run("retain")
    assert code != 0 and "retention_days is 0" in err and "Traceback" not in err
    code, _, _ = run("erase", "c1", stdin="n\n")
    assert code == 1  # declined: nothing erased
    code, out, err = run("erase", "c1", "--yes")
    assert code == 0, err
    assert out.startswith("erased customer c1: name, email and company, the IP address")
    assert "of 1 acceptance record" in out and "erasure recorded as ledger seq 2" in out
    code, out, _ = run("erase", "c1", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["erasure_record"] is None
    assert document["records_keeping_ip_or_user_agent"] == 0
    code, _, err = run("erase", "zz", "--yes")
    assert code == 2 and "unknown customer 'zz'" in err and "Traceback" not in err
    monkeypatch.setenv("PUBLISHER_RETENTION_DAYS", "30")
    code, out, _ = run("retain")
    assert code == 0 and out.startswith("erased the IP address and user agent of 0 acceptance")
    verify = CliRunner().invoke(
        main, ["-C", str(repo), "audit", "verify", "--database-url", database_url]
    )
    assert verify.exit_code == 0, verify.output
