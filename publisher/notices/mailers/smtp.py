"""The SMTP mailer (stdlib :mod:`smtplib`): STARTTLS, implicit TLS or plain, optional login.

One message per recipient (each is personal), over one connection kept open across batches.
Each message goes through ``MAIL``, ``RCPT`` and ``DATA`` step by step, so the outcome is
known precisely: anything refused or cut before ``DATA`` is certainly not sent (retry, or
failed for a 5xx answer); a connection lost or timed out during ``DATA`` may have delivered
the message (unknown); a 4xx/5xx answer to the data means not delivered.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from publisher.notices.mailers.base import (
    Batch,
    BatchResult,
    Mailer,
    MailerError,
    Outcome,
    RecipientResult,
)
from publisher.notices.mailers.message import build_message, message_id


@dataclass(frozen=True)
class SMTPOptions:
    """Where and how to connect (the ``smtp_*`` and ``mail_timeout`` settings)."""

    host: str
    port: int
    security: str = "starttls"
    """``starttls``, ``ssl`` (implicit TLS, port 465) or ``none``."""
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None
    """Certificates to trust (default: the system's)."""


class _Refused(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"SMTP {code} {' '.join(text.split())}"


class SMTPMailer(Mailer):
    """Sends each message over SMTP."""

    name = "smtp"
    max_batch = 50
    unavailable_hint = (
        "check smtp_host, smtp_port and the server, then run the same command again to resume"
    )

    def __init__(self, options: SMTPOptions, *, now: Callable[[], datetime]) -> None:
        if options.security not in ("starttls", "ssl", "none"):
            raise MailerError(
                f"smtp_security must be starttls, ssl or none, not {options.security!r}"
            )
        self.options = options
        self._now = now
        self._connection: smtplib.SMTP | None = None

    # -- connection -----------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        options = self.options
        context = options.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if options.security == "ssl":
            connection = smtplib.SMTP_SSL(
                options.host, options.port, timeout=options.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(options.host, options.port, timeout=options.timeout)
        try:
            connection.ehlo()
            if options.security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if options.username:
                connection.login(options.username, options.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                self._connection.close()
            self._connection = None

    # -- sending --------------------------------------------------------------------------

    def send(self, batch: Batch) -> BatchResult:
        results: dict[int, RecipientResult] = {}
        where = f"{self.options.host}:{self.options.port}"
        if self._connection is None:
            try:
                self._connection = self._connect()
            except smtplib.SMTPAuthenticationError as exc:
                return BatchResult(
                    results,
                    abort=f"{where} refused the login: "
                    f"{_reply(exc.smtp_code, exc.smtp_error)} (check "
                    "smtp_username and smtp_password)",
                )
            except smtplib.SMTPNotSupportedError as exc:
                return BatchResult(results, abort=f"{where}: {exc} (check smtp_security)")
            except ssl.SSLError as exc:
                return BatchResult(
                    results,
                    abort=f"{where}: TLS failed: {exc.reason or exc} "
                    "(check smtp_security and smtp_port)",
                )
            except (ConnectionRefusedError, socket.gaierror) as exc:
                # Nobody listens there, or the name does not resolve: a setup error that
                # waiting will not fix. Stop at once; the rows stay queued.
                reason = (
                    "connection refused"
                    if isinstance(exc, ConnectionRefusedError)
                    else f"cannot resolve {self.options.host!r} ({exc.strerror or exc})"
                )
                error = f"cannot connect to {where}: {reason}"
                return BatchResult.every(
                    batch,
                    "retry",
                    error=error,
                    abort=(f"{error} (check smtp_host, smtp_port and smtp_security)"),
                )
            except (smtplib.SMTPException, OSError) as exc:
                return BatchResult.every(
                    batch,
                    "retry",
                    error=f"cannot connect to {where}: {exc or type(exc).__name__}",
                    unavailable=True,
                )
        connection = self._connection
        sender = batch.sender.addr_spec
        for recipient in batch.recipients:
            msg_id = message_id(batch, recipient)
            try:
                data = build_message(batch, recipient, date=self._now(), msg_id=msg_id).as_bytes()
            except (ValueError, IndexError) as exc:
                results[recipient.delivery_id] = RecipientResult(
                    "failed", error=f"cannot build the message: {exc}"
                )
                continue
            try:
                self._envelope(connection, sender, recipient.email)
            except _Refused as refused:
                outcome: Outcome = "failed" if refused.code >= 500 else "retry"
                results[recipient.delivery_id] = RecipientResult(
                    outcome, error=_reply(refused.code, refused.text)
                )
                self._reset(connection)
                continue
            except (smtplib.SMTPException, OSError) as exc:  # nothing sent yet
                self._drop()
                results[recipient.delivery_id] = RecipientResult(
                    "retry", error=f"{where}: {exc or type(exc).__name__}"
                )
                return BatchResult(results)
            try:
                connection.data(data)
            except smtplib.SMTPDataError as exc:  # an answer: not delivered
                outcome = "failed" if exc.smtp_code >= 500 else "retry"
                results[recipient.delivery_id] = RecipientResult(
                    outcome, error=_reply(exc.smtp_code, exc.smtp_error)
                )
                self._reset(connection)
                continue
            except (smtplib.SMTPException, OSError) as exc:  # cut off during DATA
                self._drop()
                results[recipient.delivery_id] = RecipientResult(
                    "unknown",
                    error=f"{where}: connection lost while sending the message "
                    f"({exc or type(exc).__name__})",
                )
                return BatchResult(results)
            results[recipient.delivery_id] = RecipientResult("sent", msg_id)
        return BatchResult(results)

    @staticmethod
    def _envelope(connection: smtplib.SMTP, sender: str, to: str) -> None:
        connection.ehlo_or_helo_if_needed()
        code, text = connection.mail(sender)
        if code != 250:
            if code == 421:
                raise smtplib.SMTPServerDisconnected(_reply(code, text))
            raise _Refused(code, text.decode("utf-8", "replace"))
        code, text = connection.rcpt(to)
        if code not in (250, 251):
            if code == 421:
                raise smtplib.SMTPServerDisconnected(_reply(code, text))
            raise _Refused(code, text.decode("utf-8", "replace"))

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
