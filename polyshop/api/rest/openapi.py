"""The OpenAPI document as a client needs it: every answer a route can give, who may call
it, what each input means, and how operations lead to one another.

Routes declare what only they know: their problem statuses (`responses=problems(404, 409)`)
and the words for their inputs. What holds for every route is added here, once, after
FastAPI has generated the document (`install`): the Problem schema behind every error
answer (`application/problem+json`), the security each operation requires (read from its
dependencies, so it cannot drift from what the code enforces), operation ids that are the
route functions' names, the links between operations (`links.LINKS`), and the conventions
(money, positions, pages, errors) in the document's description.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from polyshop.api.rest import dependencies
from polyshop.api.rest.links import LINKS
from polyshop.api.rest.models.orders import WebhookIn
from polyshop.api.rest.problems import PROBLEM_JSON

REF = "#/components/schemas/"

DESCRIPTION = """\
polyshop's HTTP API. The conventions below hold for every operation.

- **Money** is a JSON number with two decimals (`19.99`) in every answer, with `currency`
  beside it, and is sent the same way (at most two decimals; more is refused, never
  rounded). It is computed as a decimal, never a float. In the event log and in the order
  audit trail (`GET /api/v1/orders/{order_id}/events`, `data`) amounts are decimal strings
  (`"19.99"`), exactly as recorded.
- **Errors** are `application/problem+json` (RFC 9457): `type` (`/problems/<slug>`: branch
  on it), `title`, `status`, `detail` (for people), and for invalid input `errors`, one
  `{field, message}` per offending field. Every status an operation can answer is listed
  under it. Details quote at most a short prefix of what was sent.
- **Who may call**: the `session` scheme is a token from `POST /api/v1/sessions` (a guest)
  or from `/auth/register` and `/auth/login` (a customer), sent as
  `Authorization: Bearer <token>` or in the `polyshop_session` cookie the same calls set.
  The `admin` scheme is an admin's session token, or the operator token
  (`POLYSHOP_OPS_TOKEN`). Without one: 401; a customer at an admin operation: 403.
- **Positions and read-your-writes**: a command answers with `position`, where its events
  sit in the log. Queries answer from read models that follow the log a moment behind; pass
  that position as `min_position` to read your own write.
- **Lists** take `page` (from 1) and `limit` (1..100, default 20) and answer `total`,
  `page` and `pages`.
- **Ids** of products, orders and users are UUIDs (time-ordered, version 7).
- **Text** is Unicode: a NUL (U+0000) or half of a surrogate pair in any field, parameter
  or path is refused (422), whatever the field's own rules.
"""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "session": {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token: from POST /api/v1/sessions (a guest) or "
        "/api/v1/auth/register and /auth/login (a customer). The `polyshop_session` cookie "
        "those calls set carries the same token and is accepted instead.",
    },
    "admin": {
        "type": "http",
        "scheme": "bearer",
        "description": "The session token of a user with the admin role, or the operator "
        "token (POLYSHOP_OPS_TOKEN) that scripts use without an account.",
    },
    "paymentSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Payment-Signature",
        "description": "`v1=` and the hex HMAC-SHA256, under POLYSHOP_PAYMENT_WEBHOOK_SECRET, "
        'of `"{X-Payment-Timestamp}.{body}"` (the exact bytes sent).',
    },
}


class FieldError(BaseModel):
    field: str = Field(
        description="The offending input, dotted for nested ones (`variants.0.sku`).",
        examples=["min_price"],
    )
    message: str = Field(description="What is wrong with it.", examples=["above max_price"])


class ProblemOut(BaseModel):
    """An RFC 9457 problem document: the body of every error answer."""

    model_config = ConfigDict(
        title="Problem",
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/validation-error",
                    "title": "Invalid request",
                    "status": 422,
                    "detail": "min_price: above max_price",
                    "errors": [{"field": "min_price", "message": "above max_price"}],
                }
            ]
        },
    )
    type: str = Field(
        description="What kind of error: `/problems/<slug>`, stable, for programs to branch "
        "on (`/problems/insufficient-stock`).",
        examples=["/problems/product-not-found"],
    )
    title: str = Field(description="A short summary of the kind, for people.")
    status: int = Field(ge=400, le=599, description="The HTTP status, repeated.")
    detail: str = Field(description="What happened this time and what to do, for people.")
    errors: list[FieldError] = Field(
        default_factory=list, description="Invalid input only: one entry per offending field."
    )


#: What each status means wherever it is answered; a route may say more precisely.
MEANINGS: dict[int, str] = {
    400: "The body is not valid JSON, or a required header is missing.",
    401: "No session token, or one that is unknown or has expired (`WWW-Authenticate: Bearer`).",
    403: "Signed in, but this operation is for admins.",
    404: "No such resource (or not one the caller may see).",
    409: "The request conflicts with the current state.",
    413: "The body is larger than the shop accepts (POLYSHOP_MAX_BODY_BYTES, 1 MiB by default).",
    415: "The body is not `application/json`.",
    422: "An input breaks a rule; `errors` names each offending field.",
    429: "Too many attempts; `Retry-After` says in how many seconds to try again.",
    503: "A store this operation needs is briefly unavailable; retry after `Retry-After` "
    "seconds (browsing and search still work).",
    504: "The read model did not reach `min_position` within the wait bound; retry.",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`, the scheme to authenticate with"}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}

#: The statuses any operation reading JSON from its body can answer.
JSON_BODY = (400, 413, 415, 422)
#: The statuses `min_position` adds: a position beyond the log's head, too many waiting
#: queries, a read model too slow to reach it.
READ_WAIT: tuple[tuple[int, str], ...] = (
    (409, "`min_position` is beyond the log's head: nothing was written there yet (the "
     "problem gives `head`)."),
    (503, "Too many queries are waiting for `min_position`; retry after `Retry-After`."),
    (504, MEANINGS[504]),
)  # fmt: skip


def problems(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses a route can answer: each an
    `application/problem+json` Problem; a `(status, text)` pair says what it means there."""
    responses: dict[int | str, dict[str, Any]] = {}
    for entry in statuses:
        status, text = entry if isinstance(entry, tuple) else (entry, MEANINGS[entry])
        responses[status] = _problem_response(status, text)
    return responses


def _problem_response(status: int, text: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": text,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"{REF}Problem"}}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


#: Bodies routes read themselves (the webhook verifies a signature over the raw bytes
#: first), so FastAPI does not see their models; their operations refer to them by name.
READ_RAW: tuple[type[BaseModel], ...] = (WebhookIn,)

#: Headers an operation cannot do without, though its signature takes them as optional:
#: the route checks them itself, to answer a 400 that says what to send.
REQUIRED_HEADERS: dict[str, tuple[str, ...]] = {"place_order": ("Idempotency-Key",)}


def install(app: FastAPI) -> None:
    """Complete the document FastAPI generates (once, on first request of /openapi.json)."""
    generate = app.openapi
    lock = threading.Lock()
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        with lock:
            if not completed:
                completed.append(complete(generate(), app))
            return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """`document` with what holds for every route added (see the module's docstring)."""
    document["info"]["description"] = DESCRIPTION
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = ProblemOut.model_json_schema(ref_template=REF + "{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for model in READ_RAW:
        schemas[model.__name__] = model.model_json_schema(ref_template=REF + "{model}")
    components["securitySchemes"] = SECURITY_SCHEMES
    by_id: dict[str, dict[str, Any]] = {}
    for route, operation in _operations(document, app):
        name = route.name
        assert name is not None  # an APIRoute's is always set: its endpoint's, or the one given
        operation["operationId"] = name
        by_id[name] = operation
        for parameter in operation.get("parameters", []):
            if parameter["name"] in REQUIRED_HEADERS.get(name, ()):
                parameter["required"] = True
        if "security" not in operation and (security := _security(route.dependant)):
            operation["security"] = security
        for status, response in operation.get("responses", {}).items():
            _as_problem(status, response)
    for link in LINKS:
        link.attach(by_id)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _operations(
    document: dict[str, Any], app: FastAPI
) -> Iterator[tuple[RouteContext, dict[str, Any]]]:
    """Each documented route (as included, with its prefix) and its operation."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                yield route, document["paths"][route.path_format][method.lower()]


def _as_problem(status: str, response: dict[str, Any]) -> None:
    """An error answer without a body of its own, or with FastAPI's default validation
    error, is a Problem: the one error shape of this API."""
    if not status.isdigit() or int(status) < 400:
        return
    content = response.get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if not content or schema.get("$ref") == f"{REF}HTTPValidationError":
        text = response.get("description") or HTTPStatus(int(status)).phrase
        if text == "Validation Error":
            text = MEANINGS[422]
        response.update(_problem_response(int(status), text))


#: Who may call an operation, by the dependency that checks it (the first found wins).
_CALLERS: tuple[tuple[Callable[..., Any], list[dict[str, list[str]]]], ...] = (
    (dependencies.require_admin, [{"admin": []}]),
    (dependencies.current_viewer, [{"session": []}, {"admin": []}]),
    (dependencies.current_user, [{"session": []}]),
    (dependencies.current_caller, [{"session": []}]),
    (dependencies.required_token, [{"session": []}]),
    (dependencies.optional_caller, [{}, {"session": []}]),
)


def _security(dependant: Dependant) -> list[dict[str, list[str]]] | None:
    calls = set(_calls(dependant))
    return next((security for call, security in _CALLERS if call in calls), None)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)
