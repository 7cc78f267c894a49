"""The versioned in-app API (``/api/v1/…``): thin handlers over the library.

``GET /api/v1/status`` answers "has this customer accepted what they need to?" for the
provider's own app, on its request path: from the process's answer cache while the
store's change mark says nothing it reads has changed, else one SQL statement, no policy
texts (:mod:`publisher.web.status_answers`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from functools import lru_cache
from time import monotonic
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from publisher.links import LinkClaims
from publisher.store.app_acceptances import (
    KEY_LIMIT,
    AppCall,
    AppRequest,
    EndUser,
    KeyReused,
    remember,
    replay,
)
from publisher.store.ledger import AcceptanceRequest, NewerAccepted
from publisher.store.organisations import NotAMember, acting_for
from publisher.store.status import MAX_POLICIES, CustomerPolicies
from publisher.textsafety import text_problem
from publisher.web.inputs import BodyError, InputError, int_field, parse_json, text_field
from publisher.web.security import client_ip

USER_ID_LIMIT = 200
USER_AGENT_LIMIT = 1000

if TYPE_CHECKING:
    from publisher.web.service import Service


def accept_url(service: Service, customer: str, policy: str, version: str) -> str:
    """The customer's personal acceptance page for ``policy`` ``version`` (a signed link)."""
    token = service.signer.sign(LinkClaims(customer, policy, version, None))
    return f"{service.settings.accept_url.rstrip('/')}/a/{token}"


def status_document(service: Service, answer: CustomerPolicies) -> dict[str, object]:
    return {
        "customer": answer.customer,
        "needs_acceptance": answer.needs_acceptance,
        "policies": [
            p.to_dict(
                accept_url(service, answer.customer, p.policy, p.current)
                if p.needs_acceptance
                else None
            )
            for p in answer.policies
        ],
    }


QUERIES_REMEMBERED = 4096
"""How many distinct status query strings keep their parsed and checked values."""


@lru_cache(maxsize=QUERIES_REMEMBERED)
def status_query(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """``customer`` and the ``policy`` values (sorted, unique) of a status query string, as
    Starlette parses a query; InputError for a missing or bad one. A pure function of the
    bytes, so remembered: an app asks about the same users again and again."""
    params = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    customers = [value for name, value in params if name == "customer"]
    if not customers:
        raise InputError("customer", "is required (?customer=ID)")
    customer = text_field("customer", customers[-1])
    policies = [text_field("policy", value) for name, value in params if name == "policy"]
    if len(policies) > MAX_POLICIES:
        raise InputError("policy", f"at most {MAX_POLICIES} per request")
    return customer, tuple(sorted(set(policies)))


async def status(request: Request, service: Service) -> Response:
    """``GET /api/v1/status?customer=ID[&policy=SLUG…]``."""
    customer, policies = status_query(request.scope["query_string"])
    answer = await service.status_answers.answer(customer, policies)
    body = answer.rendered(lambda found: json_body(status_document(service, found)), monotonic())
    return Response(body, media_type="application/json")


def json_body(document: dict[str, object]) -> bytes:
    """``document`` as :class:`JSONResponse` renders it."""
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


# -- POST /api/v1/acceptances ------------------------------------------------------------------


def _optional(field: str, value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, "must be a string")
    problem = text_problem(value, limit=limit)
    if problem is not None:
        raise InputError(field, problem)
    return value


def _end_user(value: object) -> EndUser:
    if value is None:
        return EndUser()
    if not isinstance(value, dict):
        raise InputError("user", "must be an object {id, ip, user_agent}")
    unknown = sorted(set(value) - {"id", "ip", "user_agent"})
    if unknown:
        raise InputError("user", f"unknown field {unknown[0]!r} (known: id, ip, user_agent)")
    ip = _optional("user.ip", value.get("ip"), 64)
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise InputError("user.ip", "is not an IPv4 or IPv6 address") from None
    return EndUser(
        id=_optional("user.id", value.get("id"), USER_ID_LIMIT),
        ip=ip,
        user_agent=_optional("user.user_agent", value.get("user_agent"), USER_AGENT_LIMIT),
    )


def app_request(body: object) -> AppRequest:
    """The validated request (InputError naming the field, BodyError for a non-object)."""
    if not isinstance(body, dict):
        raise BodyError('expected a JSON object {"customer", "policy", "version", "user"}')
    for name in ("customer", "policy", "version"):
        if name not in body:
            raise InputError(name, "is required")
    unknown = sorted(
        set(body) - {"customer", "policy", "version", "notice", "user", "on_behalf_of"}
    )
    if unknown:
        raise InputError(unknown[0], "is not a field of an acceptance")
    return AppRequest(
        customer=text_field("customer", body["customer"]),
        policy=text_field("policy", body["policy"]),
        version=text_field("version", body["version"]),
        notice=None if body.get("notice") is None else int_field("notice", body["notice"]),
        user=_end_user(body.get("user")),
        on_behalf_of=None
        if body.get("on_behalf_of") is None
        else text_field("on_behalf_of", body["on_behalf_of"]),
    )


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= KEY_LIMIT or not key.isascii() or not key.isprintable():
        raise InputError("Idempotency-Key", f"must be 1 to {KEY_LIMIT} printable ASCII characters")
    return key


def _answer(call: AppCall) -> JSONResponse:
    headers = {"idempotent-replayed": "true"} if call.replayed else {}
    return JSONResponse(call.to_dict(), status_code=201 if call.created else 200, headers=headers)


def _check_member(service: Service, wanted: AppRequest) -> None:
    assert wanted.on_behalf_of is not None
    try:
        acting_for(service.database, wanted.customer, wanted.on_behalf_of)
    except NotAMember as error:
        raise InputError("on_behalf_of", error.message) from None


async def accept(request: Request, service: Service) -> Response:
    """``POST /api/v1/acceptances``: record an acceptance given in the provider's app, with
    the end user as the app saw them; idempotent with ``Idempotency-Key``."""
    wanted = app_request(parse_json(await request.body()))
    key = idempotency_key(request)
    try:
        if key is not None:
            earlier = await run_in_threadpool(replay, service.database, key, wanted)
            if earlier is not None:
                return _answer(earlier)
        if wanted.on_behalf_of is not None:
            await run_in_threadpool(_check_member, service, wanted)
        submitted = service.ledger.submit(
            AcceptanceRequest(
                customer_id=wanted.on_behalf_of or wanted.customer,
                acting_user=wanted.customer if wanted.on_behalf_of else None,
                policy=wanted.policy,
                version=wanted.version,
                method="api",
                notice_id=wanted.notice,
                ip=wanted.user.ip,
                user_agent=wanted.user.user_agent,
            )
        )
        recorded = await asyncio.wrap_future(submitted)
        peer = request.client.host if request.client else None
        call = await run_in_threadpool(
            lambda: remember(
                service.database,
                wanted,
                recorded.record,
                recorded.created,
                key=key,
                caller_ip=client_ip(peer, request.headers.raw, service.proxy),
            )
        )
    except KeyReused as error:
        return JSONResponse({"error": error.message, "hint": error.hint}, status_code=422)
    except NewerAccepted as error:
        return JSONResponse({"error": error.message, "hint": error.hint}, status_code=409)
    return _answer(call)


async def openapi(request: Request) -> Response:
    """``GET /api/v1/openapi.json``: the JSON endpoints described (no token needed)."""
    from publisher.web.openapi import document

    service: Service = request.app.state.service
    return JSONResponse(
        document(server_url=service.settings.accept_url),
        headers={"cache-control": "public, max-age=300"},
    )
