"""Guest orders: an order placed without an account, readable with its access key (or by the
session that placed it), and joined to the account later registered with its email.

The key is random and shown once, to the guest who placed the order; only its SHA-256 is
kept (in `OrderPlaced`), so neither the log nor a backup can open the order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from polyshop.accounts.domain import AccountError, normalize_email
from polyshop.orders.checkout_request import Guest
from polyshop.orders.domain import Order
from polyshop.orders.errors import InvalidEmail


def new_guest(email: str) -> tuple[Guest, str]:
    """The guest's checkout facts and the access key to hand back (once)."""
    if not email.strip():
        raise InvalidEmail(
            "a guest's order needs an email address (`email`); or sign in or create an "
            "account (POST /api/v1/auth/login or /api/v1/auth/register) sending this guest "
            "token as the bearer token: your cart comes along"
        )
    try:
        shown, key = normalize_email(email)
    except AccountError as exc:
        raise InvalidEmail(str(exc)) from exc
    access_key = secrets.token_urlsafe(24)
    return Guest(shown, key, hash_key(access_key)), access_key


def hash_key(access_key: str) -> str:
    return hashlib.sha256(access_key.encode("utf-8", "replace")).hexdigest()


def opens(order: Order, access_key: str | None) -> bool:
    """Whether `access_key` is the guest order's key (compared in constant time)."""
    if not access_key or order.access_key_hash is None or len(access_key) > 200:
        return False
    return hmac.compare_digest(hash_key(access_key), order.access_key_hash)
