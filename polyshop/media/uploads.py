"""Signed upload URLs that polyshop hands out itself, where the blob store cannot presign.

A large image should not travel through the JSON API twice, so an admin asks for an upload
URL and PUTs the bytes there. An S3 store presigns its own URLs; the files store cannot, so
polyshop signs `PUT /media/uploads/<id>?expires=<unix time>&signature=<hmac>` with a key
only the server knows. The signature covers the id and the expiry: an URL cannot be
stretched in time or pointed at another upload.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class UploadRefused(ValueError):
    """A signed upload URL that is malformed, forged or past its expiry."""


def new_upload_id() -> str:
    """Unguessable: the id alone names where an upload's bytes wait to be attached."""
    return secrets.token_urlsafe(24)


def is_upload_id(value: str) -> bool:
    return bool(_UPLOAD_ID.match(value))


def upload_key(upload_id: str) -> str:
    """The blob key an upload's bytes wait under until they are attached to a product."""
    if not is_upload_id(upload_id):
        raise UploadRefused("not an upload id")
    return f"uploads/{upload_id}"


class UploadSigner:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def signature(self, upload_id: str, expires: int) -> str:
        message = f"{upload_id}.{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, upload_id: str, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        signature = self.signature(upload_id, expires)
        return f"/media/uploads/{upload_id}?expires={expires}&signature={signature}"

    def verify(self, upload_id: str, expires: int, signature: str, now: datetime) -> None:
        if not is_upload_id(upload_id):
            raise UploadRefused("This is not an upload URL polyshop handed out.")
        expected = self.signature(upload_id, expires)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise UploadRefused("The upload URL's signature does not match; ask for a new one.")
        if datetime.fromtimestamp(expires, UTC) < now:
            raise UploadRefused("The upload URL has expired; ask for a new one.")
