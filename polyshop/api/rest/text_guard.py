"""Text the shop cannot hold is refused at the door: once, for every field of every request.

A JSON escape can spell half of a UTF-16 pair (`"\\ud83d"`): Python keeps it in a `str`, but
no encoder can write it, so it reached the database driver and became a 500
(`UnicodeEncodeError`) wherever a route stored it. `\\u0000` is storable by SQLite and not
by PostgreSQL, so the two modes answered it differently. Percent-encoded bytes in a path or
query that are not UTF-8 were silently turned into U+FFFD. Rather than a check per field
(one forgotten field is a 500), this middleware looks at the raw request before any route:
a JSON body's strings and keys, each query parameter and form field, each path segment, and
the headers the API takes as parameters (`Idempotency-Key`), and answers 422 naming the
field.

It costs a regex over the raw bytes of a request; only a request that may hold such text
(an escape like `\\udXXX`, a `%` in the URL) is parsed to find the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.middleware import read_body, send_response
from polyshop.api.rest.problems import PROBLEM_JSON, clip, problem_body

# In a JSON text, the escapes that may spell a lone surrogate or a NUL (a `\\u` after an
# escaped backslash is a false alarm, which the parse then clears).
_SUSPECT_JSON = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")
_PARAM = re.compile(r"^\{(\w+)(?::\w+)?\}$")
_TOKEN = re.compile(rb"^[\x20-\x7e]*$")
#: The most fields one refusal names: enough to fix a request, never a body's worth.
MAX_REPORTED = 20

SURROGATE = (
    "holds an unpaired surrogate (such as \\ud83d alone), which is half a character: "
    "send valid Unicode text"
)
NUL = "holds a NUL character (\\u0000), which the shop cannot store"
NOT_UTF8 = "is not UTF-8 text once percent-decoded"
NOT_PRINTABLE_ASCII = "must be printable ASCII, as a key, a timestamp or a signature is"


def flaw(text: str) -> str | None:
    """Why `text` cannot be stored as it is, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL if found[0] == "\x00" else SURROGATE


def json_flaws(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field, reason) for each string or key in a parsed JSON body that cannot be stored;
    fields are named as validation errors name them (`shipping_address.line1`, `tags.0`)."""
    if isinstance(value, str):
        if (reason := flaw(value)) is not None:
            yield path or "body", reason
    elif isinstance(value, dict):
        for key, item in value.items():
            if (reason := flaw(key)) is not None:
                yield path or "body", f"has a key that {reason}"
                continue
            yield from json_flaws(item, f"{path}.{clip(key)}" if path else clip(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from json_flaws(item, f"{path}.{i}" if path else str(i))


def decoded_flaw(raw: bytes) -> str | None:
    """Why percent-encoded `raw` (a path segment, a query name or value) is no text."""
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    return flaw(text)


def query_flaws(query: bytes) -> Iterator[tuple[str, str]]:
    if b"%" not in query and query.isascii():
        return  # nothing encoded, so nothing that decodes badly
    for pair in query.split(b"&"):
        name, _, value = pair.replace(b"+", b" ").partition(b"=")
        label = clip(unquote_to_bytes(name).decode("utf-8", "replace")) or "query"
        for part in (name, value):
            if (reason := decoded_flaw(part)) is not None:
                yield label, reason
                break


def declared_headers(app: Any) -> dict[bytes, str]:
    """The headers the API takes as parameters (`Idempotency-Key`, the webhook's
    `X-Payment-Timestamp`), by lower-case name: a route's own or its dependencies', and
    those its OpenAPI extra declares for headers it reads itself."""
    found: dict[bytes, str] = {}

    def visit(dependant: Any) -> None:
        for param in dependant.header_params:
            name = param.alias.replace("_", "-")
            found[name.lower().encode()] = name
        for sub in dependant.dependencies:
            visit(sub)

    for context in iter_route_contexts(getattr(app, "routes", [])):
        route = context.original_route
        if (dependant := getattr(route, "dependant", None)) is not None:
            visit(dependant)
        for param in (getattr(route, "openapi_extra", None) or {}).get("parameters", []):
            if param.get("in") == "header":
                found[param["name"].lower().encode()] = param["name"]
    return found


def header_flaws(scope: Scope, declared: dict[bytes, str]) -> Iterator[tuple[str, str]]:
    """Declared headers are tokens (a key, a timestamp, a signature): printable ASCII."""
    for name, value in scope["headers"]:
        label = declared.get(name.lower())
        if label is not None and not _TOKEN.match(value):
            yield label, NOT_PRINTABLE_ASCII


def path_flaws(scope: Scope) -> Iterator[tuple[str, str]]:
    raw: bytes | None = scope.get("raw_path")
    if raw is None:  # a server that gives only the decoded path
        if (reason := flaw(scope["path"])) is not None:
            yield "path", reason
        return
    if b"%" not in raw and raw.isascii():
        return
    for index, segment in enumerate(raw.split(b"/")):
        if (reason := decoded_flaw(segment)) is not None:
            yield _path_field(scope, index), reason
            return


def _path_field(scope: Scope, index: int) -> str:
    """The path parameter at segment `index` of the route the request is for, else 'path'."""
    segments = [
        unquote_to_bytes(part).decode("utf-8", "replace")
        for part in scope.get("raw_path", b"").split(b"/")
    ]
    for context in iter_route_contexts(getattr(scope.get("app"), "routes", [])):
        template = (context.path or "").split("/")
        if len(template) != len(segments):
            continue
        params = [_PARAM.match(part) for part in template]
        if all(p is not None or t == s for p, t, s in zip(params, template, segments, strict=True)):
            named = params[index]
            return named[1] if named else "path"
    return "path"


def body_kind(scope: Scope) -> str | None:
    """'json' for a body the framework parses as JSON (it parses no other), 'form' for an
    urlencoded form (the admin page's login), None for a body no route reads as text."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            ):
                return "json"
            return "form" if media == b"application/x-www-form-urlencoded" else None
    return None


def body_flaws(body: bytes) -> list[tuple[str, str]]:
    if _SUSPECT_JSON.search(body) is None:
        return []
    try:
        parsed = json.loads(body)  # as the framework parses it: lone surrogates kept
        return list(islice(json_flaws(parsed), MAX_REPORTED))
    except (ValueError, RecursionError):
        return []  # malformed or nested past reading: the framework answers that


class TextGuard:
    """Pure ASGI: refuses a request holding text that cannot be stored, before any route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers: dict[bytes, str] | None = None  # read off the routes on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._headers is None:
            self._headers = declared_headers(scope.get("app"))
        flaws = [
            *path_flaws(scope),
            *query_flaws(scope["query_string"]),
            *header_flaws(scope, self._headers),
        ]
        if flaws:
            await _refuse(send, flaws)
            return
        kind = body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        body, replay = await read_body(receive)
        if flaws := body_flaws(body) if kind == "json" else list(query_flaws(body)):
            await _refuse(send, flaws)
            return
        await self.app(scope, replay, send)


async def _refuse(send: Send, flaws: list[tuple[str, str]]) -> None:
    flaws = flaws[:MAX_REPORTED]
    errors = [{"field": field, "message": reason} for field, reason in flaws]
    names = ", ".join(dict.fromkeys(field for field, _ in flaws))
    detail = f"{flaws[0][0]}: {flaws[0][1]}." if len(flaws) == 1 else f"Invalid text in: {names}."
    body = problem_body(
        422, detail, slug="validation-error", title="Invalid request", errors=errors
    )
    await send_response(send, 422, PROBLEM_JSON.encode(), orjson.dumps(body))
