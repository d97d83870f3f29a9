"""Webhooks as a shop sees them, without I/O: what may be registered, how a delivery is
signed, and when a failed one is tried again.

Signatures follow the scheme payment providers use, so receivers know it: the header
`Polyshop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
webhook's own secret. The timestamp is signed with the body, so a receiver that refuses
old timestamps (`verify` allows five minutes) cannot be fed a recorded delivery again.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

#: Attempts before a delivery is given up and listed as a dead letter.
MAX_ATTEMPTS = 8
#: The first retry waits about this long; each next one twice as long, up to CAP.
BACKOFF_BASE = 10.0
BACKOFF_CAP = 3600.0
#: Seconds a receiver should accept a signature's timestamp for.
TOLERANCE = 300
MAX_URL = 2000
MAX_TYPES = 50
SIGNATURE_HEADER = "Polyshop-Signature"

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]{1,63}$")


class InvalidWebhook(ValueError):
    """A registration that breaks a rule; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ReceiverRefused(InvalidWebhook):
    """A well-formed URL the shop will not call: it resolves to a private address, or to
    nothing."""

    def __init__(self, message: str) -> None:
        super().__init__("url", message)


class WebhookNotFound(LookupError):
    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"No webhook {webhook_id!r}.")
        self.webhook_id = webhook_id


class DeliveryNotFound(LookupError):
    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"No delivery {delivery_id}.")
        self.delivery_id = delivery_id


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    #: Event types delivered; empty: every type.
    event_types: tuple[str, ...]
    description: str
    secret: str
    active: bool
    #: Only events after this log position are delivered: none from before it existed.
    from_position: int
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.event_types or event_type in self.event_types)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt: the receiver's status (None: no answer), why it failed, how long."""

    status: int | None
    error: str | None
    ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status_code: int | None
    error: str | None
    ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: str
    position: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    #: Every attempt, oldest first: only when one delivery is read.
    log: tuple[Attempt, ...] = ()


def checked_url(url: str) -> str:
    """The URL, if it can be a receiver's: http(s), a host, no credentials in it."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidWebhook("url", f"A webhook URL has at most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise InvalidWebhook("url", f"Not a URL: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidWebhook("url", "A webhook URL is http:// or https:// with a host.")
    if parts.username or parts.password:
        raise InvalidWebhook("url", "A webhook URL carries no user name or password.")
    return url


def checked_types(types: Iterable[str]) -> tuple[str, ...]:
    """Event type names (as in the log, e.g. `OrderPlaced`), sorted and distinct; none or
    `*` for every type."""
    names = sorted({t.strip() for t in types if t.strip()})
    if "*" in names:
        return ()
    if len(names) > MAX_TYPES:
        raise InvalidWebhook("event_types", f"At most {MAX_TYPES} event types per webhook.")
    for name in names:
        if not _TYPE.match(name):
            raise InvalidWebhook("event_types", f"{name!r} is not an event type name.")
    return tuple(names)


def public_address(address: str) -> bool:
    """Whether an address is on the public internet: a receiver on a private, loopback or
    link-local address (the shop's own network, a cloud's metadata service) is refused
    unless the operator allows private receivers."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address carried inside IPv6
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and ip in _NAT64:
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None:
            return public_address(str(carried))
    return ip.is_global and not ip.is_multicast


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE) -> bool:
    """What a receiver checks: a `v1` signature of this body under the secret, with a
    timestamp within `tolerance` seconds of `now`."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def retry_delay(attempts: int, rng: random.Random | None = None) -> float | None:
    """Seconds until the next try after `attempts` failed ones; None: give up (dead letter).
    Exponential with jitter (half fixed, half random), so receivers coming back from an
    outage are not hit by every shop's retries in the same second."""
    if attempts >= MAX_ATTEMPTS:
        return None
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
