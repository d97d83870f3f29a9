"""Login throttling per account and per client address.

Counted before the password is checked, so a throttled guesser does not even cost us a hash.
Per account: a few failures lock that account's logins for the window (whoever tries), which
stops guessing one password; per address: a larger budget, which stops one client spraying
many accounts. Only failures stay counted: a success clears the account's count and takes
its own attempt back from the address's.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from polyshop.accounts.ports import AttemptCounter


class Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed logins; retry in {self.retry_after} s")


@dataclass(frozen=True, slots=True)
class Policy:
    per_account: int = 5
    per_address: int = 30
    sign_ups_per_address: int = 20  # each costs a hash; a script making accounts waits
    window: float = 15 * 60


class LoginThrottle:
    """Every attempt is counted before the password is checked, atomically, so parallel
    guesses cannot all slip under the limit while the first ones are being hashed. A
    success takes its attempt back from the address and clears the account."""

    def __init__(self, counter: AttemptCounter, policy: Policy | None = None) -> None:
        self.counter = counter
        self.policy = policy or Policy()

    def attempt(self, email_key: str, address: str) -> None:
        """Count this attempt; Throttled if it is over either limit."""
        for key, limit in self._keys(email_key, address):
            count, left = self.counter.hit(key, self.policy.window)
            if count > limit:
                raise Throttled(left)

    def sign_up(self, address: str) -> None:
        """Count a sign-up from this address; Throttled past the limit."""
        count, left = self.counter.hit(f"signup:addr:{address}", self.policy.window)
        if count > self.policy.sign_ups_per_address:
            raise Throttled(left)

    def succeeded(self, email_key: str, address: str) -> None:
        self.counter.reset(self._account(email_key))
        self.counter.undo(f"login:addr:{address}")

    def _keys(self, email_key: str, address: str) -> list[tuple[str, int]]:
        return [
            (self._account(email_key), self.policy.per_account),
            (f"login:addr:{address}", self.policy.per_address),
        ]

    @staticmethod
    def _account(email_key: str) -> str:
        # Hashed: counter keys show up in Redis tooling; addresses of users should not.
        return "login:acct:" + hashlib.sha256(email_key.encode()).hexdigest()[:32]
