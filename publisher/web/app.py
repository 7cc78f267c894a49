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

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

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
from publisher.errors import NotFoundError
from publisher.i18n.locales import page_language
from publisher.links import LinkClaims, LinkExpired, LinkInvalid
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.group_commit import BatchPrepare, WriteFailed, WriterError
from publisher.store.ledger import (
    LedgerError,
    NewerAccepted,
    chain_head,
)
from publisher.web import api_v1, render
from publisher.web.api_routes import api_accept, api_endpoint, api_evidence, api_report, api_verify
from publisher.web.context import (
    LinkContext,
    LinkTargetMissing,
    ShownFor,
    load_context,
    with_shown_facts,
)
from publisher.web.guard import BODY_TIMEOUT, BodyLimits, BodyTimeout, BodyTooLarge, RequestGuard
from publisher.web.inputs import BodyError, is_urlencoded, parse_form
from publisher.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SecurityHeadersMiddleware,
    csrf_field,
    csrf_valid,
    new_nonce,
)
from publisher.web.service import NO_STORE, Service, record, service_of
from publisher.web.webhooks import MAX_BODY as WEBHOOK_MAX_BODY
from publisher.web.webhooks import PATH as WEBHOOK_PATH
from publisher.web.webhooks import webhook_routes

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


def _language(service: Service, context: object) -> str:
    """The language of a link's pages: its customer's locale (fallback chain) among our UI
    languages, else the default language."""
    locale = context.customer.locale if isinstance(context, LinkContext) else None
    return page_language(locale, service.settings.default_language)


def _page(service: Service, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("root", _ROOT.get())
    language = _language(service, values.get("context"))
    html = render.render(template, templates=service.templates, language=language, **values)
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
    document = await run_in_threadpool(render.document, context.text)
    full_text = await run_in_threadpool(render.full_text, context.text)
    settings = service.settings
    languages = render.text_language(
        context,
        page=_language(service, context),
        default=settings.default_language,
        binding=settings.binding_language,
        site_url=settings.site_url,
    )
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
        languages=languages,
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
    service = service_of(request)
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


FORM_FIELDS = 8
"""The most fields the link form's POST may have (it sends two)."""


async def _form(request: Request) -> Mapping[str, object] | None:
    """The POSTed form (None: too many fields). A URL-encoded body, what the page's form
    sends, is parsed directly; anything else goes through Starlette's multipart parser."""
    if is_urlencoded(request.headers.get("content-type")):
        try:
            return parse_form(await request.body(), max_fields=FORM_FIELDS)
        except BodyError:
            return None
    return await request.form(max_files=0, max_fields=FORM_FIELDS)


async def _accept(request: Request, service: Service, token: str, claims: LinkClaims) -> Response:
    form = await _form(request)
    if form is None:
        return PlainTextResponse(
            f"the form has more than {FORM_FIELDS} fields\n", status_code=400, headers=NO_STORE
        )
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
    # the language and hash of the text the page showed, read in the ledger writer, once
    # for the batch (shown_facts_many)
    prepare = BatchPrepare(
        with_shown_facts, ShownFor(service.database, service.settings.default_language, claims)
    )
    try:
        result = await record(
            request,
            service,
            claims.organisation or claims.customer,
            claims.policy,
            claims.version,
            claims.notice,
            method="link",
            acting_user=claims.customer if claims.organisation else None,
            prepare=prepare,
        )
    except LinkTargetMissing as error:
        return await _problem_page(service, error)
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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def receipt(request: Request) -> Response:
    """The receipt: version, time and content hash of the recorded acceptance."""
    service = service_of(request)
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
    service = service_of(request)
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


async def stylesheet(request: Request) -> Response:
    return Response(
        render.stylesheet(service_of(request).templates),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": "public, max-age=3600"},
    )


async def favicon(request: Request) -> Response:
    return Response(
        render.favicon(service_of(request).templates),
        media_type="image/svg+xml",
        headers={"cache-control": "public, max-age=86400"},
    )


async def not_found(request: Request, error: Exception) -> Response:
    """An address the service does not have: a page that says what the service is for."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "no such API endpoint"}, status_code=404)
    return _page(service_of(request), "not_found.html", 404)


async def database_unavailable(request: Request, error: Exception) -> Response:
    """The database failed: say so (503) instead of a bare 500; nothing was recorded."""
    if _route_path(request).startswith("/api/"):
        return JSONResponse(
            {"error": "the database is unavailable; try again"},
            status_code=503,
            headers={"retry-after": "30"},
        )
    return _page(service_of(request), "unavailable.html", 503)


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
    return _page(service_of(request), "unavailable.html", status)


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
        service.status_answers.close()
        if service.status_engine is not service.database.engine:
            service.status_engine.dispose()
        if owned:
            service.database.dispose()

    app = AcceptanceApp(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            # the in-app hot path next: routes are matched in order
            Route("/api/v1/status", api_endpoint(api_v1.status, "status"), methods=["GET"]),
            Route("/readyz", readyz, methods=["GET", "HEAD"]),
            Route("/a/{token}", landing, methods=["GET", "HEAD", "POST"]),
            Route("/a/{token}/receipt", receipt, methods=["GET", "HEAD"]),
            Route("/static/acceptance.css", stylesheet, methods=["GET", "HEAD"]),
            Route("/static/favicon.svg", favicon, methods=["GET", "HEAD"]),
            Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
            Route("/api/reports/acceptance", api_endpoint(api_report, "reports"), methods=["GET"]),
            Route(
                "/api/customers/{customer_id}/evidence",
                api_endpoint(api_evidence, "reports"),
                methods=["GET"],
            ),
            Route("/api/ledger/verify", api_endpoint(api_verify, "reports"), methods=["GET"]),
            Route("/api/acceptances", api_endpoint(api_accept, "write"), methods=["POST"]),
            Route("/api/v1/acceptances", api_endpoint(api_v1.accept, "write"), methods=["POST"]),
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
