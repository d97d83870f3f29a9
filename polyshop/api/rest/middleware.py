"""Per-request plumbing as plain ASGI: request ids, body size limits, metrics, access logs.

Written as raw ASGI rather than BaseHTTPMiddleware, which costs a task and a copy per request.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import orjson
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polyshop.runtime import correlation

log = structlog.get_logger("polyshop.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class BodyTooLarge(Exception):
    pass


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "polyshop_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route", "status"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.errors = Counter(
            "polyshop_http_server_errors_total",
            "Responses with a 5xx status.",
            ["route"],
            registry=registry,
        )


#: How much of a request's path the access log keeps.
LOGGED_PATH_CHARS = 200


#: Requests that carry files rather than JSON (image uploads), with a body limit of their own.
LargeBodies = tuple[tuple[str, re.Pattern[str]], ...]


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: HttpMetrics,
        large_bodies: LargeBodies = (),
        max_large_body_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.large_bodies = large_bodies
        self.max_large_body_bytes = max_large_body_bytes

    def _body_limit(self, scope: Scope) -> int:
        method, path = scope["method"], scope["path"]
        for allowed, pattern in self.large_bodies:
            if method == allowed and pattern.match(path):
                return self.max_large_body_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        limit = self._body_limit(scope) if self.large_bodies else self.max_body_bytes
        exchange = _Exchange(receive, send, limit, request_id)
        started = time.perf_counter()
        token_id = correlation.correlation_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await exchange.refuse_too_large()
            else:
                try:
                    await self.app(scope, exchange.receive, exchange.send)
                except BodyTooLarge:
                    if not exchange.response_started:
                        await exchange.refuse_too_large()
        finally:
            self._record(scope, exchange.status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")
            correlation.correlation_id.reset(token_id)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        """The request's metrics and its access log line."""
        route = _route_of(scope)
        self.metrics.duration.labels(scope["method"], route, str(status)).observe(elapsed)
        if status >= 500:
            self.metrics.errors.labels(route).inc()
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"][:LOGGED_PATH_CHARS],  # a client's path may be huge
            route=route,
            status=status,
            ms=round(elapsed * 1000, 2),
        )


class _Exchange:
    """One request on its way through: the body it lets in (up to the limit), the status it
    answered, and its id on the response."""

    def __init__(self, receive: Receive, send: Send, max_body_bytes: int, request_id: str) -> None:
        self._receive = receive
        self._send = send
        self._max_body_bytes = max_body_bytes
        self._request_id = request_id
        self._received = 0
        self._too_large = False
        self.status = 500
        self.response_started = False

    async def send(self, message: Message) -> None:
        if self._too_large:
            # The framework turned our BodyTooLarge into its own 400: say what happened.
            if not self.response_started:
                await self.refuse_too_large()
            return
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_started = True
            message["headers"] = [
                *message.get("headers", []),
                (b"x-request-id", self._request_id.encode()),
            ]
        await self._send(message)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._max_body_bytes:
                self._too_large = True
                raise BodyTooLarge
        return message

    async def refuse_too_large(self) -> None:
        self.response_started, self.status = True, 413
        await _too_large(self._send, self._max_body_bytes, self._request_id)


def _route_of(scope: Scope) -> str:
    if (served_early := scope.get("polyshop.route")) is not None:
        return str(served_early)
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


async def send_response(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """A whole response in two ASGI messages, for middleware answering on its own."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int, request_id: str) -> None:
    body = orjson.dumps(
        {
            "type": "/problems/body-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"The request body exceeds {limit} bytes.",
        }
    )
    await send_response(
        send,
        413,
        b"application/problem+json",
        body,
        ((b"x-request-id", request_id.encode()), (b"connection", b"close")),
    )


async def read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a receive that hands it to the app as the one message it was
    (then whatever the client sends next, such as a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # gone before the end: let the app see it
            pending: list[Message] = [message]
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            pending = []
            break
    body = b"".join(chunks)
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *pending]

    async def replay() -> Message:
        return queue.pop(0) if queue else await receive()

    return body, replay
