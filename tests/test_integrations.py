"""The acceptance gates: the two example apps in examples/ (Starlette through ASGI, a WSGI
app through wsgiref's conventions) block, redirect and let through, on SQLite and
PostgreSQL; and the HTTP status source against the running service."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
import store_support as support
from web_support import KEY, POLICY

from publisher.config import Settings, load_settings
from publisher.integrations import Gate, ServiceStatus
from publisher.integrations.gate import GateError, Required
from publisher.links import signer_for
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    """c1 accepted the current version 2; c2 only version 1 (material: must accept 2)."""
    settings = load_settings(
        tmp_path,
        env={"PUBLISHER_SECRET_KEY": KEY, "PUBLISHER_ACCEPT_URL": "https://legal.example"},
        overrides={"database_url": database_url},
    )
    database = migrate.open_store(settings)
    support.seed(database)
    record_acceptance(database, customer_id="c1", policy=POLICY, version="2", method="link")
    record_acceptance(database, customer_id="c2", policy=POLICY, version="1", method="link")
    try:
        yield database, settings
    finally:
        database.dispose()


def test_the_asgi_example_blocks_redirects_and_lets_through(
    store: tuple[Database, Settings],
) -> None:
    database, settings = store
    client = TestClient(example("asgi_app").build(database, settings))

    def get(path: str, user: str | None, **headers: str) -> Any:
        sent = {**headers, **({"x-user": user} if user else {})}
        return client.get(path, headers=sent, follow_redirects=False)

    assert get("/", "c1").text == "dashboard of c1"  # accepted: through
    page = get("/", "c2")
    assert page.status_code == 303
    location = page.headers["location"]
    assert location.startswith("https://legal.example/a/")
    claims = signer_for(settings).verify(location.rsplit("/", 1)[1])
    assert (claims.customer, claims.policy, claims.version) == ("c2", POLICY, "2")
    api = get("/api/data", "c2")
    assert api.status_code == 403
    assert api.json()["policies"][0] | {"accept_url": None} == {
        "policy": POLICY,
        "version": "2",
        "reason": "material-changes",
        "accept_url": None,
    }
    assert get("/", "c2", accept="application/json").status_code == 403
    assert get("/login", "c2").text == "sign in"  # allow-listed
    assert get("/", None).status_code == 200  # nobody signed in: the app decides
    assert get("/", "not-a-customer").status_code == 200
    record_acceptance(database, customer_id="c2", policy=POLICY, version="2", method="api")
    assert get("/api/data", "c2").json() == {"invoices": []}  # at once, no stale answer


def wsgi_call(
    app: Any, path: str, user: str | None, accept: str = "text/html"
) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_ACCEPT": accept, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    if user:
        environ["REMOTE_USER"] = user
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body


def test_the_wsgi_example_blocks_redirects_and_lets_through(
    store: tuple[Database, Settings],
) -> None:
    database, settings = store
    app = example("wsgi_app").build(database, settings)
    assert wsgi_call(app, "/", "c1")[2] == b"page / for c1"
    status, headers, _ = wsgi_call(app, "/reports", "c2")
    assert status == "303 See Other" and headers["location"].startswith("https://legal.example/a/")
    status, headers, body = wsgi_call(app, "/api/invoices", "c2")
    assert status == "403 Forbidden" and headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "acceptance required"
    assert wsgi_call(app, "/login", "c2")[0] == "200 OK"
    assert wsgi_call(app, "/", None)[0] == "200 OK"
    record_acceptance(database, customer_id="c2", policy=POLICY, version="2", method="api")
    assert wsgi_call(app, "/api/invoices", "c2")[2] == b'{"invoices": []}'


class Failing:
    def required(self, user_id: str) -> list[Required]:
        raise GateError("down")


def test_an_unknown_status_is_503_unless_fail_open() -> None:
    answer = Gate(Failing()).verdict("/", "c1")
    assert answer is not None and answer.status == 503
    assert Gate(Failing(), fail_open=True).verdict("/", "c1") is None


def test_service_status_that_cannot_connect_is_a_gate_error() -> None:
    source = ServiceStatus("http://127.0.0.1:9", "token-0123456789abcdef", timeout=2)
    with pytest.raises(GateError, match="did not answer"):
        source.required("c1")


def test_service_status_asks_the_running_service(
    store: tuple[Database, Settings], tmp_path: Path
) -> None:
    from live_server import serve

    from publisher.web import create_app

    database, _settings = store
    token = "status-token-0123456789"
    settings = load_settings(
        tmp_path,
        env={"PUBLISHER_SECRET_KEY": KEY, "PUBLISHER_API_TOKENS": f"status:{token}"},
        overrides={"database_url": _settings.database_url},
    )
    with serve(create_app(settings, database=database)) as base:
        source = ServiceStatus(base, token, [POLICY])
        assert source.required("c1") == []
        [needed] = source.required("c2")
        assert (needed.policy, needed.version, needed.reason) == (POLICY, "2", "material-changes")
        assert needed.accept_url is not None and "/a/" in needed.accept_url
        assert source.required("nobody") == []  # unknown customer: let through
        with pytest.raises(GateError, match="answered 401"):
            ServiceStatus(base, "wrong-token-0123456789").required("c1")
        gate = Gate(source)
        answer = gate.verdict("/", "c2")
        assert answer is not None and answer.status == 303
