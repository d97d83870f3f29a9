"""Every text field of every operation refuses text the shop cannot store, with a 422 that
names it, and nothing is written: found by walking the app's own OpenAPI document, so a
field added tomorrow is covered without touching this test.

The text: a lone surrogate (`"\\ud83d"`, which became a 500 in the database driver), a NUL
(storable in SQLite, not PostgreSQL), and, where a URL carries it, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.shoppers import OPS, register

#: Percent-encoded UTF-8 of U+D83D: what a URL can say in place of "\ud83d".
URL_SURROGATE = "%ED%A0%BD"
BAD_TEXT = ("\ud83d", "\x00")


@dataclass(frozen=True)
class Case:
    """One text field of one operation, and where the bad text goes."""

    method: str
    path: str
    where: str  # body, body-key, query, path, header
    field: str  # as the problem names it
    location: tuple[str | int, ...] = ()  # in the body: keys and indexes to the field
    admin: bool = False
    schema: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path} {self.where}:{self.field}"


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _options(schema: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (`anyOf: [X, null]` is X)."""
    schema = _resolve(schema, doc)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [_resolve(s, doc) for s in alternatives if s.get("type") != "null"]


def _is_text(schema: dict[str, Any], doc: dict[str, Any]) -> bool:
    return any(s.get("type") == "string" for s in _options(schema, doc))


def text_fields(
    schema: dict[str, Any], doc: dict[str, Any], location: tuple[str | int, ...] = ()
) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """('body' or 'body-key', location) of every string reachable in a JSON schema."""
    for option in _options(schema, doc):
        kind = option.get("type")
        if kind == "string":
            yield "body", location
        elif kind == "array" and "items" in option:
            yield from text_fields(option["items"], doc, (*location, 0))
        elif kind == "object" or "properties" in option:
            for name, sub in option.get("properties", {}).items():
                yield from text_fields(sub, doc, (*location, name))
            extra = option.get("additionalProperties")
            if isinstance(extra, dict):
                yield "body-key", location
                yield from text_fields(extra, doc, (*location, "key"))


def sample(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """A plain value of the schema's shape: required properties, defaults where given."""
    option = _options(schema, doc)[0] if _options(schema, doc) else {}
    if "default" in option:
        return option["default"]
    if "enum" in option:
        return option["enum"][0]
    kind = option.get("type")
    if kind == "object" or "properties" in option:
        required = option.get("required", [])
        return {name: sample(option["properties"][name], doc) for name in required}
    if kind == "array":
        return [sample(option["items"], doc)] if option.get("minItems") else []
    if kind in ("integer", "number"):
        return max(1, option.get("minimum", 1))
    if kind == "boolean":
        return True
    return "x" * max(1, option.get("minLength", 1))


def _admin(operation: dict[str, Any]) -> bool:
    declared = json.dumps(operation.get("security", [])) + " ".join(operation.get("tags", []))
    return any(word in declared for word in ("admin", "inventory", "analytics"))


def cases(doc: dict[str, Any]) -> list[Case]:
    found = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            admin = _admin(operation) or (method != "get" and path.endswith("/products"))
            for parameter in operation.get("parameters", []):
                if _is_text(parameter.get("schema", {}), doc):
                    found.append(Case(method, path, parameter["in"], parameter["name"], (), admin))
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue
            for where, location in text_fields(schema, doc):
                name = ".".join(str(part) for part in location) or "body"
                found.append(Case(method, path, where, name, location, admin, schema))
    return found


def put(value: Any, location: tuple[str | int, ...], leaf: Any, doc: dict[str, Any]) -> Any:
    """`value` with `leaf` at `location`, making the containers on the way."""
    if not location:
        return leaf
    head, rest = location[0], location[1:]
    if isinstance(head, int):
        items = list(value) if isinstance(value, list) and value else [{} if rest else ""]
        items[0] = put(items[0], rest, leaf, doc)
        return items
    container = dict(value) if isinstance(value, dict) else {}
    container[head] = put(container.get(head, {}), rest, leaf, doc)
    return container


def request_for(case: Case, bad: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The arguments of the test client's request: a plain request, bad in one field."""
    in_url = bad.encode("utf-8", "surrogatepass").hex("%").upper()
    in_url = "%" + in_url if case.where in ("path", "query") else in_url
    path = case.path
    for name in [p.split("}")[0] for p in path.split("{")[1:]]:
        value = in_url if case.where == "path" and name == case.field else "x"
        path = path.replace("{" + name + "}", value)
    kwargs: dict[str, Any] = {"headers": {}}
    if case.where == "query":
        path += f"?{case.field}={in_url}"
    if case.where == "header":
        kwargs["headers"][case.field] = bad.encode("utf-8", "surrogatepass")
    if case.where.startswith("body"):
        body = sample(case.schema, doc)
        if case.where == "body":
            body = put(body, case.location, bad, doc)
        else:
            body = put(body, case.location, {bad: "x"}, doc)
        kwargs["content"] = json.dumps(body).encode()  # ASCII escapes, as a client sends
        kwargs["headers"]["Content-Type"] = "application/json"
    kwargs["url"] = path
    return kwargs


def expected_field(case: Case) -> str:
    if case.where == "body-key":
        return ".".join(str(p) for p in case.location) or "body"
    return case.field


def test_every_text_field_refuses_text_the_shop_cannot_store(client: TestClient):
    doc = client.get("/openapi.json").json()
    found = cases(doc)
    labels = {c.label for c in found}
    # The walk finds what it must: a sign that it reads the document right.
    assert {
        "PATCH /api/v1/me body:name",
        "PATCH /api/v1/me body:addresses.0.line1",
        "POST /api/v1/orders body:shipping_address.city",
        "POST /api/v1/orders header:Idempotency-Key",
        "GET /api/v1/products/search query:q",
        "GET /api/v1/orders/{order_id} path:order_id",
        "POST /api/v1/products body-key:attributes",
        "POST /api/v1/products body:variants.0.sku",
    } <= labels, sorted(labels)
    customer = register(client, "walker@example.com")
    head = client.container.machinery.store.head()  # type: ignore[attr-defined]
    wrong: list[str] = []
    for case in found:
        for bad in BAD_TEXT:
            if case.where == "header" and bad == "\x00":
                continue  # no HTTP client can send a NUL in a header
            kwargs = request_for(case, bad, doc)
            kwargs["headers"].update(OPS if case.admin else customer.headers)
            response = client.request(case.method.upper(), **kwargs)
            client.cookies.clear()
            problem = response.json() if response.status_code == 422 else {}
            named = [e.get("field") for e in problem.get("errors", [])]
            if (
                response.headers.get("content-type") != "application/problem+json"
                or expected_field(case) not in named
            ):
                wrong.append(f"{case.label} {bad!r}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert client.container.machinery.store.head() == head  # type: ignore[attr-defined]
