"""The versioned in-app API (``/api/v1/…``): thin handlers over the library.

``GET /api/v1/status`` answers "has this customer accepted what they need to?" for the
provider's own app, on its request path: one read transaction, no policy texts, no worker
thread (the queries take well under a millisecond; handing them to a thread would cost more
than they do). Only when a pair of versions was never compared in this process does the
handler diff them, once, in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from publisher.links import LinkClaims
from publisher.store.reaccept import NotCached
from publisher.store.status import MAX_POLICIES, CustomerPolicies, read_status
from publisher.web.inputs import InputError, text_field

if TYPE_CHECKING:
    from publisher.web.app import Service


def accept_url(service: Service, customer: str, policy: str, version: str) -> str:
    """The customer's personal acceptance page for ``policy`` ``version`` (a signed link)."""
    token = service.signer.sign(LinkClaims(customer, policy, version, None))
    return f"{service.settings.accept_url.rstrip('/')}/a/{token}"


def status_document(service: Service, answer: CustomerPolicies) -> dict[str, object]:
    return {
        "customer": answer.customer,
        "needs_acceptance": answer.needs_acceptance,
        "policies": [
            p.to_dict(accept_url(service, answer.customer, p.policy, p.current)
                      if p.needs_acceptance else None)
            for p in answer.policies
        ],
    }


async def status(request: Request, service: Service) -> Response:
    """``GET /api/v1/status?customer=ID[&policy=SLUG…]``."""
    params = request.query_params
    if "customer" not in params:
        raise InputError("customer", "is required (?customer=ID)")
    customer = text_field("customer", params["customer"])
    policies = [text_field("policy", value) for value in params.getlist("policy")]
    if len(policies) > MAX_POLICIES:
        raise InputError("policy", f"at most {MAX_POLICIES} per request")
    try:
        answer = read_status(service.database, customer, policies, diff=False)
    except NotCached:
        answer = await run_in_threadpool(read_status, service.database, customer, policies)
    return JSONResponse(status_document(service, answer))
