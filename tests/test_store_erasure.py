"""Erasure of a customer's personal data outside the chain: gone from every table, the
chain still verifying, and what stays (IP and user agent inside the hashed fields) said."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import store_support as support
from click.testing import CliRunner
from sqlalchemy import inspect, text

from publisher.cli import main
from publisher.store.audit import audit_ledger
from publisher.store.db import Database
from publisher.store.erasure import ERASED_NAME, erase_customer, pseudonym_email
from publisher.store.ledger import record_acceptance, records
from publisher.store.models import Delivery, DeliveryEvent, Notice

POLICY = "acceptable-use"
T0 = datetime(2024, 4, 2, 9, 15, tzinfo=UTC)
PERSONAL = ("ada@example.com", "Ada Lovelace", "Analytical Ltd")


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
    for customer in ("c1", "c2"):
        record_acceptance(
            db,
            customer_id=customer,
            policy=POLICY,
            version="2",
            method="link",
            ip="192.0.2.1",
            user_agent="Firefox",
        )


def _every_value(db: Database) -> str:
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    with db.engine.connect() as connection:
        return "\n".join(
            str(tuple(row))
            for table in tables
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )


def test_erasure_removes_the_personal_data_and_keeps_the_chain(database: Database) -> None:
    _scenario(database)
    before = _every_value(database)
    assert all(value in before for value in PERSONAL)
    result = erase_customer(database, "c1")
    after = _every_value(database)
    assert [value for value in PERSONAL if value in after] == []
    assert ERASED_NAME in after and pseudonym_email("c1") in after
    assert "bob@example.org" in after  # other customers are untouched
    assert (result.deliveries, result.events, result.records_keeping_ip) == (1, 1, 1)
    assert audit_ledger(database).ok
    assert [r.customer_id for r in records(database)] == ["c1", "c2"]
    again = erase_customer(database, "c1")
    assert _every_value(database) == after and again.deliveries == 1


def test_the_erase_command(tmp_path: Path, database_url: str) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        record_acceptance(
            db, customer_id="c1", policy=POLICY, version="2", method="link", ip="192.0.2.1"
        )
    finally:
        db.dispose()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main,
            ["-C", str(repo), "customers", "erase", *args, "--database-url", database_url],
            input=stdin,
        )
        return result.exit_code, result.stdout, result.stderr

    code, _, _ = run("c1", stdin="n\n")
    assert code == 1  # declined: nothing erased
    code, out, err = run("c1", "--yes")
    assert code == 0 and out.startswith("erased customer c1: name, email and company")
    assert "1 acceptance record keep their IP address" in err
    code, out, _ = run("c1", "--format", "json")
    assert code == 0 and json.loads(out)["records_keeping_ip_or_user_agent"] == 1
    code, _, err = run("zz", "--yes")
    assert code == 2 and "unknown customer 'zz'" in err and "Traceback" not in err
    verify = CliRunner().invoke(
        main, ["-C", str(repo), "audit", "verify", "--database-url", database_url]
    )
    assert verify.exit_code == 0, verify.output
