"""What every request of the acceptance service needs (:class:`Service`: settings, store,
keys, ledger writer) and how a handler records an acceptance through it (:func:`record`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from starlette.requests import Request

from publisher.config import Settings
from publisher.errors import PublisherError
from publisher.links import LinkSigner, secret_keys
from publisher.store.checkpoints import Checkpointer
from publisher.store.db import Database
from publisher.store.group_commit import GroupCommit, Prepare
from publisher.store.ledger import AcceptanceRequest, Recorded
from publisher.store.status import status_engine
from publisher.templating import templates_folder
from publisher.web.auth import Tokens
from publisher.web.security import ProxyPolicy, client_ip
from publisher.web.status_answers import StatusAnswers

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
    status_answers: StatusAnswers
    """Status API answers: the cache and the store's change mark."""
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
        engine = status_engine(database)
        return cls(
            settings=settings,
            database=database,
            keys=keys,
            signer=LinkSigner(keys, max_age_days=settings.link_max_age_days),
            proxy=proxy,
            https=settings.accept_url.startswith("https://"),
            ledger=GroupCommit(database),
            tokens=tokens,
            status_engine=engine,
            status_answers=StatusAnswers(database, engine, settings.status_cache_size),
            templates=templates_folder(settings),
            checkpointer=Checkpointer.from_settings(settings),
        )

    def policy_url(self, slug: str) -> str:
        return f"{self.settings.site_url.rstrip('/')}/{slug}/"


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def record(
    request: Request,
    service: Service,
    customer: str,
    policy: str,
    version: str,
    notice: int | None,
    *,
    method: str,
    language: str | None = None,
    shown_sha256: str | None = None,
    acting_user: str | None = None,
    prepare: Prepare | None = None,
) -> Recorded:
    """Append to the ledger through the process's group commit (awaits the commit);
    ``language`` and ``shown_sha256``: the acceptance page's language and text hash;
    ``acting_user``: the member who accepts for the organisation ``customer``; ``prepare``:
    completes the request in the writer thread (:meth:`GroupCommit.submit`)."""
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
            language=language,
            shown_sha256=shown_sha256,
            acting_user=acting_user,
        ),
        prepare=prepare,
    )
    recorded = await asyncio.wrap_future(submitted)
    if recorded.created and service.checkpointer is not None:
        service.checkpointer.poke(service.database)
    return recorded
