"""RFC 9457 problem details for every error, so clients parse one error shape everywhere.

Every problem has a type (`/problems/<slug>`), never `about:blank`: a client branches on the
type, and people read the title and detail. A detail never quotes back more than a short
prefix of what the caller sent (an id of 5,000 characters is no one's business to receive
twice), whoever built the message: the clipping is done here, once, for every problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, compile_path

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
#: The most of a caller's input a problem quotes back; longer values end in "…".
ECHO_CHARS = 40
#: A detail is a sentence or two; anything longer is cut (a backstop behind the clipping).
MAX_DETAIL_CHARS = 400
# Values quoted as Python's repr does ('...' or "..."), which is how messages quote input;
# an apostrophe inside a word ("can't") neither opens nor closes one.
_QUOTED = re.compile(r"""(?<!\w)(['"])((?:\\.|(?!\1)[^\\])*)\1(?!\w)""")


def clip(value: str, limit: int = ECHO_CHARS) -> str:
    """`value`, or its first `limit` characters and an ellipsis: what a problem may echo."""
    return value if len(value) <= limit else value[:limit] + "…"


def _clip_text(text: str) -> str:
    """Quoted values shortened to a prefix, then the whole cut to MAX_DETAIL_CHARS."""
    if len(text) <= ECHO_CHARS:
        return text
    clipped = _QUOTED.sub(lambda m: m[1] + clip(m[2]) + m[1], text)
    return clip(clipped, MAX_DETAIL_CHARS)


class Problem(Exception):
    """Raise from any route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra


def default_slug(status: int) -> str:
    """The type of a problem no one named: its status phrase ("method-not-allowed")."""
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_body(
    status: int, detail: str, *, slug: str | None = None, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The problem document, with echoes of the input clipped (see `clip`)."""
    if isinstance(errors := extra.get("errors"), list):
        extra["errors"] = [
            {**e, "field": clip(str(e["field"]), 100), "message": _clip_text(str(e["message"]))}
            if isinstance(e, dict) and {"field", "message"} <= e.keys()
            else e
            for e in errors
        ]
    return {
        "type": f"/problems/{slug or default_slug(status)}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": _clip_text(detail),
        **extra,
    }


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(status, detail, slug=slug, title=title, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(location: tuple[Any, ...]) -> str:
    parts = [clip(str(p)) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[0] if location else "body")


def unprocessable(field: str, message: str) -> Problem:
    """A 422 naming the offending field, shaped like the framework's own validation errors."""
    return Problem(
        422,
        f"{field}: {message}",
        slug="validation-error",
        title="Invalid request",
        errors=[{"field": field, "message": message}],
    )


def render(problem: Problem) -> JSONResponse:
    return problem_response(
        problem.status,
        problem.detail,
        slug=problem.slug,
        title=problem.title,
        headers=problem.headers,
        **problem.extra,
    )


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return render(exc)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    """The framework's own refusals (no route, wrong method, unreadable body), typed and
    explained; an HTTPException a route raised with its own words keeps them."""
    assert isinstance(exc, StarletteHTTPException)
    status, detail = exc.status_code, str(exc.detail)
    generic = detail == HTTPStatus(status).phrase
    if status == 404 and generic:
        detail = f"Nothing is served at {clip(request.url.path)}; the API is listed at /docs."
    elif status == 405 and generic:
        allowed = _allowed_methods(request)
        exc.headers = {**(exc.headers or {}), "Allow": allowed}
        detail = f"{request.method} is not allowed here; this path answers {allowed}."
    elif status == 400 and detail == "There was an error parsing the body":
        return problem_response(
            400,
            "The request body could not be read as JSON: send it encoded as UTF-8, nested "
            "no deeper than a few hundred levels.",
            slug="malformed-body",
            title="Unreadable body",
            headers=exc.headers,
        )
    return problem_response(status, detail, headers=exc.headers)


def _allowed_methods(request: Request) -> str:
    """The methods of the resource at this path (RFC 9110's `Allow`); the framework names
    only those of the first route that matched the path, one of several.

    The resource is the most specific documented path that matches (`/products/search`,
    not `/products/{product_id}`); an undocumented page answers what its routes take.
    """
    documented = [
        (template.count("{"), methods)
        for pattern, template, methods in _documented_paths(request.app)
        if pattern.match(request.url.path)
    ]
    if documented:
        return ", ".join(sorted(min(documented)[1]))
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    )


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _documented_paths(app: FastAPI) -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """The OpenAPI document's paths as patterns with their methods, built once per app."""
    built: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = getattr(
        app.state, "documented_paths", None
    )
    if built is None:
        built = [
            (compile_path(template)[0], template, frozenset(m.upper() for m in operations))
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.documented_paths = built
    return built


def _unsupported_media_type(request: Request) -> JSONResponse:
    sent = request.headers.get("content-type")
    what = f"A body of type {clip(sent)}" if sent else "A body without a Content-Type"
    return problem_response(
        415,
        f"{what} is not accepted here: send JSON with `Content-Type: application/json`.",
        slug="unsupported-media-type",
        title="Unsupported media type",
        headers={"Accept": "application/json"},
        accepted=["application/json"],
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if invalid_json := next((e for e in errors if e.get("type") == "json_invalid"), None):
        location = tuple(invalid_json.get("loc", ()))
        at = f" at character {location[1]}" if len(location) > 1 else ""
        reason = (invalid_json.get("ctx") or {}).get("error", "")
        return problem_response(
            400,
            f"The request body is not valid JSON{at}" + (f": {reason}." if reason else "."),
            slug="malformed-json",
            title="Malformed JSON",
        )
    # The framework parses a body as JSON only when it says so; any other body reaches
    # validation as raw bytes, which no JSON model accepts.
    if any(e.get("loc", ())[:1] == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        return _unsupported_media_type(request)
    invalid = [
        {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in errors
    ]
    names = ", ".join(sorted({e["field"] for e in invalid}))
    return problem_response(
        422,
        f"Invalid value for: {names}.",
        slug="validation-error",
        title="Invalid request",
        errors=invalid,
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        500, "An unexpected error occurred; it has been logged.", slug="internal-error"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Exception, _on_unexpected)
