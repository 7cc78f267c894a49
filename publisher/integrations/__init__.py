"""Acceptance gates for the provider's own web app: an ASGI middleware (Starlette, FastAPI)
and a WSGI middleware (Flask, Django, any WSGI app) that stop a signed-in user who has not
accepted what the re-acceptance rule asks for: a redirect to their acceptance page for
pages, ``403`` with a JSON body for API paths, every allow-listed path let through.

The decision is :class:`~publisher.integrations.gate.Gate`'s; where the status comes from is
a :class:`~publisher.integrations.gate.StatusSource`: the store itself
(:class:`~publisher.integrations.gate.StoreStatus`) or the acceptance service's status API
(:class:`~publisher.integrations.gate.ServiceStatus`).
"""

from publisher.integrations.asgi import AcceptanceGateMiddleware
from publisher.integrations.gate import Gate, Required, ServiceStatus, StatusSource, StoreStatus
from publisher.integrations.wsgi import AcceptanceGateWSGI

__all__ = [
    "AcceptanceGateMiddleware",
    "AcceptanceGateWSGI",
    "Gate",
    "Required",
    "ServiceStatus",
    "StatusSource",
    "StoreStatus",
]
