"""The acceptance service (ASGI, Starlette): the link pages, the receipt, health and the API.

``GET /a/<token>`` only reads: it shows the notice, what changed since the version the
customer last accepted (the redline) and an explicit "I accept" form. Only ``POST /a/<token>``
with a valid CSRF pair records, then redirects (303) to ``/a/<token>/receipt``. Expired,
altered and unknown links get pages that say what to do. Every response carries the security
headers; ``/api/…`` answers JSON to ``Authorization: Bearer <api_token>``.

The process keeps no state that matters: everything is in the database, so any number of
processes and hosts can serve the same links.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from publisher.config import Settings
from publisher.errors import NotFoundError, PublisherError
from publisher.links import LinkClaims, LinkExpired, LinkInvalid, LinkSigner, secret_keys
from publisher.store import migrate
from publisher.store.audit import audit_ledger
from publisher.store.checkpoints import Checkpointer
from publisher.store.db import Database
from publisher.store.evidence import collect_evidence, evidence_document
from publisher.store.group_commit import GroupCommit, WriteFailed, WriterError
from publisher.store.ledger import (
    AcceptanceRequest,
    LedgerError,
    NewerAccepted,
    Recorded,
    chain_head,
)
from publisher.store.reports import acceptance_report, render_csv
from publisher.store.status import status_engine
from publisher.templating import templates_folder
from publisher.web import api_v1, render
from publisher.web.auth import Scope as ApiScope
from publisher.web.auth import Tokens
from publisher.web.context import LinkContext, LinkTargetMissing, load_context
from publisher.web.guard import BODY_TIMEOUT, BodyLimits, BodyTimeout, BodyTooLarge, RequestGuard
from publisher.web.inputs import (
    BodyError,
    InputError,
    int_field,
    optional_text,
    parse_json,
    text_field,
)
from publisher.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    ProxyPolicy,
    SecurityHeadersMiddleware,
    client_ip,
    csrf_field,
    csrf_valid,
    new_nonce,
)
from publisher.web.webhooks import MAX_BODY as WEBHOOK_MAX_BODY
from publisher.web.webhooks import PATH as WEBHOOK_PATH
from publisher.web.webhooks import webhook_routes

NO_STORE = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow"}
USER_AGENT_LIMIT = 1000


@dataclass(frozen=True)
class Service:
    """What every request needs: settings, the store, the signing keys, the proxy policy."""

    settings: Settings
    database: Database
    keys: tuple[str, ...]
    signer: LinkSigner
    proxy: ProxyPolicy
    https: bool
    ledger: GroupCommit
    tokens: Tokens
    status_engine: Engine
    templates: Path | None = None
    """The folder of the ``templates`` setting: overrides of the pages' templates."""
    checkpointer: Checkpointer | None = None
    """Anchors the ledger's head in the policy repository after acceptances, rate-limited."""

    @classmethod
    def create(cls, settings: Settings, database: Database) -> Service:
        keys = secret_keys(settings)
        try:
            proxy = ProxyPolicy.parse(settings.trusted_proxy_header, settings.trusted_proxies)
        except ValueError as exc:
            raise PublisherError(str(exc), hint="fix the setting trusted_proxies") from exc
        try:
            tokens = Tokens.parse(settings.api_token, settings.api_tokens)
        except ValueError as exc:
            raise PublisherError(
                str(exc), hint="fix the setting api_tokens (PUBLISHER_API_TOKENS)"
            ) from exc
        return cls(
            settings=settings,
            database=database,
            keys=keys,
            signer=LinkSigner(keys, max_age_days=settings.link_max_age_days),
            proxy=proxy,
            https=settings.accept_url.startswith("https://"),
            ledger=GroupCommit(database),
            tokens=tokens,
            status_engine=status_engine(database),
            templates=templates_folder(settings),
            checkpointer=Checkpointer.from_settings(settings),
        )

    def policy_url(self, slug: str) -> str:
        return f"{self.settings.site_url.rstrip('/')}/{slug}/"


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


_ROOT: ContextVar[str] = ContextVar("publisher_root_path", default="")
"""The ASGI ``root_path`` of the request being served (set by :class:`AcceptanceApp`), so
every page's links, form and stylesheet stay inside the mount point."""


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _route_path(request: Request) -> str:
    """The path inside the mount point (``/api/…`` also under ``/legal``)."""
    root, path = _root(request), request.url.path
    return path[len(root) :] if root and path.startswith(root) else path


def _page(service: Service, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("root", _ROOT.get())
    html = render.render(template, templates=service.templates, **values)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


# -- the link pages -------------------------------------------------------------------------


async def _problem_page(service: Service, error: Exception) -> HTMLResponse:
    """The page for a link that cannot be used: expired, altered, or pointing at nothing."""
    if isinstance(error, LinkExpired):
        context = None
        if error.claims is not None:
            try:
                context = await run_in_threadpool(load_context, service.database, error.claims)
            except NotFoundError:
                context = None
        return _page(
            service,
            "expired.html",
            410,
            context=context,
            claims=error.claims,
            days=service.settings.link_max_age_days,
            policy_url=service.policy_url(error.claims.policy) if error.claims else None,
        )
    if isinstance(error, LinkInvalid):
        return _page(service, "invalid.html", 400)
    return _page(service, "unknown.html", 404)


async def _verified(service: Service, token: str) -> LinkClaims | HTMLResponse:
    try:
        return service.signer.verify(token)
    except (LinkExpired, LinkInvalid) as error:
        return await _problem_page(service, error)


async def _context(service: Service, claims: LinkClaims) -> LinkContext | HTMLResponse:
    try:
        return await run_in_threadpool(load_context, service.database, claims)
    except LinkTargetMissing as error:
        return await _problem_page(service, error)


def _nonce(request: Request) -> str:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (
        cookie
        if 16 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum()
        else new_nonce()
    )


async def _landing_page(
    request: Request,
    service: Service,
    token: str,
    context: LinkContext,
    *,
    status: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    if context.accepted is not None:
        return _page(
            service,
            "receipt.html",
            status,
            context=context,
            record=context.accepted,
            head=await run_in_threadpool(chain_head, service.database),
            again=True,
            policy_url=service.policy_url(context.version.slug),
            provider=service.settings.provider_name,
        )
    if context.newer_accepted is not None:
        return _newer_accepted_page(service, context, status)
    current_link = None
    if context.current is not None:
        current_link = (
            _root(request)
            + "/a/"
            + service.signer.sign(
                LinkClaims(
                    context.claims.customer,
                    context.claims.policy,
                    context.current.label,
                    None,
                    organisation=context.claims.organisation,
                )
            )
        )
    changes = None
    since = context.previous or context.earlier  # first-time customers: the previous version
    if since is not None:
        changes = await run_in_threadpool(
            render.redline, since, context.version, site_url=service.settings.site_url
        )
    document = await run_in_threadpool(render.document, context.version)
    full_text = await run_in_threadpool(render.full_text, context.version)
    nonce = _nonce(request)
    response = _page(
        service,
        "accept.html",
        status,
        context=context,
        changes=changes,
        since=since,
        document=document,
        full_text=full_text,
        token=token,
        csrf_name=CSRF_FIELD,
        csrf=csrf_field(service.keys, token, nonce),
        problem=problem,
        current_link=current_link,
        policy_url=service.policy_url(context.version.slug),
    )
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=86400,
        path=_root(request) + "/a/",
        secure=service.https,
        httponly=True,
        samesite="strict",
    )
    return response


def _newer_accepted_page(service: Service, context: LinkContext, status: int) -> HTMLResponse:
    """The customer already accepted a later version: this older one is not offered."""
    return _page(
        service,
        "newer_accepted.html",
        status,
        context=context,
        policy_url=service.policy_url(context.version.slug),
    )


async def landing(request: Request) -> Response:
    """GET: the acceptance page (reads only). POST: record the acceptance."""
    service = _service(request)
    token = request.path_params["token"]
    claims = await _verified(service, token)
    if isinstance(claims, HTMLResponse):
        return claims
    if request.method == "POST":
        return await _accept(request, service, token, claims)
    context = await _context(service, claims)
    if isinstance(context, HTMLResponse):
        return context
    return await _landing_page(request, service, token, context)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, default ports left out."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _same_origin(request: Request, service: Service) -> bool:
    """The form was posted from our own pages: ``Origin`` is ``accept_url``'s origin (never
    the request's own ``Host``, which the client chooses)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True  # older browsers; the SameSite cookie and signed field still hold
    return _origin(origin) == _origin(service.settings.accept_url) != ""


async def _accept(request: Request, service: Service, token: str, claims: LinkClaims) -> Response:
    form = await request.form(max_files=0, max_fields=8)
    good_csrf = _same_origin(request, service) and csrf_valid(
        service.keys, token, request.cookies.get(CSRF_COOKIE), _text(form.get(CSRF_FIELD))
    )
    if not good_csrf or form.get("accept") != "yes":
        context = await _context(service, claims)
        if isinstance(context, HTMLResponse):
            return context
        problem = (
            "Your acceptance was not recorded: this page was open too long, or your "
            "browser blocked its cookie. Please press \u201cI accept\u201d again."
            if not good_csrf
            else "Your acceptance was not recorded: please press \u201cI accept\u201d."
        )
        return await _landing_page(
            request, service, token, context, status=403 if not good_csrf else 400, problem=problem
        )
    try:
        result = await _record(
            request,
            service,
            claims.organisation or claims.customer,
            claims.policy,
            claims.version,
            claims.notice,
            method="link",
            acting_user=claims.customer if claims.organisation else None,
        )
    except NewerAccepted:
        # Checked inside the ledger's write transaction: an older version is never recorded.
        context = await _context(service, claims)
        if isinstance(context, HTMLResponse):
            return context
        return _newer_accepted_page(service, context, 409)
    except (NotFoundError, LedgerError) as error:
        return await _problem_page(service, error)
    suffix = "" if result.created else "?again=1"
    return RedirectResponse(
        f"{_root(request)}/a/{token}/receipt{suffix}", status_code=303, headers=NO_STORE
    )


async def _record(
    request: Request,
    service: Service,
    customer: str,
    policy: str,
    version: str,
    notice: int | None,
    *,
    method: str,
    acting_user: str | None = None,
) -> Recorded:
    """Append to the ledger through the process's group commit (awaits the commit)."""
    peer = request.client.host if request.client else None
    user_agent = request.headers.get("user-agent")
    submitted = service.ledger.submit(
        AcceptanceRequest(
            customer_id=customer,
            policy=policy,
            version=version,
            method=method,
            notice_id=notice,
            ip=client_ip(peer, request.headers.raw, service.proxy),
            user_agent=user_agent[:USER_AGENT_LIMIT] if user_agent else None,
            acting_user=acting_user,
        )
    )
    recorded = await asyncio.wrap_future(submitted)
    if recorded.created and service.checkpointer is not None:
        service.checkpointer.poke(service.database)
    return recorded


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def receipt(request: Request) -> Response:
    """The receipt: version, time and content hash of the recorded acceptance."""
    service = _service(request)
    token = request.path_params["token"]
    claims = await _verified(service, token)
    if isinstance(claims, HTMLResponse):
        return claims
    context = await _context(service, claims)
    if isinstance(context, HTMLResponse):
        return context
    if context.accepted is None:
        return RedirectResponse(f"{_root(request)}/a/{token}", status_code=303, headers=NO_STORE)
    return _page(
        service,
        "receipt.html",
        context=context,
        record=context.accepted,
        head=await run_in_threadpool(chain_head, service.database),
        again=request.query_params.get("again") == "1",
        policy_url=service.policy_url(context.version.slug),
        provider=service.settings.provider_name,
    )


# -- health -------------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """Liveness: the process answers (no database access; also the benchmark's baseline)."""
    return PlainTextResponse("ok\n")


async def readyz(request: Request) -> Response:
    """Readiness: the ledger writer is alive and not stuck, the database answers and its
    schema is the one this code needs."""
    service = _service(request)
    writer = service.ledger.state()
    if writer != "ok":
        return JSONResponse({"status": "unavailable", "writer": writer}, status_code=503)

    def check() -> str | None:
        return migrate.current_revision(service.database)

    try:
        current = await run_in_threadpool(check)
    except (SQLAlchemyError, OSError) as error:
        return JSONResponse(
            {"status": "unavailable", "error": type(error).__name__}, status_code=503
        )
    head = migrate.head_revision()
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "schema": current, "needs": head}, status_code=503
        )
    return JSONResponse({"status": "ok", "schema": current})


# -- the JSON API ------------------------------------------------------------------------------


def _api(handler: Callable[[Request, Service], Any], scope: ApiScope) -> Callable[[Request], Any]:
    """Bearer-token (and scope) check and error mapping for the API endpoints."""

    async def endpoint(request: Request) -> Response:
        service = _service(request)
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
    result = await _record(request, service, customer, policy, version, notice, method="api")
    return JSONResponse(
        {"created": result.created, "record": result.record.to_dict()},
        status_code=201 if result.created else 200,
    )


async def stylesheet(request: Request) -> Response:
    return Response(
        render.stylesheet(_service(request).templates),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": "public, max-age=3600"},
    )


async def favicon(request: Request) -> Response:
    return Response(
        render.favicon(_service(request).templates),
        media_type="image/svg+xml",
        headers={"cache-control": "public, max-age=86400"},
    )


async def not_found(request: Request, error: Exception) -> Response:
    """An address the service does not have: a page that says what the service is for."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "no such API endpoint"}, status_code=404)
    return _page(_service(request), "not_found.html", 404)


async def database_unavailable(request: Request, error: Exception) -> Response:
    """The database failed: say so (503) instead of a bare 500; nothing was recorded."""
    if _route_path(request).startswith("/api/"):
        return JSONResponse(
            {"error": "the database is unavailable; try again"},
            status_code=503,
            headers={"retry-after": "30"},
        )
    return _page(_service(request), "unavailable.html", 503)


async def writer_failed(request: Request, error: Exception) -> Response:
    """The ledger writer failed this request (500) or has stopped (503): nothing recorded."""
    status = 500 if isinstance(error, WriteFailed) else 503
    headers = {} if status == 500 else {"retry-after": "30"}
    if _route_path(request).startswith("/api/"):
        return JSONResponse(
            {"error": "the acceptance could not be recorded; try again"},
            status_code=status,
            headers={**headers, **NO_STORE},
        )
    return _page(_service(request), "unavailable.html", status)


async def body_refused(request: Request, error: Exception) -> Response:
    """A body over its limit (413) or one that stopped arriving (408): nothing was read."""
    status = 413 if isinstance(error, BodyTooLarge) else 408
    return PlainTextResponse(
        f"{error}\n",
        status_code=status,
        headers={"connection": "close", "cache-control": "no-store"},
    )


class AcceptanceApp(Starlette):
    """Starlette, with the security headers and the request guard outside all of it, so that
    errors raised in middleware, and Starlette's own 500 answer, get the headers too."""

    https: bool = False
    limits: BodyLimits = BodyLimits()
    body_timeout: float = BODY_TIMEOUT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reset = _ROOT.set(str(scope.get("root_path", "")).rstrip("/"))
        try:
            await super().__call__(scope, receive, send)
        finally:
            _ROOT.reset(reset)

    def build_middleware_stack(self) -> ASGIApp:
        guarded = RequestGuard(
            super().build_middleware_stack(), limits=self.limits, body_timeout=self.body_timeout
        )
        return SecurityHeadersMiddleware(guarded, https=self.https)


def create_app(
    settings: Settings, *, database: Database | None = None, body_timeout: float = BODY_TIMEOUT
) -> Starlette:
    """The acceptance service for ``settings`` (opens the store unless ``database`` is given;
    a new database gets its schema, an outdated one is refused)."""
    owned = database is None
    if database is None:
        database = migrate.open_store(settings)
    else:
        migrate.ensure_schema(database)
    service = Service.create(settings, database)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(service.ledger.close)
        if service.status_engine is not service.database.engine:
            service.status_engine.dispose()
        if owned:
            service.database.dispose()

    app = AcceptanceApp(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/readyz", readyz, methods=["GET", "HEAD"]),
            Route("/a/{token}", landing, methods=["GET", "HEAD", "POST"]),
            Route("/a/{token}/receipt", receipt, methods=["GET", "HEAD"]),
            Route("/static/acceptance.css", stylesheet, methods=["GET", "HEAD"]),
            Route("/static/favicon.svg", favicon, methods=["GET", "HEAD"]),
            Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
            Route("/api/reports/acceptance", _api(api_report, "reports"), methods=["GET"]),
            Route(
                "/api/customers/{customer_id}/evidence",
                _api(api_evidence, "reports"),
                methods=["GET"],
            ),
            Route("/api/ledger/verify", _api(api_verify, "reports"), methods=["GET"]),
            Route("/api/acceptances", _api(api_accept, "write"), methods=["POST"]),
            Route("/api/v1/status", _api(api_v1.status, "status"), methods=["GET"]),
            Route("/api/v1/acceptances", _api(api_v1.accept, "write"), methods=["POST"]),
            Route("/api/v1/openapi.json", api_v1.openapi, methods=["GET"]),
            *webhook_routes(settings, database),
        ],
        exception_handlers={
            SQLAlchemyError: database_unavailable,
            OSError: database_unavailable,
            WriterError: writer_failed,
            BodyTooLarge: body_refused,
            BodyTimeout: body_refused,
            404: not_found,
        },
        lifespan=lifespan,
    )
    app.https = service.https
    app.limits = BodyLimits(paths={WEBHOOK_PATH: WEBHOOK_MAX_BODY})
    app.body_timeout = body_timeout
    app.state.service = service
    return app
