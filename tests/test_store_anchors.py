"""Anchors of the ledger's head in the policy repository (refs/publisher/anchors): written
with fast-import without touching the work tree, signed, pushable, rate-limited after
acceptances; and the attack they exist for: an edit followed by a recomputed chain."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from web_support import Site

from publisher.cli import main
from publisher.store.checkpoints import (
    ANCHOR_REF,
    Checkpointer,
    anchor_problems,
    read_anchors,
    write_anchor,
)
from publisher.store.db import Database
from publisher.store.ledger import chain_head, record_acceptance, record_hash, records
from publisher.store.signing import public_key_b64

POLICY = "acceptable-use"
KEY = base64.b64encode(bytes(range(32))).decode()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return support.make_policy_repo(tmp_path / "repo")


def _store(repo: Path, url: str, customers: tuple[str, ...] = ("c1", "c2")) -> Database:
    db = support.synced_store(repo, url)
    for customer in customers:
        record_acceptance(
            db, customer_id=customer, policy=POLICY, version="2", method="link", ip="192.0.2.1"
        )
    return db


def _run(repo: Path, url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["-C", str(repo), *args, "--database-url", url], env={"PUBLISHER_EVIDENCE_KEY": KEY}
    )
    return result.exit_code, result.stdout, result.stderr


def test_audit_anchor_writes_a_signed_log_without_touching_the_work_tree(
    repo: Path, database_url: str
) -> None:
    db = _store(repo, database_url)
    head_before = _git(repo, "rev-parse", "HEAD")
    try:
        code, out, err = _run(repo, database_url, "audit", "anchor")
        assert code == 0, err
        seq, digest = chain_head(db)
        assert out.startswith(f"anchored seq {seq} {digest} in {ANCHOR_REF}")
        assert _run(repo, database_url, "audit", "anchor")[1].startswith("nothing to anchor")
        record_acceptance(db, customer_id="c3", policy=POLICY, version="2", method="link")
        code, out, _ = _run(repo, database_url, "audit", "anchor", "--format", "json")
        assert code == 0 and json.loads(out)["anchor"]["seq"] == 3
    finally:
        db.dispose()
    assert _git(repo, "rev-parse", "HEAD") == head_before
    assert _git(repo, "status", "--porcelain") == "?? customers.csv\n"
    assert _git(repo, "rev-list", "--count", ANCHOR_REF).strip() == "2"
    anchors = read_anchors(repo)
    assert [a.seq for a in anchors] == [2, 3] and all(a.signed for a in anchors)
    trusted = public_key_b64(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    assert anchor_problems(anchors, trusted) == []
    code, out, _ = _run(repo, database_url, "audit", "verify", "--anchors")
    assert code == 0 and out.rstrip().endswith("; 2 anchors checked")


def _recompute_after_edit(db: Database) -> None:
    """The database administrator's forgery: edit record 1, recompute every hash after it,
    move the head, and put the append-only triggers back so nothing looks amiss."""
    support.disable_append_only_guard(db)
    rows = records(db)
    prev = rows[0].prev_hash
    with db.engine.begin() as connection:
        for index, row in enumerate(rows):
            changed = replace(row, prev_hash=prev, source="forged" if index == 0 else row.source)
            digest = record_hash(changed.fields())
            connection.execute(
                text(
                    "UPDATE acceptances SET source = :s, prev_hash = :p, hash = :h WHERE id = :id"
                ),
                {"s": changed.source, "p": prev, "h": digest, "id": row.id},
            )
            prev = digest
        connection.execute(text("UPDATE chain_head SET hash = :h"), {"h": prev})
        if db.dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                connection.execute(
                    text(
                        f"CREATE TRIGGER acceptances_no_{action.lower()} BEFORE {action} ON "
                        "acceptances BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                    )
                )
        else:
            connection.execute(text("ALTER TABLE acceptances ENABLE TRIGGER USER"))


def test_a_recomputed_chain_fails_against_the_anchors(repo: Path, database_url: str) -> None:
    db = _store(repo, database_url)
    try:
        assert _run(repo, database_url, "audit", "anchor")[0] == 0
        _recompute_after_edit(db)
    finally:
        db.dispose()
    code, _, err = _run(repo, database_url, "audit", "verify")
    assert code == 0, err  # the chain, texts, times and triggers all look right
    code, out, err = _run(repo, database_url, "audit", "verify", "--anchors")
    assert code == 1
    assert "anchor seq 2" in err and "the chain was recomputed after an edit" in err
    code, out, _ = _run(repo, database_url, "audit", "verify", "--anchors", "--format", "json")
    assert [p["kind"] for p in json.loads(out)["problems"]] == ["anchor"]


def test_an_edited_anchor_log_or_a_foreign_key_fails(repo: Path, database_url: str) -> None:
    db = _store(repo, database_url)
    try:
        foreign = Ed25519PrivateKey.generate()
        write_anchor(repo, db, foreign)
    finally:
        db.dispose()
    code, _, err = _run(repo, database_url, "audit", "verify", "--anchors")
    assert code == 1 and "is signed by key" in err and "not by the evidence key" in err
    (anchor,) = read_anchors(repo)
    assert anchor_problems([replace(anchor, seq=1)], None) == [
        f"anchor seq 1 ({anchor.at}): the signature does not verify (the anchor log was edited)"
    ]


def test_the_anchor_ref_is_pushable(repo: Path, database_url: str, tmp_path: Path) -> None:
    db = _store(repo, database_url)
    try:
        write_anchor(repo, db, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    finally:
        db.dispose()
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", str(remote))
    _git(repo, "push", "-q", str(remote), ANCHOR_REF)
    assert read_anchors(remote) == read_anchors(repo)


def test_the_checkpointer_anchors_at_most_once_per_interval(repo: Path, database_url: str) -> None:
    db = _store(repo, database_url, customers=("c1",))
    now = [1000.0]
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    checkpointer = Checkpointer(repo, lambda: key, 60, clock=lambda: now[0])
    try:
        first = checkpointer.poke(db)
        assert first is not None
        first.join(30)
        record_acceptance(db, customer_id="c2", policy=POLICY, version="2", method="link")
        now[0] += 59
        assert checkpointer.poke(db) is None  # within the interval: no anchor
        now[0] += 2
        second = checkpointer.poke(db)
        assert second is not None
        second.join(30)
    finally:
        db.dispose()
    assert [a.seq for a in read_anchors(repo)] == [1, 2]
    assert Checkpointer(repo, lambda: key, 0).poke(db) is None  # 0: automatic anchors off


def test_the_receipt_carries_the_record_hash_and_the_current_head(site: Site) -> None:
    record = record_acceptance(
        site.database, customer_id="c1", policy=POLICY, version="2", method="api"
    ).record
    record_acceptance(site.database, customer_id="c3", policy=POLICY, version="2", method="api")
    seq, digest = chain_head(site.database)
    page = site.client.get(site.link("c1") + "/receipt")
    assert page.status_code == 200
    assert record.hash in page.text and digest in page.text and seq > record.seq
