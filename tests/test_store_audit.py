"""Attacks by someone with write access to the database that the chain alone does not catch:
a forged stored text, a backdated record appended at the tail, dropped triggers. Each must
make the audit fail, and the forged text must never be exported or shown."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import store_support as support
from click.testing import CliRunner
from sqlalchemy import Table, insert, text, update
from web_support import Site

from publisher.cli import main
from publisher.store.audit import audit_ledger
from publisher.store.db import Database
from publisher.store.evidence import EvidenceError, collect_evidence
from publisher.store.integrity import TextMismatch
from publisher.store.ledger import (
    chain_head,
    record_acceptance,
    record_hash,
    records,
    verify_chain,
)
from publisher.store.models import Acceptance, ChainHead
from publisher.store.record import FIELDS, to_row

POLICY = "acceptable-use"
FORGERY = "UPDATE policy_versions SET body = body || ' You waive all rights.'"


def _execute(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _accepted(db: Database) -> None:
    support.seed(db)
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


def test_an_untouched_store_passes_the_audit(database: Database) -> None:
    _accepted(database)
    audit = audit_ledger(database)
    assert audit.ok, audit.messages
    assert audit.to_dict()["ok"] is True and audit.to_dict()["records"] == 2


def test_a_forged_stored_text_fails_the_audit_and_is_never_exported(database: Database) -> None:
    _accepted(database)
    _execute(database, FORGERY)
    assert verify_chain(database).ok  # the chain alone cannot see it
    audit = audit_ledger(database)
    assert not audit.ok
    kinds = {kind for kind, _ in audit.messages}
    assert kinds == {"text"}
    assert any("acceptable-use version 2" in message for _, message in audit.messages)
    with pytest.raises(TextMismatch, match="acceptable-use version 2"):
        collect_evidence(database, "c1")


def test_a_forged_text_with_a_matching_sha256_column_still_fails(database: Database) -> None:
    """Rewriting the body and its sha256 column together: the records still hold the hash of
    the text accepted."""
    from publisher.document import body_sha256

    _accepted(database)
    forged = support.BODY_V2 + "4. You waive all rights.\n"
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE policy_versions SET body = :b, sha256 = :s WHERE label = '2'"),
            {"b": forged, "s": body_sha256(forged)},
        )
    audit = audit_ledger(database)
    assert not audit.ok
    assert any("content_sha256" in message for _, message in audit.messages)
    with pytest.raises(TextMismatch, match="content_sha256"):
        collect_evidence(database, "c2")


def _append_backdated(db: Database, days: int) -> None:
    """A correctly hashed and linked record at the tail, stamped ``days`` in the past."""
    seq, prev = chain_head(db)
    last = records(db)[-1]
    moment = last.accepted_at - timedelta(days=days)
    forged = replace(
        last,
        seq=seq + 1,
        customer_id="c3",
        notice_id=None,
        accepted_at=moment,
        ip="192.0.2.7",
        user_agent="Forger",
        method="link",
        prev_hash=prev,
    )
    digest = record_hash(forged.fields())
    with db.engine.begin() as connection:
        connection.execute(
            insert(cast(Table, Acceptance.__table__)).values(
                {
                    **to_row(
                        {
                            **{f.attribute: getattr(forged, f.attribute) for f in FIELDS},
                            "commitments": forged.commitments,  # the copied record's
                        }
                    ),
                    "hash": digest,
                }
            )
        )
        connection.execute(
            update(cast(Table, ChainHead.__table__)).values(seq=seq + 1, hash=digest)
        )


def test_a_backdated_record_appended_at_the_tail_fails_the_audit(database: Database) -> None:
    _accepted(database)
    _append_backdated(database, days=365)
    assert verify_chain(database).ok  # hashes and links are all correct
    audit = audit_ledger(database)
    assert not audit.ok
    ((kind, message),) = audit.messages
    assert kind == "time" and "record seq 3 (c3 acceptable-use 2)" in message


def test_dropped_triggers_fail_the_audit(database: Database) -> None:
    _accepted(database)
    if database.dialect == "sqlite":
        _execute(database, "DROP TRIGGER acceptances_no_update")
        expected = ["the append-only trigger acceptances_no_update on acceptances was dropped"]
    else:
        _execute(database, "DROP TRIGGER acceptances_append_only ON acceptances")
        expected = ["the append-only trigger acceptances_append_only on acceptances was dropped"]
    audit = audit_ledger(database)
    assert [m for k, m in audit.messages if k == "trigger"] == expected
    assert verify_chain(database).ok


def test_disabled_triggers_fail_the_audit_on_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite triggers cannot be disabled, only dropped")
    _accepted(database)
    _execute(database, "ALTER TABLE acceptances DISABLE TRIGGER USER")
    messages = [m for k, m in audit_ledger(database).messages if k == "trigger"]
    assert len(messages) == 2 and all(m.endswith("is disabled") for m in messages)


# -- the commands -----------------------------------------------------------------------------


def _cli_store(repo: Path, url: str) -> None:
    db = support.synced_store(repo, url)
    try:
        for customer in ("c1", "c2"):
            record_acceptance(db, customer_id=customer, policy=POLICY, version="2", method="link")
    finally:
        db.dispose()


def _run(repo: Path, url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(repo), *args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


def test_audit_verify_and_evidence_commands_refuse_a_forged_text(
    tmp_path: Path, database_url: str
) -> None:
    repo = support.make_policy_repo(tmp_path / "repo")
    _cli_store(repo, database_url)
    assert _run(repo, database_url, "audit", "verify")[0] == 0
    db = Database.from_url(database_url, root=repo)
    try:
        _execute(db, FORGERY)
    finally:
        db.dispose()
    code, _, err = _run(repo, database_url, "audit", "verify")
    assert code == 1
    assert "error: ledger verification failed: the stored text of acceptable-use version" in err
    assert "Traceback" not in err
    code, out, _ = _run(repo, database_url, "audit", "verify", "--format", "json")
    assert code == 1 and json.loads(out)["problems"][0]["kind"] == "text"
    code, out, err = _run(repo, database_url, "acceptance", "evidence", "c1")
    assert code == 2 and out == "" and "You waive" not in err
    assert err.startswith("error: the stored text of acceptable-use version 2")
    folder = tmp_path / "ev"
    code, out, err = _run(repo, database_url, "acceptance", "evidence", "c1", "--out", str(folder))
    assert code == 2 and not folder.exists()


def test_evidence_checks_the_text_against_git(tmp_path: Path, database_url: str) -> None:
    """Body and both hash columns rewritten in the store: the version's blob in git disagrees."""
    from publisher.document import body_sha256

    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        forged = "# Acceptable Use Policy\n\n1. You waive all rights.\n"
        _execute(
            db, f"UPDATE policy_versions SET sha256 = '{body_sha256(forged)}' WHERE label = '2'"
        )
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE policy_versions SET body = :b WHERE label = '2'"), {"b": forged}
            )
        record_acceptance(db, customer_id="c1", policy=POLICY, version="2", method="link")
        assert audit_ledger(db).ok  # without the repository nothing disagrees
        assert not audit_ledger(db, repo_root=repo).ok
        with pytest.raises(EvidenceError, match=r"differs from policies/acceptable-use\.md"):
            collect_evidence(db, "c1", repo_root=repo)
    finally:
        db.dispose()
    code, _, err = _run(repo, database_url, "audit", "verify")
    assert code == 1 and "differs from policies/acceptable-use.md at commit" in err


def test_the_link_page_never_shows_a_forged_text(site: Site) -> None:
    before = site.client.get(site.link())
    assert before.status_code == 200
    _execute(site.database, FORGERY)
    page = site.client.get(site.link())
    assert page.status_code == 404
    assert "You waive all rights" not in page.text
    record_acceptance(site.database, customer_id="c1", policy=POLICY, version="2", method="api")
    receipt = site.client.get(site.link("c1") + "/receipt")
    assert receipt.status_code == 404 and "You waive all rights" not in receipt.text


def test_times_are_compared_in_utc(database: Database) -> None:
    """Records a few microseconds apart in one batch share a stamp: equal is not backdated."""
    support.seed(database)
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    for customer in ("c1", "c2", "c3"):
        record_acceptance(
            database,
            customer_id=customer,
            policy=POLICY,
            version="2",
            method="link",
            now=lambda: moment,
        )
    assert audit_ledger(database).ok
