"""What every blob store agrees on about keys: which are valid, which content type a key's
extension names, which keys are content addresses.

Shared by the adapters so the file store and the object store refuse the same keys and
answer the same content type for the same key.
"""

from __future__ import annotations

import re

#: By extension, the types polyshop stores; anything else is served as opaque bytes.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}
OCTET_STREAM = "application/octet-stream"
#: Longest key segment: a file name's limit on common file systems is 255 bytes.
MAX_SEGMENT = 200
MAX_KEY = 1024
_CONTENT_ADDRESS = re.compile(r"[0-9a-f]{64}(\.[A-Za-z0-9]+)?")


def validate_key(key: str) -> str:
    """`key` unchanged, or ValueError when it could name something outside the store's own
    space (`..`, an absolute path, a backslash, a NUL) or a file the store keeps for itself
    (a segment starting with a dot: temporary files)."""
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"a blob key must have 1 to {MAX_KEY} characters")
    if "\\" in key or "\x00" in key or key.startswith("/"):
        raise ValueError("a blob key must not be absolute or hold a backslash or a NUL")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            raise ValueError("a blob key's segments must be non-empty and not start with '.'")
        if len(segment.encode()) > MAX_SEGMENT or not segment.isprintable():
            raise ValueError(f"a blob key's segments must be printable, under {MAX_SEGMENT} bytes")
    return key


def content_type_for(key: str) -> str:
    """The type a key's extension names (`.jpg` -> image/jpeg), else application/octet-stream."""
    name = key.rsplit("/", 1)[-1]
    if "." not in name:
        return OCTET_STREAM
    return CONTENT_TYPES.get(name.rsplit(".", 1)[1].lower(), OCTET_STREAM)


def is_content_addressed(key: str) -> bool:
    """A `<sha-256 hex>[.ext]` key names its bytes forever: caches may keep it for good."""
    return _CONTENT_ADDRESS.fullmatch(key.rsplit("/", 1)[-1]) is not None
