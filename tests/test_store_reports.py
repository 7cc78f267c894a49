"""Acceptance reports (text golden file, JSON, CSV) and the evidence export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import store_support as support
from goldens import Golden

from publisher.document import body_sha256
from publisher.errors import NotFoundError
from publisher.store.db import Database
from publisher.store.evidence import (
    EvidenceError,
    collect_evidence,
    evidence_document,
    write_evidence,
)
from publisher.store.ledger import record_acceptance
from publisher.store.models import Delivery, DeliveryEvent, Notice
from publisher.store.reports import acceptance_report, render_csv, render_text

GOLDEN = Path(__file__).parent / "golden" / "store"
POLICY = "acceptable-use"
T0 = datetime(2024, 4, 2, 9, 15, 0, 250000, tzinfo=UTC)


def _scenario(db: Database) -> int:
    """c1 accepted 1 and 2, c2 accepted 1, c3 nothing; a notice for 2 was sent to c2 and c3."""
    support.seed(db)
    with db.session() as session, session.begin():
        notice = Notice(
            slug=POLICY,
            version_label="2",
            subject="Our AUP changes on 1 April",
            summary="Bulk mail and scanning.",
            status="sent",
            forced=False,
            created_at=T0,
        )
        session.add(notice)
        session.flush()
        for customer, email in (("c2", "bob@example.org"), ("c3", "cy@example.net")):
            delivery = Delivery(
                notice_id=notice.id,
                customer_id=customer,
                email=email,
                since_label="1" if customer == "c2" else None,
                state="sent",
                attempts=1,
                message_id=f"msg-{customer}",
                queued_at=T0,
                sent_at=T0,
            )
            session.add(delivery)
            session.flush()
            session.add_all(
                [
                    DeliveryEvent(
                        delivery_id=delivery.id,
                        provider_event_id=f"ev-{customer}-1",
                        event="processed",
                        occurred_at=T0,
                        received_at=T0,
                        payload=json.dumps({"sg_event_id": f"ev-{customer}-1"}),
                    ),
                    DeliveryEvent(
                        delivery_id=delivery.id,
                        provider_event_id=f"ev-{customer}-2",
                        event="delivered",
                        occurred_at=T0,
                        received_at=T0,
                    ),
                ]
            )
        notice_id = notice.id
    record_acceptance(
        db,
        customer_id="c1",
        policy=POLICY,
        version="1",
        method="import",
        now=lambda: T0.replace(month=2),
    )
    record_acceptance(
        db,
        customer_id="c2",
        policy=POLICY,
        version="1",
        method="link",
        ip="198.51.100.7",
        user_agent="Mozilla/5.0",
        now=lambda: T0.replace(month=3),
    )
    record_acceptance(
        db,
        customer_id="c1",
        policy=POLICY,
        version="2",
        method="link",
        notice_id=None,
        ip="203.0.113.5",
        user_agent="Mozilla/5.0 (X11)",
        now=lambda: T0,
    )
    return notice_id


def test_report_counts_rates_and_pending(database: Database) -> None:
    _scenario(database)
    report = acceptance_report(database)
    by_version = {v.version: v for v in report.versions}
    assert [(v.accepted, v.pending, v.rate) for v in report.versions] == [
        (2, 0, 2 / 3),
        (1, 2, 1 / 3),
    ]
    assert by_version["1"].superseded == 1 and by_version["2"].superseded == 0
    v2 = by_version["2"]
    assert v2.current and not by_version["1"].current
    assert [(c.id, c.last_accepted, c.notified) for c in v2.pending_customers] == [
        ("c2", "1", True),
        ("c3", None, True),
    ]
    data = report.to_dict()
    assert data["versions"][1]["rate"] == 0.3333
    assert data["versions"][1]["pending_customers"][0]["email"] == "bob@example.org"
    json.dumps(data)  # JSON-ready


def test_report_text_matches_the_golden_file(database: Database, golden: Golden) -> None:
    _scenario(database)
    golden(GOLDEN / "report.txt", render_text(acceptance_report(database)))


def test_report_csv_lists_every_customer_per_version(database: Database) -> None:
    _scenario(database)
    rows = list(csv.DictReader(io.StringIO(render_csv(acceptance_report(database, version="2")))))
    assert [(r["customer_id"], r["status"], r["accepted_at"], r["notified"]) for r in rows] == [
        ("c1", "accepted", "2024-04-02T09:15:00.250000Z", "no"),
        ("c2", "pending", "", "yes"),
        ("c3", "pending", "", "yes"),
    ]


def test_a_superseded_version_is_never_pending(database: Database) -> None:
    """c3 accepted only the current version 2, c2 only version 1, c1 nothing: nobody is
    pending for version 1, and the reminders CSV chases only c1 and c2 for version 2."""
    support.seed(database)
    record_acceptance(
        database, customer_id="c3", policy=POLICY, version="2", method="link", now=lambda: T0
    )
    record_acceptance(
        database,
        customer_id="c2",
        policy=POLICY,
        version="1",
        method="link",
        now=lambda: T0.replace(month=1),
    )
    report = acceptance_report(database)
    old, current = report.versions
    assert (old.version, old.current, old.accepted, old.pending, old.superseded) == (
        "1",
        False,
        1,
        0,
        2,
    )
    assert old.pending_customers == ()
    assert {c.id: c.status for c in old.customers} == {
        "c1": "superseded",
        "c2": "accepted",
        "c3": "superseded",
    }
    assert [c.id for c in current.pending_customers] == ["c1", "c2"]
    data = report.to_dict()["versions"]
    assert (data[0]["pending"], data[0]["superseded"], data[0]["pending_customers"]) == (0, 2, [])
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert sorted((r["version"], r["customer_id"]) for r in rows if r["status"] == "pending") == [
        ("2", "c1"),
        ("2", "c2"),
    ]
    assert {(r["customer_id"], r["status"]) for r in rows if r["version"] == "1"} == {
        ("c1", "superseded"),
        ("c2", "accepted"),
        ("c3", "superseded"),
    }
    text = render_text(acceptance_report(database, version="1"))
    assert "pending for" not in text
    assert text.splitlines()[2].split()[-2:] == ["–", "33.3%"]


def test_report_csv_neutralises_spreadsheet_formulas(database: Database) -> None:
    from publisher.store.customers import CustomerRow, import_customers

    support.seed(database)
    hostile = {
        '=HYPERLINK("http://evil.example","x")': "+cmd|' /C calc'!A0",
        "-2+3": "@SUM(A1:A9)",
        "\tTabbed": "\rReturn",
    }
    import_customers(
        database,
        [
            CustomerRow(10 + i, f"h{i}", f"h{i}@example.com", name, company, None)
            for i, (name, company) in enumerate(hostile.items())
        ],
    )
    report = render_csv(acceptance_report(database, version="2"))
    rows = list(csv.DictReader(io.StringIO(report, newline="")))
    cells = {(r["name"], r["company"]) for r in rows if r["customer_id"].startswith("h")}
    assert cells == {(f"'{name}", f"'{company}") for name, company in hostile.items()}
    plain = {(r["name"], r["company"]) for r in rows if r["customer_id"] == "c1"}
    assert plain == {("Ada Lovelace", "Analytical Ltd")}  # ordinary text is left alone


def test_report_filters_and_unknown_names(database: Database) -> None:
    _scenario(database)
    assert [
        v.version for v in acceptance_report(database, policy=POLICY, version="1").versions
    ] == ["1"]
    with pytest.raises(NotFoundError, match="no policy 'privacy'"):
        acceptance_report(database, policy="privacy")
    with pytest.raises(NotFoundError, match="no version '7'") as caught:
        acceptance_report(database, version="7")
    assert caught.value.hint == "known versions: 1, 2"


def test_empty_store_report(database: Database) -> None:
    assert render_text(acceptance_report(database)).startswith("no policy versions")


def test_evidence_holds_records_texts_notices_and_events(database: Database) -> None:
    notice_id = _scenario(database)
    evidence = collect_evidence(database, "c2")
    document = evidence_document(evidence)
    assert document["customer"]["email"] == "bob@example.org"
    (accepted,) = document["acceptances"]
    record = accepted["record"]
    assert {
        k: record[k]
        for k in (
            "customer",
            "policy",
            "version",
            "method",
            "ip",
            "user_agent",
            "accepted_at",
            "notice",
        )
    } == {
        "customer": "c2",
        "policy": POLICY,
        "version": "1",
        "method": "link",
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0",
        "accepted_at": "2024-03-02T09:15:00.250000Z",
        "notice": None,
    }
    assert record["commit"] == f"{1:040x}" and len(record["hash"]) == 64
    assert accepted["text_matches_record"]
    assert hashlib.sha256(accepted["text"].encode()).hexdigest() == record["content_sha256"]
    assert record["content_sha256"] == body_sha256(support.BODY_V1)
    (notice,) = document["notices"]
    assert (
        notice["notice"],
        notice["version"],
        notice["state"],
        notice["changes_since_version"],
    ) == (notice_id, "2", "sent", "1")
    assert [e["event"] for e in notice["events"]] == ["processed", "delivered"]
    assert notice["events"][0]["payload"] == {"sg_event_id": "ev-c2-1"}
    assert document["ledger"]["ok"] and document["ledger"]["records"] == 3


def test_evidence_folder_texts_hash_to_the_records(database: Database, tmp_path: Path) -> None:
    _scenario(database)
    out = tmp_path / "evidence-c1"
    paths = write_evidence(collect_evidence(database, "c1"), out)
    names = sorted(str(p.relative_to(out)) for p in paths)
    assert names == [
        "README.txt",
        "SHA256SUMS",
        "evidence.json",
        "texts/acceptable-use/1.md",
        "texts/acceptable-use/2.md",
    ]
    document = json.loads((out / "evidence.json").read_text())
    for entry in document["acceptances"]:
        data = (out / entry["text_file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["record"]["content_sha256"]
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    readme = (out / "README.txt").read_text()
    assert (
        "acceptable-use version 2: accepted 2024-04-02T09:15:00.250000Z via link from "
        "203.0.113.5" in readme
    )
    assert "chain intact" in readme
    with pytest.raises(EvidenceError, match="is not empty"):
        write_evidence(collect_evidence(database, "c1"), out)


def test_evidence_text_of_a_crlf_body_still_hashes(database: Database) -> None:
    crlf = "# Terms  \r\n\r\nBe kind.\r\n\r\n"
    from publisher.store.versions import store_versions

    support.seed(database)
    store_versions(database, [support.version_text("terms", "1", 0, crlf)])
    record_acceptance(database, customer_id="c3", policy="terms", version="1", method="api")
    (entry,) = evidence_document(collect_evidence(database, "c3"))["acceptances"]
    assert entry["text"] == "# Terms\n\nBe kind.\n"
    assert hashlib.sha256(entry["text"].encode()).hexdigest() == entry["record"]["content_sha256"]


def test_evidence_for_unknown_customer(database: Database) -> None:
    with pytest.raises(NotFoundError, match="unknown customer 'zz'"):
        collect_evidence(database, "zz")


BODY_V3_EDITORIAL = support.BODY_V2.replace("shall not", "Shall Not").replace("mail.", "mail;")


def _with_version(db: Database, label: str, body: str, *, reaccept: str | None = None) -> None:
    from dataclasses import replace

    position = int(label) - 1
    support.store_versions(
        db, [replace(support.version_text(POLICY, label, position, body), reaccept=reaccept)]
    )


def test_an_editorial_version_carries_acceptances_forward(database: Database) -> None:
    """Version 3 changes 2 only editorially: c1 (accepted 2) is carried forward, not pending;
    c2 (accepted only 1, materially different) and c3 (nothing) are pending."""
    _scenario(database)
    _with_version(database, "3", BODY_V3_EDITORIAL)
    report = acceptance_report(database, version="3")
    [v3] = report.versions
    assert {c.id: (c.status, c.carried_from) for c in v3.customers} == {
        "c1": ("carried", "2"),
        "c2": ("pending", None),
        "c3": ("pending", None),
    }
    assert (v3.accepted, v3.carried, v3.pending) == (0, 1, 2)
    data = report.to_dict()["versions"][0]
    assert (data["carried"], data["pending"]) == (1, 2)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["customer_id"], r["status"]) for r in rows] == [
        ("c1", "carried"),
        ("c2", "pending"),
        ("c3", "pending"),
    ]


def test_reaccept_always_makes_editorial_versions_pending(database: Database) -> None:
    _scenario(database)
    _with_version(database, "3", BODY_V3_EDITORIAL, reaccept="always")
    [v3] = acceptance_report(database, version="3").versions
    assert [c.id for c in v3.pending_customers] == ["c1", "c2", "c3"]


def test_reaccept_never_carries_every_acceptance_forward(database: Database) -> None:
    _scenario(database)
    _with_version(database, "3", support.BODY_V1 + "3. You shall pay.\n", reaccept="never")
    [v3] = acceptance_report(database, version="3").versions
    assert [c.id for c in v3.pending_customers] == ["c3"]  # never accepted anything
