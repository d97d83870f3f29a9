"""Anonymous GraphQL catalog answers served from memory, ahead of routing.

A product page asked for over GraphQL costs the framework, Strawberry's parse, validation
and execution, and a worker thread per read; asked again by anyone without a session it is
the same bytes. So an anonymous request (no Authorization header, no session cookie: a
session's recommendations leave out its cart) for a query over `product`/`products` is
answered, the second time, with the first answer's bytes:

- the key is the SHA-256 of the raw body (a POST's JSON, an automatic persisted query's
  hash-only body included) or of a GET's query string, plus the current 60 s time bucket
  (offset per key, so they do not all expire at once):
  recommendations follow a graph that changes without a catalog event, and their own cache
  holds them at most that long (`recommendations/cache.py`);
- the answer is kept through the catalog's `keep_view` with every product document it
  showed (the product, a listing's, the recommended ones), so a change to any of them, to
  their stock, or to what browse lists evicts it, as the REST and storefront page caches;
- only a 200 JSON answer without errors, of one query the router marked cacheable (no
  mutation, no `minPosition`, no other root field, see `view.keepable`);
- a hit counts the product views its miss counted (`product(...)` is a view, as REST's);
- while a miss runs, the same request waits for its answer rather than running again, so
  a hot product evicted is read once, not by every client asking meanwhile.

Like REST's page cache it adds no header saying whether it answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polyshop.api.graphql.shown import SCOPE_KEY, Shown
from polyshop.api.rest.dependencies import token_in
from polyshop.api.rest.middleware import send_response
from polyshop.catalog.service import Catalog

PATH = "/graphql"
ROUTE = "/graphql (from memory)"
#: The largest POST body considered; a larger one goes on as it came.
MAX_BODY = 16 * 1024
#: How long an answer may be served at most (the recommendation cache's TTL).
BUCKET_SECONDS = 60
#: Keys whose views are known: an entry missing here is served as a miss.
MAX_ENTRIES = 10_000
_JSON = b"application/json"


class CachedGraphQLAnswers:
    def __init__(self, app: ASGIApp, *, catalog: Catalog) -> None:
        self.app = app
        self.catalog = catalog
        #: The product views each kept answer counts, by key (bounded, oldest out).
        self._views: OrderedDict[bytes, tuple[str, ...]] = OrderedDict()
        #: Misses being answered, by key: the same request meanwhile waits for the answer
        #: instead of running it again (a hot product's answer after an eviction).
        self._running: dict[bytes, asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method, raw = scope["method"], None
        if _anonymous(headers) and _plain_json_wanted(headers):
            if method == "GET" and scope["query_string"]:
                raw = scope["query_string"]
            elif method == "POST" and _json(headers):
                raw, receive = await _body(receive)
        if raw is None or len(raw) > MAX_BODY:
            await self.app(scope, receive, send)
            return
        key = _key(method, raw)
        body = self._kept(key)
        running = self._running.get(key) if body is None else None
        if running is not None:  # the same request is being answered: wait for its answer
            await asyncio.shield(running)
            body = self._kept(key)
        if body is not None:
            scope["polyshop.route"] = ROUTE  # for the metrics and the access log
            await send_response(send, 200, _JSON, body)
            return
        if running is not None:
            await self.app(scope, receive, send)  # not kept after all: answered on its own
            return
        self._running[key] = asyncio.get_running_loop().create_future()
        try:
            await self._miss(key, scope, receive, send)
        finally:
            self._running.pop(key).set_result(None)

    def _kept(self, key: bytes) -> bytes | None:
        """The answer kept under `key`, its product views counted; None if none is."""
        views = self._views.get(key)
        body = self.catalog.cached_view(key) if views is not None else None
        if body is None or views is None:
            return None
        for product_id in views:
            self.catalog.viewed(product_id, None)
        return body

    async def _miss(self, key: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the operation, passing its answer on as it comes; keep it if it may be."""
        shown = Shown()
        scope[SCOPE_KEY] = shown
        token = self.catalog.page_token()  # before reading: a change meanwhile is not kept
        status, json, parts = 0, False, []

        async def sending(message: Message) -> None:
            nonlocal status, json
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message["headers"]).get("content-type", "")
                json = content_type.split(";")[0].strip() == "application/json"
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, sending)
        if status == 200 and json and shown.cacheable:
            body = b"".join(parts)
            self.catalog.keep_view(key, body, shown.documents, popular=shown.popular, token=token)
            self._views[key] = tuple(shown.viewed)
            self._views.move_to_end(key)
            while len(self._views) > MAX_ENTRIES:
                self._views.popitem(last=False)


def _anonymous(headers: Headers) -> bool:
    """No Authorization header of any kind and no session cookie."""
    return "authorization" not in headers and token_in(headers) is None


def _plain_json_wanted(headers: Headers) -> bool:
    """Not a client asking for an incremental (multipart or event-stream) answer."""
    accept = headers.get("accept", "")
    return "multipart" not in accept and "event-stream" not in accept


def _json(headers: Headers) -> bool:
    content_type = headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == "application/json"


def _key(method: str, raw: bytes) -> bytes:
    """The request's bytes, hashed, and the time bucket it falls in. Each request's buckets
    start at an offset of its own, so the answers kept do not all expire in the same second
    (every client would be a miss at once, each minute)."""
    digest = hashlib.sha256(method.encode() + b"\0" + raw).digest()
    offset = int.from_bytes(digest[:2]) % BUCKET_SECONDS
    bucket = int((time.time() + offset) // BUCKET_SECONDS)
    return b"graphql:%d:%s" % (bucket, digest.hex().encode())


async def _body(receive: Receive) -> tuple[bytes | None, Receive]:
    """Up to MAX_BODY + 1 bytes of the body (None if the client left first), and a
    `receive` that replays what was read and then goes on with the rest as it comes."""
    parts: list[bytes] = []
    size, more = 0, True
    while more and size <= MAX_BODY:
        message = await receive()
        if message["type"] != "http.request":
            return None, _replay([message], receive)
        chunk = message.get("body", b"")
        parts.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    body = b"".join(parts)
    first: Message = {"type": "http.request", "body": body, "more_body": more}
    return body, _replay([first], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replayed
