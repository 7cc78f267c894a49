"""The one interface every mailer implements, and the values it passes around.

The outbox hands a mailer a :class:`Batch`: one recipient group's email, rendered once with
placeholders (:class:`EmailTemplate`), and up to :attr:`Mailer.max_batch` recipients with
their personal values. The mailer answers a :class:`BatchResult` saying, per recipient,
what is known about the message:

``sent``
    the provider (or the folder) took it; ``message_id`` says under which id;
``failed``
    refused for good (a 4xx answer, a refused address): retrying would fail the same way;
``retry``
    certainly not taken (a 429, a 5xx, a refused connection): safe to send again;
``unknown``
    the request may have been taken (a timeout or a reset after it was sent): never re-sent
    without a person deciding (``publisher notice settle``).

A recipient missing from ``results`` was not attempted (``retry``). Mailers never raise for a
delivery problem; they raise :class:`MailerError` only when they cannot work at all
(configuration), before anything was sent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from types import TracebackType
from typing import Literal

from publisher.errors import ConfigError

Outcome = Literal["sent", "failed", "retry", "unknown"]
"""What a mailer knows of one recipient's message (not a row state: ``retry`` puts the row
back in the queue)."""


class MailerError(ConfigError):
    """A mailer cannot send at all (missing sender, API key, unreachable configuration)."""


@dataclass(frozen=True)
class EmailTemplate:
    """One group's email, rendered once: subject, plain text and HTML, with placeholders
    (``%%name%%`` …) for the personal values of each recipient."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Recipient:
    """One outbox row handed to a mailer.

    ``text_values`` and ``html_values`` map placeholders to this recipient's values, for the
    text part and (already HTML-escaped) for the HTML part.
    """

    delivery_id: int
    customer_id: str
    email: str
    name: str
    text_values: Mapping[str, str] = field(default_factory=dict)
    html_values: Mapping[str, str] = field(default_factory=dict)

    def personalise(self, template: EmailTemplate) -> EmailTemplate:
        """The template with this recipient's values in place of the placeholders."""
        text, html, subject = template.text, template.html, template.subject
        for key, value in self.text_values.items():
            text = text.replace(key, value)
            subject = subject.replace(key, value)
        for key, value in self.html_values.items():
            html = html.replace(key, value)
        return EmailTemplate(subject=subject, text=text, html=html)


@dataclass(frozen=True)
class Batch:
    """Recipients of one group sent together (one API request for SendGrid)."""

    id: str
    notice_id: int
    template: EmailTemplate
    recipients: tuple[Recipient, ...]
    sender: Address
    reply_to: Address | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra headers for every message (``List-Id``, ``X-Publisher-Notice`` …)."""
    kind: str = "notice"
    """``notice``, or ``receipt`` (then ``notice_id`` is the ledger record's seq)."""


@dataclass(frozen=True)
class RecipientResult:
    """What is known about one recipient's message after a send."""

    outcome: Outcome
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """A mailer's answer for a batch.

    ``retry_after``: seconds the provider asked us to wait before the next request (429).
    ``abort``: a reason to stop the whole run after recording this batch (bad credentials,
    a sender the provider refuses): every further batch would fail the same way.
    ``unavailable``: the provider took none of the batch because it is down, overloaded or
    out of reach (a 5xx, no connection), not because of these recipients: the attempt does
    not count against the rows, and a run of them stops the send (an outage).
    """

    results: Mapping[int, RecipientResult]
    retry_after: float | None = None
    abort: str | None = None
    unavailable: bool = False

    @classmethod
    def every(
        cls,
        batch: Batch,
        outcome: Outcome,
        *,
        message_id: str | None = None,
        error: str | None = None,
        retry_after: float | None = None,
        abort: str | None = None,
        unavailable: bool = False,
    ) -> BatchResult:
        """The same result for every recipient of ``batch``."""
        result = RecipientResult(outcome, message_id, error)
        return cls(
            {r.delivery_id: result for r in batch.recipients}, retry_after, abort, unavailable
        )

    def outcome(self, delivery_id: int) -> RecipientResult:
        """The result for one recipient (``retry`` when it was not attempted)."""
        return self.results.get(delivery_id, RecipientResult("retry"))


class Mailer(ABC):
    """Sends batches. Use as a context manager: connections are opened lazily and closed at
    the end."""

    name: str = ""
    max_batch: int = 1
    """The most recipients one :meth:`send` takes."""
    unavailable_hint: str = "check the mailer's settings"
    """What to check when the provider stays unavailable (named when an outage stops a run)."""

    @abstractmethod
    def send(self, batch: Batch) -> BatchResult:
        """Send every recipient of ``batch``; never raises for a delivery problem."""

    def probe(self, notice_id: int, recipients: Sequence[Recipient]) -> dict[int, bool] | None:
        """For recipients whose send outcome was lost (a crash): whether each message was
        certainly delivered (True) or certainly not (False); None when the mailer cannot
        tell (the default: only the folder mailer can look)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, not every mailer holds anything
        """Release connections."""

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
