"""Password hashing with argon2id (memory-hard), parameters from OWASP's recommendation.

m = 19 MiB, t = 2, p = 1 costs about 23 ms per hash on this machine's cores: slow enough
that a stolen table is expensive to attack, fast enough that login throttling, not the
hash, is what limits guessing. Hashes made with older parameters are upgraded at login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the email is unknown, so a miss costs what a wrong password costs
# and response times do not tell which addresses have accounts.
_DECOY = _hasher.hash("decoy password that nobody has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DECOY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
