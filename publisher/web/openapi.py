"""The OpenAPI 3.1 document of the acceptance service's JSON endpoints, declared as data and
served at ``GET /api/v1/openapi.json`` (no token needed: it holds no data).

The tests validate real responses against these schemas, so the document cannot drift from
what the service answers.
"""

from __future__ import annotations

from typing import Any

from publisher.acceptance_rules import REASONS
from publisher.store.ledger import METHODS
from publisher.store.record import ERASURE, FIELDS, Field
from publisher.web.auth import SCOPES

PATH = "/api/v1/openapi.json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _object(
    properties: dict[str, Any], *, required: tuple[str, ...] | None = None, closed: bool = True
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}


def _field_schema(field: Field) -> dict[str, Any]:
    """A ledger record's hashed field, as ``to_dict`` gives it."""
    kind = "integer" if field.kind == "integer" else "string"
    return _nullable(kind) if field.nullable else {"type": kind}


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": STRING,
            "field": STRING,
            "hint": _nullable("string"),
            "scope": {"enum": list(SCOPES)},
        },
        required=("error",),
    ),
    "Record": _object(
        {
            "id": INTEGER,
            **{field.key: _field_schema(field) for field in FIELDS},
            "method": {"enum": [*METHODS, ERASURE]},
            "commitments": {"type": "object", "additionalProperties": STRING},
            "salts": {"type": "object", "additionalProperties": STRING},
            "erased_at": _nullable("string"),
            "hash": STRING,
        }
    ),
    "AcceptedVersion": _object(
        {
            "version": STRING,
            "accepted_at": STRING,
            "record": INTEGER,
            "hash": STRING,
            "method": {"enum": list(METHODS)},
            "organisation": _nullable("string"),
            "acting_user": _nullable("string"),
        }
    ),
    "PolicyStatus": _object(
        {
            "policy": STRING,
            "title": _nullable("string"),
            "current": _object(
                {"version": STRING, "sha256": STRING, "effective": _nullable("string")}
            ),
            "accepted": {"oneOf": [_ref("AcceptedVersion"), {"type": "null"}]},
            "needs_acceptance": BOOLEAN,
            "reason": {"enum": list(REASONS)},
            "explanation": STRING,
            "carried_forward": BOOLEAN,
            "accept_url": _nullable("string"),
        }
    ),
    "Status": _object(
        {
            "customer": STRING,
            "needs_acceptance": BOOLEAN,
            "policies": {"type": "array", "items": _ref("PolicyStatus")},
        }
    ),
    "EndUser": _object(
        {"id": _nullable("string"), "ip": _nullable("string"), "user_agent": _nullable("string")},
        required=(),
    ),
    "AppAcceptanceRequest": _object(
        {
            "customer": STRING,
            "policy": STRING,
            "version": STRING,
            "notice": _nullable("integer"),
            "user": _ref("EndUser"),
            "on_behalf_of": _nullable("string"),
        },
        required=("customer", "policy", "version"),
    ),
    "AppAcceptance": _object(
        {
            "created": BOOLEAN,
            "record": _ref("Record"),
            "user": _object(
                {
                    "id": _nullable("string"),
                    "ip": _nullable("string"),
                    "user_agent": _nullable("string"),
                    "forwarded": {"const": True},
                }
            ),
            "idempotency_key": _nullable("string"),
            "received_at": STRING,
        }
    ),
    "AcceptanceRequest": _object(
        {"customer": STRING, "policy": STRING, "version": STRING, "notice": _nullable("integer")},
        required=("customer", "policy", "version"),
    ),
    "Acceptance": _object({"created": BOOLEAN, "record": _ref("Record")}),
    "CustomerStatus": _object(
        {
            "id": STRING,
            "email": STRING,
            "name": STRING,
            "company": STRING,
            "status": {"enum": ["accepted", "carried", "pending", "superseded"]},
            "accepted_at": _nullable("string"),
            "method": _nullable("string"),
            "last_accepted": _nullable("string"),
            "carried_from": _nullable("string"),
            "notified": BOOLEAN,
            "organisation": _nullable("string"),
            "acting_user": _nullable("string"),
        }
    ),
    "Report": _object(
        {
            "generated_at": STRING,
            "versions": {
                "type": "array",
                "items": _object(
                    {
                        "policy": STRING,
                        "version": STRING,
                        "title": _nullable("string"),
                        "effective": _nullable("string"),
                        "sha256": STRING,
                        "current": BOOLEAN,
                        "customers": INTEGER,
                        "accepted": INTEGER,
                        "pending": INTEGER,
                        "carried": INTEGER,
                        "superseded": INTEGER,
                        "rate": _nullable("number"),
                        "pending_customers": {"type": "array", "items": _ref("CustomerStatus")},
                    }
                ),
            },
        }
    ),
    "Verification": _object(
        {
            "ok": BOOLEAN,
            "records": INTEGER,
            "head": _object({"seq": INTEGER, "hash": STRING}),
            "problems": {
                "type": "array",
                "items": _object(
                    {
                        "kind": STRING,
                        "seq": _nullable("integer"),
                        "id": _nullable("integer"),
                        "message": STRING,
                    }
                ),
            },
            "anchors_checked": INTEGER,
        },
        required=("ok", "records", "head", "problems"),
    ),
    "Evidence": _object(
        {
            "customer": _object(
                {
                    "id": STRING,
                    "email": STRING,
                    "name": STRING,
                    "company": STRING,
                    "locale": _nullable("string"),
                }
            ),
            "generated_at": STRING,
            "acceptances": {
                "type": "array",
                "items": _object(
                    {
                        "record": _ref("Record"),
                        "version": {"type": ["object", "null"]},
                        "text_matches_record": BOOLEAN,
                        "text": STRING,
                        "erased": {"type": "object", "additionalProperties": STRING},
                        "text_shown": {"enum": ["translation", "source", None]},
                        "translation": {"type": ["object", "null"]},
                        "translation_text": STRING,
                    },
                    required=(
                        "record",
                        "version",
                        "text_matches_record",
                        "erased",
                        "text_shown",
                        "translation",
                    ),
                ),
            },
            "erasures": {
                "type": "array",
                "items": _object({"record": _ref("Record"), "erased_at": STRING}),
            },
            "notices": {"type": "array", "items": {"type": "object"}},
            "ledger": _ref("Verification"),
        }
    ),
    "Ready": _object(
        {
            "status": {"enum": ["ok", "unavailable"]},
            "schema": _nullable("string"),
            "writer": STRING,
            "error": STRING,
            "needs": STRING,
        },
        required=("status",),
    ),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _ref("Error")
_AUTH_ERRORS = {
    "401": _json(ERROR, "missing or wrong bearer token"),
    "403": _json(ERROR, "the token lacks the endpoint's scope"),
    "404": _json(ERROR, "the API is disabled, or the customer, policy or version is unknown"),
    "422": _json(ERROR, "a field is refused (its name in `field`)"),
    "503": _json(ERROR, "the database is unavailable; retry"),
}


def _operation(
    summary: str, scope: str | None, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": responses, **extra}
    if scope is not None:
        operation["security"] = [{"bearer": [scope]}]
        operation["x-scope"] = scope
        operation["responses"] = {**_AUTH_ERRORS, **responses}
    return operation


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(
    name: str, description: str, *, required: bool = False, many: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": STRING} if many else STRING
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
        **({"explode": True} if many else {}),
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1-255 printable ASCII characters; the same key with the same request "
    "replays the first answer (header Idempotent-Replayed: true), with "
    "another request it is refused (422)",
    "schema": STRING,
}

PATHS: dict[str, Any] = {
    "/api/v1/status": {
        "get": _operation(
            "A customer's acceptance status per policy (the re-acceptance rule)",
            "status",
            {"200": _json(_ref("Status"), "the status of each requested policy")},
            parameters=[
                _query("customer", "the customer's id", required=True),
                _query("policy", "a policy slug (repeat for several; default: all)", many=True),
            ],
        )
    },
    "/api/v1/acceptances": {
        "post": _operation(
            "Record an acceptance given in the provider's app, with the end user as it saw them",
            "write",
            {
                "201": _json(_ref("AppAcceptance"), "recorded"),
                "200": _json(_ref("AppAcceptance"), "already recorded (the record is returned)"),
                "400": _json(ERROR, "the body is not a JSON object"),
                "409": _json(ERROR, "the customer already accepted a later version"),
            },
            parameters=[IDEMPOTENCY_KEY],
            requestBody=_body(_ref("AppAcceptanceRequest")),
        )
    },
    "/api/v1/openapi.json": {
        "get": _operation(
            "This document",
            None,
            {
                "200": {
                    "description": "the OpenAPI document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        )
    },
    "/api/acceptances": {
        "post": _operation(
            "Record an acceptance (method api); the original endpoint",
            "write",
            {
                "201": _json(_ref("Acceptance"), "recorded"),
                "200": _json(_ref("Acceptance"), "already recorded"),
                "400": _json(ERROR, "the body is not the expected JSON object"),
                "409": _json(ERROR, "the customer already accepted a later version"),
            },
            requestBody=_body(_ref("AcceptanceRequest")),
        )
    },
    "/api/reports/acceptance": {
        "get": _operation(
            "Acceptance per policy version (format=csv for CSV)",
            "reports",
            {
                "200": {
                    "description": "the report",
                    "content": {
                        "application/json": {"schema": _ref("Report")},
                        "text/csv": {"schema": STRING},
                    },
                }
            },
            parameters=[
                _query("policy", "one policy"),
                _query("version", "one version"),
                _query("format", "json (default) or csv"),
            ],
        )
    },
    "/api/customers/{customer_id}/evidence": {
        "get": _operation(
            "One customer's evidence document, texts inline",
            "reports",
            {"200": _json(_ref("Evidence"), "the evidence")},
            parameters=[{"name": "customer_id", "in": "path", "required": True, "schema": STRING}],
        )
    },
    "/api/ledger/verify": {
        "get": _operation(
            "Verify the ledger's hash chain",
            "reports",
            {"200": _json(_ref("Verification"), "the verification")},
        )
    },
    "/readyz": {
        "get": _operation(
            "Readiness: writer, database and schema",
            None,
            {"200": _json(_ref("Ready"), "ready"), "503": _json(_ref("Ready"), "not ready")},
        )
    },
}


def document(*, server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document (``server_url``: where the service is, e.g. its accept_url)."""
    scopes = {
        "status": "read one customer's acceptance status",
        "write": "record acceptances",
        "reports": "reports, evidence and the ledger's verification",
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "policy-publisher acceptance service", "version": "1"},
        **({"servers": [{"url": server_url}]} if server_url else {}),
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "api_token (every scope) or an api_tokens entry limited to "
                    "scopes: " + "; ".join(f"{k}: {v}" for k, v in scopes.items()),
                }
            },
        },
    }
