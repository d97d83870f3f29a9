"""Opaque session tokens: 256 random bits, handed out once, stored only as a SHA-256 hash.

A fast hash is right here (unlike passwords): the token has full entropy, so nobody can
guess it from its hash, and a lookup per request must cost microseconds.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from polyshop.accounts.ports import Session, SessionStore

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    session: Session
    expires_in: float


class Sessions:
    def __init__(self, store: SessionStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl

    def issue(self, user_id: str | None) -> Issued:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session = Session(id=uuid.uuid4().hex, user_id=user_id, created_at=time.time())
        self.store.put(hash_token(token), session, self.ttl)
        return Issued(token, session, self.ttl)

    def resolve(self, token: str) -> Session | None:
        if not token or len(token) > 200:
            return None
        return self.store.get(hash_token(token), self.ttl)

    def revoke(self, token: str) -> None:
        self.store.revoke(hash_token(token))
