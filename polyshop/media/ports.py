"""The blob store: bytes under a key, on local disk or in an S3-compatible object store.

Keys are content addresses chosen by the caller (`<sha-256 hex>.<ext>` for renditions and
originals, `uploads/<token>` for presigned uploads still waiting to be attached), so a put of
the same bytes twice is harmless and a URL that names a key is immutable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class BlobStoreUnavailable(RuntimeError):
    """The store did not answer (network, permissions, a full disk): retry later."""


class BlobNotFound(LookupError):
    """No blob under that key."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    content_type: str
    #: Last write (or refresh by a put of the same key): what the garbage job's grace reads.
    modified: datetime


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """Where and how a client uploads bytes itself, without passing them through polyshop."""

    url: str
    method: str
    #: Headers the client must send exactly as given (e.g. the Content-Type it signed).
    headers: dict[str, str]
    expires_at: datetime


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        """Store `data` under `key` atomically: a reader sees all of it or nothing, never a
        half-written blob. Putting an existing key again refreshes its `modified` time."""
        ...

    def get(self, key: str) -> bytes:
        """The whole blob; raises BlobNotFound."""
        ...

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes `start` to `end` inclusive (HTTP Range semantics); raises BlobNotFound."""
        ...

    def stat(self, key: str) -> BlobInfo | None: ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob whose key starts with `prefix`, in no particular order."""
        ...

    def presigned_put(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedUpload | None:
        """A URL a client may PUT at most `max_bytes` of `content_type` to, for `expires_in`
        seconds; None when this store cannot hand one out (polyshop then signs its own)."""
        ...

    def public_url(self, key: str) -> str | None:
        """Where browsers fetch the blob straight from the store (or its CDN); None means
        polyshop serves it itself under /media/."""
        ...

    def check(self) -> None:
        """Raise BlobStoreUnavailable unless the store answers (readiness)."""
        ...

    def close(self) -> None: ...
