"""Product images served the way a CDN serves them, ahead of routing.

Every URL names its blob by the hash of its bytes, so a response never changes: browsers and
caches keep it for a year (`immutable`), the hash is the strong ETag, and a revalidation is
a 304 without reading the blob. Small blobs are answered from memory; `Range` requests get
206 (one range; several are answered with the whole blob, as RFC 9110 allows). Nothing here
touches the event log or a database.
"""

from __future__ import annotations

import re

import orjson
from anyio import to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.middleware import send_response
from polyshop.media.ports import BlobInfo, BlobNotFound
from polyshop.media.service import Media

ROUTE = "/media/{key}"
_PATH = re.compile(r"^/media/([0-9a-f]{64}\.(?:jpg|png|webp|avif))$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_IMMUTABLE = b"public, max-age=31536000, immutable"


class MediaFiles:
    def __init__(self, app: ASGIApp, *, media: Media) -> None:
        self.app = app
        self.media = media

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.match(scope["path"]) if scope["type"] == "http" else None
        if match is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        scope["polyshop.route"] = ROUTE
        key = match[1]
        found: tuple[BlobInfo, bytes | None] | None = self.media.hot(key)
        if found is None:
            found = await to_thread.run_sync(self.media.blob, key)
        if found is None:
            await _not_found(send)
            return
        info, data = found
        await self._answer(scope, send, info, data)

    async def _answer(self, scope: Scope, send: Send, info: BlobInfo, data: bytes | None) -> None:
        headers = Headers(scope=scope)
        etag = f'"{info.key.split(".", 1)[0]}"'
        common = (
            (b"etag", etag.encode()),
            (b"cache-control", _IMMUTABLE),
            (b"x-content-type-options", b"nosniff"),
            (b"accept-ranges", b"bytes"),
        )
        content_type = info.content_type.encode()
        if _matches(headers.get("if-none-match"), etag):
            await _send(send, 304, content_type, b"", common, length=None)
            return
        head = scope["method"] == "HEAD"
        try:
            span = _span(headers, etag, info.size)
        except _Unsatisfiable:
            unsatisfied = (*common, (b"content-range", f"bytes */{info.size}".encode()))
            await _send(send, 416, content_type, b"", unsatisfied, length=0)
            return
        if span is None:
            body = b"" if head else (data if data is not None else await self._read(info, 0))
            await _send(send, 200, content_type, body, common, length=info.size)
            return
        start, end = span
        part = b""
        if not head:
            part = data[start : end + 1] if data is not None else await self._read(info, start, end)
        ranged = (*common, (b"content-range", f"bytes {start}-{end}/{info.size}".encode()))
        await _send(send, 206, content_type, part, ranged, length=end - start + 1)

    async def _read(self, info: BlobInfo, start: int, end: int | None = None) -> bytes:
        last = info.size - 1 if end is None else end
        try:
            return await to_thread.run_sync(self.media.read_range, info.key, start, last)
        except BlobNotFound:
            return b""


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class _Unsatisfiable(Exception):
    """A range that starts past the blob's end: 416."""


def _span(headers: Headers, etag: str, size: int) -> tuple[int, int] | None:
    """The one byte range asked for; None = the whole blob."""
    asked = headers.get("range")
    if not asked or "," in asked:
        return None
    if_range = headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    match = _RANGE.match(asked.strip())
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        if not suffix or not size:
            raise _Unsatisfiable
        return max(size - suffix, 0), size - 1
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start >= size or end < start:
        raise _Unsatisfiable
    return start, end


async def _send(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: tuple[tuple[bytes, bytes], ...],
    *,
    length: int | None,
) -> None:
    """`length` is what a GET would carry, also for HEAD (whose body is empty)."""
    listed = [(b"content-type", content_type), *headers]
    if length is not None:
        listed.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": status, "headers": listed})
    await send({"type": "http.response.body", "body": body})


async def _not_found(send: Send) -> None:
    body = orjson.dumps(
        {
            "type": "/problems/media-not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "No image is stored under this address.",
        }
    )
    await send_response(send, 404, b"application/problem+json", body)
