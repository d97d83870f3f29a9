"""What accounts need from the TTL store: sessions and attempt counters (Redis or embedded).

Every method may raise `StoreUnavailable`; callers let it through to become a 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in or guest visitor. Only the token's hash is ever stored."""

    id: str
    user_id: str | None
    created_at: float  # epoch seconds

    @property
    def cart_owner(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"guest:{self.id}"


class SessionStore(Protocol):
    def put(self, token_hash: str, session: Session, ttl: float) -> None: ...

    def get(self, token_hash: str, ttl: float) -> Session | None:
        """The live session, its expiry slid forward to now + ttl; None if gone or expired."""

    def revoke(self, token_hash: str) -> None: ...


class AttemptCounter(Protocol):
    """Fixed-window counters: the first hit opens a window of `window` seconds."""

    def hit(self, key: str, window: float) -> tuple[int, float]:
        """Count one attempt; the count in the window and the seconds it has left."""

    def peek(self, key: str) -> tuple[int, float]: ...

    def undo(self, key: str) -> None:
        """Take back one hit (never below zero)."""

    def reset(self, key: str) -> None: ...
