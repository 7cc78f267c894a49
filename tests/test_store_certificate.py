"""The signed evidence certificate: a PDF a reader opens (pdftotext finds the hashes and the
text), checked offline by `publisher audit verify-evidence`; any change to it fails."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import store_support as support
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from publisher.cli import main
from publisher.config import load_settings
from publisher.store import migrate
from publisher.store.certificate import CertificateError, verify_certificate
from publisher.store.ledger import record_acceptance, records
from publisher.store.models import Delivery, DeliveryEvent, Notice
from publisher.store.signing import public_key_b64

POLICY = "acceptable-use"
RAW = bytes(range(32))
KEY = base64.b64encode(RAW).decode()
PUBLIC = public_key_b64(Ed25519PrivateKey.from_private_bytes(RAW))


def _run(repo: Path, url: str, *args: str, key: str = KEY) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["-C", str(repo), *args, "--database-url", url], env={"PUBLISHER_EVIDENCE_KEY": key}
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def certified(tmp_path: Path, database_url: str) -> tuple[Path, str, Path]:
    """A repository with one acceptance by c1 (with a notice delivery), anchored, and its
    certificate written to a file."""
    repo = support.make_policy_repo(tmp_path / "repo")
    db = support.synced_store(repo, database_url)
    try:
        moment = datetime(2024, 4, 2, 9, 15, tzinfo=UTC)
        with db.session() as session, session.begin():
            notice = Notice(
                slug=POLICY,
                version_label="2",
                subject="Our AUP changes on 1 May",
                status="sent",
                forced=False,
                created_at=moment,
            )
            session.add(notice)
            session.flush()
            delivery = Delivery(
                notice_id=notice.id,
                customer_id="c1",
                email="ada@example.com",
                state="sent",
                attempts=1,
                message_id="msg-c1",
                queued_at=moment,
                sent_at=moment,
            )
            session.add(delivery)
            session.flush()
            session.add(
                DeliveryEvent(
                    delivery_id=delivery.id,
                    provider_event_id="ev-1",
                    event="delivered",
                    occurred_at=moment,
                    received_at=moment,
                )
            )
            notice_id = notice.id
        record_acceptance(
            db,
            customer_id="c1",
            policy=POLICY,
            version="2",
            method="link",
            ip="192.0.2.1",
            user_agent="Firefox",
            notice_id=notice_id,
        )
    finally:
        db.dispose()
    assert _run(repo, database_url, "audit", "anchor")[0] == 0
    pdf = tmp_path / "c1.pdf"
    code, _, err = _run(
        repo, database_url, "acceptance", "evidence", "c1", "--format", "pdf", "--output", str(pdf)
    )
    assert code == 0, err
    return repo, database_url, pdf


def test_the_certificate_opens_in_a_pdf_reader_and_shows_the_hashes(
    certified: tuple[Path, str, Path],
) -> None:
    repo, url, pdf = certified
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    db = migrate.open_store(load_settings(repo, env={}, overrides={"database_url": url}))
    try:
        (record,) = records(db, customer_id="c1")
    finally:
        db.dispose()
    shown = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    assert "Syntax Error" not in shown.stderr and "Syntax Warning" not in shown.stderr
    flat = shown.stdout.replace("\n", "").replace(" ", "")
    assert record.content_sha256 in flat and record.hash in flat
    assert "You shall not scan other customers' hosts." in shown.stdout
    assert "Acceptance evidence certificate" in shown.stdout
    assert "Our AUP changes on 1 May" in shown.stdout
    assert "delivered 2024-04-02T09:15:00.000000Z" in shown.stdout


def test_verify_evidence_accepts_the_certificate_offline(
    certified: tuple[Path, str, Path],
) -> None:
    pdf = certified[2]
    result = CliRunner().invoke(
        main, ["audit", "verify-evidence", str(pdf), "--public-key", PUBLIC]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("certificate valid: 1 record for customer c1, signed by key")
    check = verify_certificate(pdf.read_bytes(), trusted_key=PUBLIC)
    assert check.ok
    (entry,) = check.manifest["acceptances"]
    assert entry["chain_proof"]["anchors"][0]["seq"] == 1
    assert "You shall not scan" in entry["text"]


def test_any_change_to_the_certificate_fails(certified: tuple[Path, str, Path]) -> None:
    _, _, pdf = certified
    data = pdf.read_bytes()
    tampered = pdf.with_name("tampered.pdf")
    manifest_at = data.index(b"%PUBLISHER-EVIDENCE ")
    for index in (12, manifest_at + 40):  # a byte of the PDF, a byte of the manifest
        flipped = (
            data[:index] + (b"A" if data[index : index + 1] != b"A" else b"B") + data[index + 1 :]
        )
        tampered.write_bytes(flipped)
        result = CliRunner().invoke(
            main, ["audit", "verify-evidence", str(tampered), "--format", "json"]
        )
        assert result.exit_code == 1, result.output
        assert json.loads(result.stdout)["problems"][0] == (
            "the signature does not verify: the file was changed after it was signed"
        )
    other = public_key_b64(Ed25519PrivateKey.generate())
    wrong_key = CliRunner().invoke(
        main, ["audit", "verify-evidence", str(pdf), "--public-key", other]
    )
    assert wrong_key.exit_code == 1 and "not by the expected key" in wrong_key.stderr
    with pytest.raises(CertificateError, match="no signature trailer"):
        verify_certificate(data[: data.index(b"%PUBLISHER-EVIDENCE ")])
    plain = pdf.with_name("plain.pdf")
    plain.write_bytes(b"%PDF-1.7\n%%EOF\n")
    refused = CliRunner().invoke(main, ["audit", "verify-evidence", str(plain)])
    assert refused.exit_code == 2 and "not a signed evidence certificate" in refused.stderr
    assert "Traceback" not in refused.output


def test_a_re_signed_forgery_of_the_text_is_caught_by_the_hashes() -> None:
    """Even a certificate signed by the right key must hold texts that match their records."""
    from publisher.store.certificate import MANIFEST_TAG, SIGNATURE_TAG
    from publisher.store.signing import sign

    key = Ed25519PrivateKey.from_private_bytes(RAW)
    manifest = {
        "format": "publisher-evidence-certificate/1",
        "customer": {"id": "c1"},
        "acceptances": [
            {
                "record": {
                    "seq": 1,
                    "hash": "0" * 64,
                    "content_sha256": "1" * 64,
                    "policy": "p",
                    "version": "1",
                },
                "text": "You waive all rights.\n",
                "chain_proof": {"anchors": []},
            }
        ],
    }
    signed = (
        b"%PDF-1.7\n%%EOF\n"
        + MANIFEST_TAG
        + base64.b64encode(json.dumps(manifest).encode())
        + b"\n"
    )
    data = signed + SIGNATURE_TAG + f"{PUBLIC} {sign(key, signed)}\n".encode()
    check = verify_certificate(data, trusted_key=PUBLIC)
    assert check.problems == [
        "record seq 1 (p 1): the text does not hash to its content_sha256",
        "record seq 1 (p 1): its fields do not hash to its record hash",
    ]


def test_no_certificate_of_a_forged_stored_text(certified: tuple[Path, str, Path]) -> None:
    repo, url, pdf = certified
    settings = load_settings(repo, env={}, overrides={"database_url": url})
    db = migrate.open_store(settings)
    try:
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE policy_versions SET body = body || ' You waive all rights.'")
            )
    finally:
        db.dispose()
    target = pdf.with_name("forged.pdf")
    code, _, err = _run(
        repo, url, "acceptance", "evidence", "c1", "--format", "pdf", "--output", str(target)
    )
    assert code == 2 and "the stored text of acceptable-use version 2" in err
    assert not target.exists()
