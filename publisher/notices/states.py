"""The outbox states of a delivery row, named once.

A notice's own status (:class:`NoticeStatus`) follows from its rows: ``draft`` until a send
starts, ``sending`` while rows are queued or sending, then ``sent`` or ``incomplete`` (some
rows failed or are of unknown outcome).

A row is ``queued`` → ``sending`` (claimed in a batch, handed to the mailer) → ``sent``,
``failed`` (refused for good; kept with its error) or ``unknown`` (the answer was lost: never
re-sent without a person settling it). A row the provider certainly did not take goes back
to ``queued``. The values are what the ``deliveries.state`` column holds.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """A delivery row's state (a ``str``: compares and serialises as its value)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


SETTLED = (State.SENT, State.FAILED, State.UNKNOWN)
"""The states a mailer's answer leaves a row in for good (this run)."""


class NoticeStatus(StrEnum):
    """A notice's status, set from its rows' states."""

    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"
    INCOMPLETE = "incomplete"
