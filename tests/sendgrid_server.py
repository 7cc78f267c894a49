"""A local SendGrid-compatible HTTP server for tests and benchmarks (the one fake: the real
service is out of reach).

It speaks ``POST /v3/mail/send`` as SendGrid's v3 API documents it: a bearer API key,
a JSON body with 1–1,000 personalizations (at most 1,000 recipients in all), each with a
``to`` list; ``from``; a subject (top level or in every personalization); ``content`` with
``text/plain`` first; string values in ``custom_args``, ``substitutions`` (at most 10,000
bytes per personalization) and ``headers``. Valid requests get ``202`` with an
``X-Message-Id`` and an empty body; invalid ones ``400`` with ``{"errors": [{"message",
"field", "help"}]}``. Every accepted personalization is appended to the record file (JSON
lines: message_id, to, custom_args, subject, substitutions), flushed before the answer.

Faults, each with a rate (0–1) drawn from a seeded generator: ``429`` with
``X-RateLimit-Reset`` (``--ratelimit-rate``), ``500``/``503`` (``--fail-rate``, nothing
recorded, as SendGrid documents for 5xx), and stalls (``--stall-rate``: the request is
accepted and recorded, then the answer waits ``--stall-seconds``, so a client that times out
does not know it was sent). ``--reject REGEX`` makes matching addresses invalid (a 400 naming
the personalization), to test refusals.

    python tests/sendgrid_server.py --port 8025 --record /tmp/sent.jsonl --fail-rate 0.05

or, in a test::

    with SendGridServer(record=path, faults=Faults(fail_rate=0.1)) as server:
        settings = ...(sendgrid_host=server.url)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
MAX_SUBSTITUTIONS_BYTES = 10000
_EMAIL = re.compile(r"^[^@\s\"<>()\[\],;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_BODY_LIMIT = 30 * 1024 * 1024


@dataclass
class Faults:
    """Which faults to inject, and how often (probabilities per request)."""

    fail_rate: float = 0.0
    ratelimit_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 5.0
    reset_seconds: float = 1.0
    latency: float = 0.0
    reject: str | None = None
    seed: int | None = None


@dataclass
class Stats:
    requests: int = 0
    accepted: int = 0
    personalizations: int = 0
    rejected: int = 0
    failed: int = 0
    ratelimited: int = 0
    stalled: int = 0
    unauthorized: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


def _error(
    message: str, field_name: str | None = None, help_text: str | None = None
) -> dict[str, Any]:
    return {"message": message, "field": field_name, "help": help_text}


def validate(body: Any, reject: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    """SendGrid's documented checks of a Mail Send body; the errors (empty: valid)."""
    errors: list[dict[str, Any]] = []
    if not isinstance(body, dict):
        return [_error("The request body must be a JSON object.")]
    template = body.get("template_id")

    def check_email(value: Any, where: str, *, required: bool = True) -> None:
        if not isinstance(value, dict):
            if required:
                errors.append(_error("The email object must be provided.", where))
            return
        address = value.get("email")
        refused = reject is not None and isinstance(address, str) and reject.search(address)
        if not isinstance(address, str) or not _EMAIL.match(address) or refused:
            errors.append(_error("Does not contain a valid address.", f"{where}.email"))
        name = value.get("name")
        if name is not None and not isinstance(name, str):
            errors.append(_error("The name must be a string.", f"{where}.name"))

    def check_strings(value: Any, where: str) -> None:
        if value is None:
            return
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            errors.append(_error("Values must be strings.", where))

    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            _error(
                "The personalizations field is required and must have at least "
                "one personalization.",
                "personalizations",
            )
        )
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(
            _error(
                f"The personalizations field can have at most {MAX_PERSONALIZATIONS} items.",
                "personalizations",
            )
        )
    recipients = 0
    subject = body.get("subject")
    for i, item in enumerate(personalizations):
        where = f"personalizations.{i}"
        if not isinstance(item, dict):
            errors.append(_error("Each personalization must be an object.", where))
            continue
        to = item.get("to")
        if not isinstance(to, list) or not to:
            errors.append(
                _error(
                    "The to array is required for all personalization objects, "
                    "and must have at least one email object with a valid email "
                    "address.",
                    f"{where}.to",
                )
            )
        else:
            for j, address in enumerate(to):
                check_email(address, f"{where}.to.{j}")
        for kind in ("cc", "bcc"):
            extra = item.get(kind) or []
            for j, address in enumerate(extra if isinstance(extra, list) else []):
                check_email(address, f"{where}.{kind}.{j}")
            recipients += len(extra) if isinstance(extra, list) else 0
        recipients += len(to) if isinstance(to, list) else 0
        if (
            template is None
            and not (isinstance(subject, str) and subject)
            and not (isinstance(item.get("subject"), str) and item.get("subject"))
        ):
            errors.append(
                _error(
                    "The subject is required. You can get around this requirement "
                    "if you use a template with a subject defined or if every "
                    "single personalization has a subject defined.",
                    "subject",
                )
            )
        check_strings(item.get("custom_args"), f"{where}.custom_args")
        check_strings(item.get("headers"), f"{where}.headers")
        substitutions = item.get("substitutions")
        check_strings(substitutions, f"{where}.substitutions")
        if (
            isinstance(substitutions, dict)
            and len(json.dumps(substitutions).encode("utf-8")) > MAX_SUBSTITUTIONS_BYTES
        ):
            errors.append(
                _error(
                    "The total size of substitutions is limited to 10,000 bytes "
                    "per personalization.",
                    f"{where}.substitutions",
                )
            )
    if recipients > MAX_RECIPIENTS:
        errors.append(
            _error(
                f"The total number of recipients must be no more than {MAX_RECIPIENTS}.",
                "personalizations",
            )
        )
    check_email(body.get("from"), "from")
    if body.get("reply_to") is not None:
        check_email(body.get("reply_to"), "reply_to")
    content = body.get("content")
    if template is None:
        if not isinstance(content, list) or not content:
            errors.append(
                _error(
                    "Unless a valid template_id is provided, the content parameter is required.",
                    "content",
                )
            )
        else:
            types = []
            for k, part in enumerate(content):
                if (
                    not isinstance(part, dict)
                    or not isinstance(part.get("type"), str)
                    or not isinstance(part.get("value"), str)
                    or not part.get("value")
                ):
                    errors.append(
                        _error(
                            "Each content object needs a type and a non-empty value.",
                            f"content.{k}",
                        )
                    )
                    continue
                types.append(part["type"])
            if "text/plain" in types and types[0] != "text/plain":
                errors.append(
                    _error(
                        "If present, text/plain must be first, followed by any other content.",
                        "content",
                    )
                )
            if len(set(types)) != len(types):
                errors.append(_error("Each content type may be used once.", "content"))
    check_strings(body.get("custom_args"), "custom_args")
    check_strings(body.get("headers"), "headers")
    return errors


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client gave up waiting (a stall): that is the point
        super().handle_error(request, client_address)


class SendGridServer:
    """The server on 127.0.0.1 (a free port unless given), in a background thread."""

    def __init__(
        self,
        *,
        port: int = 0,
        record: Path | None = None,
        faults: Faults | None = None,
        api_key: str | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self.record_path = Path(record) if record else None
        self.api_key = api_key
        self.stats = Stats()
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._record = self.record_path.open("a", encoding="utf-8") if self.record_path else None
        self._reject = re.compile(self.faults.reject) if self.faults.reject else None
        self._httpd = _Server(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SendGridServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._record is not None:
            self._record.close()

    def __enter__(self) -> SendGridServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- decisions ---------------------------------------------------------------------

    def _draw(self) -> str | None:
        with self._lock:
            roll = self._rng.random()
        faults = self.faults
        if roll < faults.ratelimit_rate:
            return "429"
        roll -= faults.ratelimit_rate
        if roll < faults.fail_rate:
            return "5xx"
        roll -= faults.fail_rate
        if roll < faults.stall_rate:
            return "stall"
        return None

    def _accept(self, body: dict[str, Any]) -> str:
        message_id = secrets.token_urlsafe(16)[:22]
        common = body.get("custom_args") or {}
        lines = []
        for item in body["personalizations"]:
            for to in item["to"]:
                lines.append(
                    json.dumps(
                        {
                            "message_id": message_id,
                            "to": to["email"],
                            "custom_args": {**common, **(item.get("custom_args") or {})},
                            "subject": item.get("subject") or body.get("subject"),
                            "substitutions": item.get("substitutions") or {},
                        },
                        ensure_ascii=False,
                    )
                )
        with self._lock:
            if self._record is not None:
                self._record.write("\n".join(lines) + "\n")
                self._record.flush()
            self.stats.accepted += 1
            self.stats.personalizations += len(body["personalizations"])
        return message_id

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self,
                status: int,
                body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None,
            ) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with server._lock:
                    server.stats.by_status[status] = server.stats.by_status.get(status, 0) + 1

            def do_GET(self) -> None:
                if self.path == "/_stats":
                    with server._lock:
                        stats = dict(server.stats.__dict__)
                    self._send(
                        200,
                        {k: v for k, v in stats.items() if k != "by_status"}
                        | {"by_status": {str(k): v for k, v in server.stats.by_status.items()}},
                    )
                    return
                self._send(404, {"errors": [_error("not found")]})

            def do_POST(self) -> None:
                with server._lock:
                    server.stats.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length > _BODY_LIMIT:
                    self._send(413, {"errors": [_error("Payload too large.")]})
                    return
                raw = self.rfile.read(length)
                if self.path.rstrip("/") != "/v3/mail/send":
                    self._send(404, {"errors": [_error("not found")]})
                    return
                if server.faults.latency:
                    time.sleep(server.faults.latency)
                auth = self.headers.get("Authorization") or ""
                if (
                    not auth.startswith("Bearer ")
                    or len(auth) <= 7
                    or (server.api_key is not None and auth[7:] != server.api_key)
                ):
                    with server._lock:
                        server.stats.unauthorized += 1
                    self._send(
                        401,
                        {
                            "errors": [
                                _error(
                                    "The provided authorization grant is invalid, expired, or revoked"
                                )
                            ]
                        },
                    )
                    return
                fault = server._draw()
                if fault == "429":
                    with server._lock:
                        server.stats.ratelimited += 1
                    reset = int(time.time() + server.faults.reset_seconds + 0.999)
                    self._send(
                        429,
                        {"errors": [_error("too many requests")]},
                        {
                            "X-RateLimit-Limit": "600",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": str(reset),
                        },
                    )
                    return
                if fault == "5xx":
                    with server._lock:
                        server.stats.failed += 1
                    status = 500 if server._rng.random() < 0.5 else 503
                    self._send(status, {"errors": [_error("Internal server error")]})
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._send(400, {"errors": [_error("Bad Request", None, None)]})
                    return
                errors = validate(body, server._reject)
                if errors:
                    with server._lock:
                        server.stats.rejected += 1
                    self._send(400, {"errors": errors})
                    return
                message_id = server._accept(body)
                if fault == "stall":
                    with server._lock:
                        server.stats.stalled += 1
                    time.sleep(server.faults.stall_seconds)
                self._send(202, None, {"X-Message-Id": message_id})

        return Handler


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every personalization the server accepted, from its record file."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local SendGrid-compatible Mail Send server.")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one, printed)")
    parser.add_argument("--record", type=Path, default=None, help="JSON-lines record file")
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any)")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of 5xx answers")
    parser.add_argument("--ratelimit-rate", type=float, default=0.0, help="share of 429 answers")
    parser.add_argument(
        "--reset-seconds",
        type=float,
        default=1.0,
        help="X-RateLimit-Reset is this far in the future",
    )
    parser.add_argument(
        "--stall-rate", type=float, default=0.0, help="share of accepted requests answered late"
    )
    parser.add_argument("--stall-seconds", type=float, default=5.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--reject", default=None, help="regex of addresses to refuse (400)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    faults = Faults(
        fail_rate=args.fail_rate,
        ratelimit_rate=args.ratelimit_rate,
        stall_rate=args.stall_rate,
        stall_seconds=args.stall_seconds,
        reset_seconds=args.reset_seconds,
        latency=args.latency,
        reject=args.reject,
        seed=args.seed,
    )
    server = SendGridServer(port=args.port, record=args.record, faults=faults, api_key=args.api_key)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    print(f"listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server._record is not None and not server._record.closed:
            server._record.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
