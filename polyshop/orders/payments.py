"""Payment provider webhooks: signed, fresh, idempotent.

The provider signs `"{timestamp}.{body}"` with HMAC-SHA256 under the shared secret and
sends `X-Payment-Timestamp` and `X-Payment-Signature: v1=<hex>`. A signature is checked in
constant time; a timestamp more than five minutes off is refused, so a captured delivery
cannot be replayed later. Repeated deliveries of one payment change nothing (the order
remembers every payment id it has seen).
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    if not timestamp or not signature:
        raise BadSignature("missing signature headers")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise BadSignature("malformed timestamp") from exc
    if abs(now - sent) > TOLERANCE_SECONDS:
        raise BadSignature("stale timestamp")
    expected = sign(secret, timestamp, body).encode()
    offered = [given.strip().encode("utf-8", "replace") for given in signature.split(",")]
    if not any(hmac.compare_digest(expected, given) for given in offered):
        raise BadSignature("signature does not match")
