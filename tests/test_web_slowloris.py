"""Connection-level limits of `publisher web`, with real sockets against the service started
as a subprocess: partial headers are closed after the header timeout (slowloris), oversized
headers get a 431, stalled bodies a 408, malformed requests a 400 — each with the security
headers — and the service keeps answering everyone else meanwhile."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from server_support import API_TOKEN_ENV, Server, start_server, stop_server

HEADER_TIMEOUT = 1.0
BOUND = 15.0
"""A generous bound on how long the service may take to close a slow client (15 × the
timeout), so that a loaded machine never fails the test while a service that never closes
does."""

SECURITY = (
    b"content-security-policy",
    b"x-frame-options",
    b"x-content-type-options",
    b"referrer-policy",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("slowloris")
    running = start_server(
        f"sqlite:///{tmp_path / 'store.db'}",
        tmp_path,
        workers=1,
        args=("--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(HEADER_TIMEOUT)),
        **API_TOKEN_ENV,
    )
    try:
        yield running
    finally:
        stop_server(running)


def connect(server: Server) -> socket.socket:
    host, port = server.base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=BOUND)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (socket timeout: BOUND)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def assert_security_headers(answer: bytes) -> None:
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    for name in SECURITY:
        assert name + b":" in head, (name, answer[:300])


def test_partial_headers_are_closed_after_the_timeout(server: Server) -> None:
    started = time.monotonic()
    sockets = [connect(server) for _ in range(40)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        # A slowloris client keeps trickling bytes; the deadline counts from its first byte.
        for _ in range(3):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")
            time.sleep(HEADER_TIMEOUT / 4)
        assert httpx.get(f"{server.base}/healthz", timeout=BOUND).status_code == 200
        answers = [read_until_closed(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert time.monotonic() - started < BOUND
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
        assert_security_headers(answer)


def test_a_silent_connection_is_closed(server: Server) -> None:
    with connect(server) as sock:
        assert read_until_closed(sock) == b""


def test_a_kept_alive_connection_gets_the_deadline_for_its_next_request(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        first = b""
        while b"ok\n" not in first:
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: loc")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_oversized_headers_get_a_431(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        with contextlib.suppress(OSError):  # the server may close while we still send
            for _ in range(80):
                sock.sendall(b"X-Big: " + b"b" * 1000 + b"\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert_security_headers(answer)


def test_a_malformed_request_is_a_400_with_headers(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nBad\x00Header: x\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    assert_security_headers(answer)


def test_a_stalled_body_gets_a_408(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/acceptances HTTP/1.1\r\nHost: localhost\r\n"
            b"Authorization: Bearer "
            + API_TOKEN_ENV["PUBLISHER_API_TOKEN"].encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"customer": '
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert_security_headers(answer)
    assert httpx.get(f"{server.base}/readyz", timeout=BOUND).status_code == 200
