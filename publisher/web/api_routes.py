"""The reports and admin JSON API (``/api/…``): the bearer-token check and error mapping
every JSON endpoint shares (:func:`api_endpoint`, also used for ``/api/v1/…``), and the
handlers of ``/api/reports/acceptance``, ``/api/customers/<id>/evidence``,
``/api/ledger/verify`` and ``POST /api/acceptances``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from publisher.errors import NotFoundError, PublisherError
from publisher.store.audit import audit_ledger
from publisher.store.evidence import collect_evidence, evidence_document
from publisher.store.group_commit import WriterError
from publisher.store.reports import acceptance_report, render_csv
from publisher.web.auth import Scope as ApiScope
from publisher.web.inputs import (
    BodyError,
    InputError,
    int_field,
    optional_text,
    parse_json,
    text_field,
)
from publisher.web.service import Service, record, service_of


def api_endpoint(
    handler: Callable[[Request, Service], Any], scope: ApiScope
) -> Callable[[Request], Any]:
    """Bearer-token (and scope) check and error mapping for the API endpoints."""

    async def endpoint(request: Request) -> Response:
        service = service_of(request)
        if not service.tokens.enabled:
            return JSONResponse(
                {"error": "the API is disabled: set api_token or api_tokens"}, status_code=404
            )
        scopes = service.tokens.scopes(request.headers.get("authorization"))
        if scopes is None:
            return JSONResponse(
                {"error": "missing or wrong bearer token"},
                status_code=401,
                headers={"www-authenticate": 'Bearer realm="publisher"'},
            )
        if scope not in scopes:
            return JSONResponse(
                {"error": f"this token lacks the scope {scope!r}", "scope": scope}, status_code=403
            )
        try:
            response: Response = await handler(request, service)
        except InputError as error:
            return JSONResponse({"error": error.message, "field": error.field}, status_code=422)
        except BodyError as error:
            return JSONResponse({"error": error.message}, status_code=400)
        except WriterError:
            raise  # not the client's fault: writer_failed answers 500/503
        except NotFoundError as error:
            return JSONResponse({"error": error.message, "hint": error.hint}, status_code=404)
        except PublisherError as error:
            return JSONResponse({"error": error.message, "hint": error.hint}, status_code=400)
        response.headers["cache-control"] = "no-store"
        return response

    return endpoint


async def api_report(request: Request, service: Service) -> Response:
    """``GET /api/reports/acceptance[?policy=…&version=…&format=csv]``."""
    params = request.query_params
    policy = optional_text("policy", params.get("policy"))
    version = optional_text("version", params.get("version"))
    report = await run_in_threadpool(
        lambda: acceptance_report(service.database, policy=policy, version=version)
    )
    if params.get("format") == "csv":
        return PlainTextResponse(render_csv(report), media_type="text/csv; charset=utf-8")
    return JSONResponse(report.to_dict())


async def api_evidence(request: Request, service: Service) -> Response:
    """``GET /api/customers/<id>/evidence``: the evidence document, texts inline."""
    customer = text_field("customer_id", request.path_params["customer_id"])
    evidence = await run_in_threadpool(collect_evidence, service.database, customer)
    return JSONResponse(evidence_document(evidence))


async def api_verify(request: Request, service: Service) -> Response:
    """``GET /api/ledger/verify``: the hash chain's verification."""
    result = await run_in_threadpool(audit_ledger, service.database)
    return JSONResponse(result.to_dict())


async def api_accept(request: Request, service: Service) -> Response:
    """``POST /api/acceptances`` ``{"customer", "policy", "version"[, "notice"]}``: record an
    acceptance given in the provider's own product (method ``api``)."""
    body = parse_json(await request.body())
    fields = ("customer", "policy", "version")
    if not isinstance(body, dict) or not all(k in body for k in fields):
        return JSONResponse(
            {"error": 'expected {"customer", "policy", "version"} strings'}, status_code=400
        )
    customer, policy, version = (text_field(k, body[k]) for k in fields)
    notice = None if body.get("notice") is None else int_field("notice", body["notice"])
    result = await record(request, service, customer, policy, version, notice, method="api")
    return JSONResponse(
        {"created": result.created, "record": result.record.to_dict()},
        status_code=201 if result.created else 200,
    )
