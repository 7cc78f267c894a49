"""The SMTP mailer against a real SMTP server (aiosmtpd): STARTTLS with login, implicit TLS,
plain; the messages parse as MIME with text and HTML parts and the right headers; the links
work (the acceptance service opens the accept link, the built site has the redline page);
refusals per recipient."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import notices_support as support
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text
from starlette.testclient import TestClient

from publisher.links import signer_for
from publisher.notices import campaign, runner
from publisher.notices.mailers.smtp import SMTPMailer, SMTPOptions
from publisher.notices.outbox import SendOptions, send_notice
from publisher.pages import Urls
from publisher.store.models import utcnow
from publisher.web import create_app

USER, PASSWORD = "notices", "s3cret"


@dataclass
class Inbox:
    """What the SMTP server received."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient address -> SMTP reply to RCPT."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(content, policy=email.policy.default)  # type: ignore[misc]
            for _, _, content in self.messages
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(
    certificate: tuple[Path, Path], request: pytest.FixtureRequest
) -> Iterator[tuple[Inbox, int, str, ssl.SSLContext]]:
    """An aiosmtpd server: ``starttls`` (with required login), ``ssl`` or ``none``."""
    security = getattr(request, "param", "starttls")
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    inbox = Inbox()
    port = _free_port()
    kwargs: dict[str, Any] = {}
    if security == "starttls":
        kwargs = {
            "tls_context": server_context,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_required": True,
        }
    elif security == "ssl":
        kwargs = {"ssl_context": server_context}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port, security, client_context
    finally:
        controller.stop()


def _mailer(port: int, security: str, context: ssl.SSLContext, **changes: Any) -> SMTPMailer:
    options = SMTPOptions(
        host="127.0.0.1",
        port=port,
        security=security,
        username=USER if security == "starttls" else "",
        password=PASSWORD if security == "starttls" else "",
        timeout=5,
        ssl_context=context,
    )
    for key, value in changes.items():
        options = SMTPOptions(**{**options.__dict__, key: value})
    return SMTPMailer(options, now=utcnow)


def _send(
    setup: support.Setup, mailer: SMTPMailer, options: SendOptions | None = None
) -> campaign.NoticeInfo:
    notice = setup.create().notice
    sender = runner.sender_for(setup.settings, mailer="smtp")
    with runner.change_source(setup.settings, warn=lambda _: None) as source, mailer:
        renderer = runner.renderer_for(
            setup.database, setup.settings, notice, source, sender=sender, warn=lambda _: None
        )
        send_notice(
            setup.database,
            notice.id,
            mailer,
            renderer,
            sender=sender.address,
            reply_to=sender.reply_to,
            options=options or SendOptions(),
        )
    return notice


def _links(text_part: str) -> list[str]:
    return re.findall(r"https?://\S+", text_part)


@pytest.mark.parametrize("smtp_server", ["starttls", "ssl", "none"], indirect=True)
def test_messages_are_mime_with_text_html_and_headers(
    sqlite_setup: support.Setup,
    smtp_server: tuple[Inbox, int, str, ssl.SSLContext],
) -> None:
    inbox, port, security, context = smtp_server
    notice = _send(sqlite_setup, _mailer(port, security, context))
    assert len(inbox.messages) == 3
    with sqlite_setup.database.engine.connect() as connection:
        rows = {
            r.email: r
            for r in connection.execute(
                text("SELECT customer_id, email, state, message_id, sent_at FROM deliveries")
            )
        }
    names = {
        "ada@example.com": "Ada Lovelace",
        "bob@example.org": "Bob Stone",
        "cy@example.net": "Cy Young",
    }
    signer = signer_for(sqlite_setup.settings)
    for (mail_from, rcpt, _), message in zip(inbox.messages, inbox.parsed(), strict=True):
        to = rcpt[0]
        row = rows[to]
        assert mail_from == "legal@northwind.example" and row.state == "sent"
        assert message["From"] == support.MAIL_FROM
        assert message["To"] == f"{names[to]} <{to}>"
        assert message["Subject"].strip() == notice.subject  # folded when long: unfolds as is
        assert message["Message-ID"] == row.message_id
        assert re.fullmatch(
            r"<notice-\d+\.\d+\.[0-9a-f-]+@northwind\.example>", message["Message-ID"]
        )
        sent = parsedate_to_datetime(message["Date"])
        assert sent.tzinfo is not None and abs((sent - utcnow()).total_seconds()) < 120
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f"Dear {names[to]}," in plain and "%%" not in plain and "%%" not in html
        accept = next(link for link in _links(plain) if "/a/" in link)
        assert f'href="{accept}"' in html
        claims = signer.verify(accept.rsplit("/", 1)[1])
        assert (claims.customer, claims.policy, claims.version, claims.notice) == (
            row.customer_id,
            support.POLICY,
            "3",
            notice.id,
        )


def test_the_links_work(
    sqlite_setup: support.Setup, smtp_server: tuple[Inbox, int, str, ssl.SSLContext], tmp_path: Path
) -> None:
    from sitebuild import build_site_cli

    inbox, port, security, context = smtp_server
    _send(sqlite_setup, _mailer(port, security, context))
    message = next(m for m in inbox.parsed() if m["To"].addresses[0].username == "ada")
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = _links(plain)
    accept = next(link for link in links if "/a/" in link)
    redline = next(link for link in links if "/changes/" in link)
    policy = next(link for link in links if link.endswith("/acceptable-use/"))

    app = create_app(sqlite_setup.settings, database=sqlite_setup.database)
    with TestClient(app) as client:
        page = client.get(accept.removeprefix(sqlite_setup.settings.accept_url))
    assert page.status_code == 200
    assert "I accept" in page.text and "Ada Lovelace" in page.text

    site = tmp_path / "site"
    built = build_site_cli(sqlite_setup.root, site, tmp_path / "cache")
    assert built.exit_code == 0, built.output
    base = sqlite_setup.settings.site_url.rstrip("/") + "/"
    assert redline == base + Urls().changes(support.POLICY, "1", "3")  # Ada accepted v1
    for link in (redline, policy):
        assert (site / link.removeprefix(base) / "index.html").is_file(), link


def test_refused_recipients_fail_or_wait_per_reply(
    sqlite_setup: support.Setup,
    smtp_server: tuple[Inbox, int, str, ssl.SSLContext],
) -> None:
    inbox, port, security, context = smtp_server
    inbox.refuse = {
        "bob@example.org": "550 5.1.1 No such user",
        "cy@example.net": "451 4.3.0 Try again later",
    }
    notice = _send(sqlite_setup, _mailer(port, security, context), SendOptions(backoff_base=0.01))
    with sqlite_setup.database.engine.connect() as connection:
        rows = {
            r.customer_id: r
            for r in connection.execute(
                text("SELECT customer_id, state, last_error FROM deliveries")
            )
        }
    assert rows["c1"].state == "sent"
    assert rows["c2"].state == "failed"
    assert rows["c2"].last_error == "SMTP 550 5.1.1 No such user"
    assert rows["c3"].state == "failed"  # 451 every time: retried, then given up
    assert rows["c3"].last_error.startswith("gave up after 8 attempts: SMTP 451")
    assert len(inbox.messages) == 1
    assert campaign.get_notice(sqlite_setup.database, notice.id).status == "incomplete"


def test_a_wrong_password_stops_without_losing_rows(
    sqlite_setup: support.Setup,
    smtp_server: tuple[Inbox, int, str, ssl.SSLContext],
) -> None:
    inbox, port, security, context = smtp_server
    notice = sqlite_setup.create().notice
    mailer = _mailer(port, security, context, password="wrong")
    sender = runner.sender_for(sqlite_setup.settings, mailer="smtp")
    with runner.change_source(sqlite_setup.settings, warn=lambda _: None) as source, mailer:
        renderer = runner.renderer_for(
            sqlite_setup.database,
            sqlite_setup.settings,
            notice,
            source,
            sender=sender,
            warn=lambda _: None,
        )
        report = send_notice(
            sqlite_setup.database,
            notice.id,
            mailer,
            renderer,
            sender=sender.address,
            options=SendOptions(),
        )
    assert report.aborted is not None and "refused the login" in report.aborted
    assert report.counts["queued"] == 3 and not inbox.messages


def test_nobody_listening_means_not_sent(sqlite_setup: support.Setup) -> None:
    from publisher.notices.mailers.base import Batch, EmailTemplate, Recipient

    mailer = SMTPMailer(
        SMTPOptions(host="127.0.0.1", port=_free_port(), security="none", timeout=5), now=utcnow
    )
    sender = runner.sender_for(sqlite_setup.settings, mailer="smtp")
    batch = Batch(
        id="b",
        notice_id=1,
        template=EmailTemplate("s", "t", "<p>h"),
        recipients=(Recipient(1, "c1", "ada@example.com", "Ada"),),
        sender=sender.address,
    )
    answer = mailer.send(batch)
    assert answer.outcome(1).outcome == "retry"  # certainly not a sent message
    assert answer.abort is not None  # a setup error: waiting will not fix it
    assert "cannot connect to 127.0.0.1" in answer.abort
    assert "smtp_host, smtp_port and smtp_security" in answer.abort


def test_the_cli_stops_at_once_when_nobody_listens(sqlite_setup: support.Setup) -> None:
    notice = sqlite_setup.create().notice
    result = sqlite_setup.cli(
        "notice",
        "send",
        str(notice.id),
        "--mailer",
        "smtp",
        env={
            "PUBLISHER_SMTP_HOST": "127.0.0.1",
            "PUBLISHER_SMTP_PORT": str(_free_port()),
            "PUBLISHER_SMTP_SECURITY": "none",
        },
    )
    assert result.exit_code == 3, result.output  # stopped early, rows still queued
    assert "retrying" not in result.stderr
    assert "this run sent 0, failed 0, unknown 0 in 0 batches" in result.stdout
    assert "now queued 3" in result.stdout
    stopped = [line for line in result.stderr.splitlines() if line.startswith("stopped: ")]
    assert len(stopped) == 1 and "connection refused" in stopped[0].lower()
    assert "smtp_host, smtp_port and smtp_security" in stopped[0]


@pytest.mark.parametrize("smtp_server", ["none"], indirect=True)
def test_the_cli_sends_over_smtp(
    sqlite_setup: support.Setup, smtp_server: tuple[Inbox, int, str, ssl.SSLContext]
) -> None:
    inbox, port, _, _ = smtp_server
    notice = sqlite_setup.create().notice
    result = sqlite_setup.cli(
        "notice",
        "send",
        str(notice.id),
        "--mailer",
        "smtp",
        env={
            "PUBLISHER_SMTP_HOST": "127.0.0.1",
            "PUBLISHER_SMTP_PORT": str(port),
            "PUBLISHER_SMTP_SECURITY": "none",
        },
    )
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 3
