"""A signed evidence certificate: one PDF a provider can hand to an auditor or a court.

The PDF (laid out by WeasyPrint, like :mod:`publisher.formats.pdf`) shows the customer, each
acceptance record with all its fields, the exact text accepted, the notices sent and their
delivery events, and the chain proof (the record's hash recomputed, the ledger's head and
verification at export, the signed anchors at or after the record). After the PDF's own end
come two comment lines and a copy of its ``startxref`` trailer, so PDF readers open it as
before::

    %PUBLISHER-EVIDENCE <base64 of the manifest: the evidence as JSON, texts inline>
    %PUBLISHER-SIGNATURE ed25519 <public key, base64> <signature, base64>
    startxref
    <offset>
    %%EOF

The signature is Ed25519 over every byte before the signature line (the PDF and the
manifest line). :func:`verify_certificate` needs nothing but the file: it checks the
signature, re-hashes each text against its record's ``content_sha256``, recomputes each
record's hash from its fields and checks the anchors' signatures.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publisher.document import body_sha256
from publisher.errors import PublisherError
from publisher.store.checkpoints import Anchor
from publisher.store.evidence import Evidence, evidence_document
from publisher.store.ledger import record_hash
from publisher.store.record import hashed_document
from publisher.store.signing import fingerprint, public_key_b64, sign, verify_signature

FORMAT = "publisher-evidence-certificate/1"
MANIFEST_TAG = b"%PUBLISHER-EVIDENCE "
SIGNATURE_TAG = b"%PUBLISHER-SIGNATURE ed25519 "
_TRAILER = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


class CertificateError(PublisherError):
    """The file is not a certificate this tool wrote (or is damaged)."""


def manifest(evidence: Evidence, anchors: list[Anchor]) -> dict[str, Any]:
    """What the certificate attests, as JSON: the evidence document (texts inline) and, per
    record, the chain proof."""
    document = evidence_document(evidence, inline_texts=True)
    for entry in document["acceptances"]:
        seq = entry["record"]["seq"]
        later = [a for a in anchors if a.seq >= seq]
        entry["chain_proof"] = {
            "record_hash": entry["record"]["hash"],
            "anchors": [a.to_dict() for a in later[:1] + later[-1:]] if later else [],
        }
    return {"format": FORMAT, **document}


def _row(label: str, value: object) -> str:
    shown = "—" if value is None else str(value)
    return f"<tr><th>{escape(label)}</th><td><code>{escape(shown)}</code></td></tr>"


def certificate_html(data: dict[str, Any], key_fingerprint: str) -> str:
    """The human-readable page of the certificate."""
    customer = data["customer"]
    parts = [
        "<h1>Acceptance evidence certificate</h1>",
        f"<p>Customer <b>{escape(customer['name'])}</b> &lt;{escape(customer['email'])}&gt;, "
        f"id <code>{escape(customer['id'])}</code>. Generated {escape(data['generated_at'])}. "
        f"Signed with Ed25519 key {escape(key_fingerprint)}; check with "
        "<code>publisher audit verify-evidence FILE</code>.</p>",
    ]
    ledger = data["ledger"]
    verdict = "intact" if ledger["ok"] else "NOT intact"
    parts.append(
        f"<p>Ledger at export: {ledger['records']} records, chain {verdict}, head seq "
        f"{ledger['head']['seq']} <code>{escape(ledger['head']['hash'])}</code>.</p>"
    )
    for entry in data["acceptances"]:
        record = entry["record"]
        parts.append(f"<h2>{escape(record['policy'])} version {escape(record['version'])}</h2>")
        parts.append(
            "<table>"
            + "".join(
                _row(k, record[k])
                for k in (
                    "seq",
                    "customer",
                    "policy",
                    "version",
                    "accepted_at",
                    "method",
                    "ip",
                    "user_agent",
                    "notice",
                    "commit",
                    "content_sha256",
                    "prev_hash",
                    "hash",
                )
            )
            + "</table>"
        )
        proof = entry["chain_proof"]
        anchors = "; ".join(f"seq {a['seq']} {a['hash']} at {a['at']}" for a in proof["anchors"])
        parts.append(
            f"<p>Chain proof: the record's fields hash to <code>{proof['record_hash']}"
            f"</code>; anchored outside the database: {escape(anchors or 'none yet')}.</p>"
        )
        parts.append("<h3>The exact text accepted</h3>")
        parts.append(f'<pre class="text">{escape(entry.get("text", ""))}</pre>')
    parts.append("<h2>Notices sent</h2>")
    if not data["notices"]:
        parts.append("<p>None.</p>")
    for notice in data["notices"]:
        parts.append(f"<h3>Notice {notice['notice']}: {escape(notice['subject'])}</h3>")
        parts.append(
            "<table>"
            + "".join(
                _row(k, notice[k])
                for k in (
                    "policy",
                    "version",
                    "email",
                    "state",
                    "queued_at",
                    "sent_at",
                    "message_id",
                    "changes_since_version",
                )
            )
            + "</table>"
        )
        events = notice["events"] or [{"event": "none recorded", "occurred_at": ""}]
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{escape(str(e['event']))} {escape(str(e['occurred_at']))}</li>"
                for e in events
            )
            + "</ul>"
        )
    css = (
        "@page { size: A4; margin: 18mm; } body { font: 10pt/1.4 sans-serif; } "
        "code { font-size: 8.5pt; word-break: break-all; } "
        "table { border-collapse: collapse; width: 100%; } "
        "th { text-align: left; width: 9em; vertical-align: top; } "
        "pre.text { white-space: pre-wrap; border: 1px solid #000; padding: 6pt; "
        "font-size: 9pt; }"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f"Acceptance evidence: {escape(customer['id'])}</title><style>{css}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def certificate_pdf(evidence: Evidence, anchors: list[Anchor], key: Ed25519PrivateKey) -> bytes:
    """The signed certificate's bytes."""
    from publisher.formats.pdf import html_to_pdf

    data = manifest(evidence, anchors)
    public = public_key_b64(key)
    pdf = html_to_pdf(certificate_html(data, fingerprint(public)))
    trailer = _TRAILER.search(pdf[-1024:])
    if trailer is None:
        raise CertificateError("the PDF has no startxref trailer to repeat")
    if not pdf.endswith(b"\n"):
        pdf += b"\n"
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    signed = pdf + MANIFEST_TAG + base64.b64encode(encoded.encode("utf-8")) + b"\n"
    signature = sign(key, signed)
    return (
        signed
        + SIGNATURE_TAG
        + f"{public} {signature}\n".encode("ascii")
        + b"startxref\n"
        + trailer.group(1)
        + b"\n%%EOF\n"
    )


@dataclass
class CertificateCheck:
    """The result of :func:`verify_certificate`."""

    key: str
    """The signer's public key (base64)."""
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "key": self.key,
            "key_fingerprint": fingerprint(self.key),
            "customer": self.manifest.get("customer", {}).get("id"),
            "acceptances": [
                {
                    "seq": e["record"]["seq"],
                    "policy": e["record"]["policy"],
                    "version": e["record"]["version"],
                    "hash": e["record"]["hash"],
                    "content_sha256": e["record"]["content_sha256"],
                }
                for e in self.manifest.get("acceptances", [])
            ],
            "problems": self.problems,
        }


def _split(data: bytes) -> tuple[bytes, bytes, str, str]:
    """(signed bytes, manifest as base64, public key, signature) of a certificate file."""
    at = data.rfind(b"\n" + SIGNATURE_TAG)
    start = data.rfind(b"\n" + MANIFEST_TAG, 0, at if at >= 0 else len(data))
    if at < 0 or start < 0:
        raise CertificateError(
            "not a signed evidence certificate (no signature trailer)",
            hint="give a PDF written by `publisher acceptance evidence ID --format pdf`",
        )
    signed = data[: at + 1]
    line = data[at + 1 + len(SIGNATURE_TAG) :].split(b"\n", 1)[0].decode("ascii", "replace")
    public, _, signature = line.partition(" ")
    return signed, data[start + 1 + len(MANIFEST_TAG) : at], public, signature


def verify_certificate(data: bytes, *, trusted_key: str | None = None) -> CertificateCheck:
    """Check a certificate offline: signature (and signer, given ``trusted_key``), each
    text against its record, each record's hash, each anchor's signature."""
    signed, encoded, public, signature = _split(data)
    try:
        content = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        content = None
    check = CertificateCheck(public, content if isinstance(content, dict) else {})
    if not verify_signature(public, signature, signed):
        check.problems.append(
            "the signature does not verify: the file was changed after it was signed"
        )
    if content is None:
        check.problems.append("the manifest is damaged (not base64 of JSON)")
        return check
    if trusted_key is not None and public != trusted_key:
        check.problems.append(
            f"signed by key {fingerprint(public)}, not by the expected key "
            f"{fingerprint(trusted_key)}"
        )
    if check.manifest.get("format") != FORMAT:
        check.problems.append(f"unknown certificate format {check.manifest.get('format')!r}")
    for entry in check.manifest.get("acceptances", []):
        record = dict(entry["record"])
        where = f"record seq {record.get('seq')} ({record.get('policy')} {record.get('version')})"
        text = entry.get("text")
        if text is None or body_sha256(text) != record.get("content_sha256"):
            check.problems.append(f"{where}: the text does not hash to its content_sha256")
        stated = record.get("hash")
        if record_hash(hashed_document(record)) != stated:
            check.problems.append(f"{where}: its fields do not hash to its record hash")
        for anchor in entry.get("chain_proof", {}).get("anchors", []):
            if not Anchor.from_dict(anchor, line=0).signed:
                check.problems.append(
                    f"{where}: anchor seq {anchor.get('seq')} is not validly signed"
                )
    return check
