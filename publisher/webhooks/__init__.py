"""Outbound webhooks: signed, retried, resumable POSTs to the provider's endpoints on every
acceptance and notice delivery event.

- :mod:`~publisher.webhooks.signature`: the ``Publisher-Signature`` header and
  :func:`verify_signature`, which a receiver written in Python can use as is;
- :mod:`~publisher.webhooks.endpoints`: the endpoints (``publisher webhooks add/list/remove``);
- :mod:`~publisher.webhooks.events`: event types, ids and payloads;
- :mod:`~publisher.webhooks.outbox`: queueing events (in the transaction that records a
  delivery event; from a cursor on the ledger for acceptances), claiming them under a lease,
  recording answers;
- :mod:`~publisher.webhooks.http`: one POST, no redirects, a timeout;
- :mod:`~publisher.webhooks.dispatch`: the dispatcher (``publisher webhooks dispatch``).
"""

from __future__ import annotations

from publisher.webhooks.signature import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    sign,
    signature_header,
    verify_signature,
)

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "SignatureError",
    "sign",
    "signature_header",
    "verify_signature",
]
