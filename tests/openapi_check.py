"""A small structural JSON Schema check for the OpenAPI document's schemas (the subset the
document uses: $ref, type, properties, required, additionalProperties, items, enum, const,
oneOf). jsonschema is not a dependency; this keeps the tests honest without it."""

from __future__ import annotations

import re
from typing import Any

from web_support import Site

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _is(value: object, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[kind])


def problems(
    value: object, schema: dict[str, Any], document: dict[str, Any], where: str = "$"
) -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty: it conforms)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return problems(value, document["components"]["schemas"][name], document, where)
    found: list[str] = []
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not problems(value, s, document, where)]
        if len(matching) != 1:
            found.append(f"{where}: matches {len(matching)} of oneOf, not 1")
        return found
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return [*found, f"{where}: {type(value).__name__} is not {'/'.join(kinds)}"]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: missing {name!r}")
        for name, item in value.items():
            if name in properties:
                found += problems(item, properties[name], document, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unexpected {name!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(item, schema["items"], document, f"{where}[{i}]")
    return found


def spec(site: Site) -> dict[str, Any]:
    response = site.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def template_of(path: str, document: dict[str, Any]) -> str:
    for template in document["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return str(template)
    raise AssertionError(f"{path} is not in the OpenAPI document")


def conforms(site: Site, response: Any, document: dict[str, Any]) -> None:
    request = response.request
    template = template_of(request.url.path, document)
    operation = document["paths"][template][request.method.lower()]
    code = str(response.status_code)
    assert code in operation["responses"], f"{request.method} {template} {code} undocumented"
    content = operation["responses"][code]["content"]
    kind = response.headers["content-type"].split(";")[0]
    assert kind in content, f"{template} {code}: {kind} undocumented"
    if kind == "application/json":
        found = problems(response.json(), content[kind]["schema"], document)
        assert found == [], f"{request.method} {template} {code}: {found}"
