"""Account rules: emails, passwords, addresses, tokens and the login throttle (no I/O)."""

from __future__ import annotations

import time

import pytest

from polyshop.accounts import domain, passwords
from polyshop.accounts.domain import AccountError, Address
from polyshop.accounts.ports import Session
from polyshop.accounts.sessions import Sessions, hash_token
from polyshop.accounts.throttle import LoginThrottle, Policy, Throttled


def test_emails_are_unique_case_insensitively() -> None:
    shown, key = domain.normalize_email("  Ann.Lee@Example.COM ")
    assert shown == "Ann.Lee@example.com"
    assert key == domain.normalize_email("ann.lee@example.com")[1]


@pytest.mark.parametrize(
    "email", ["", "ann", "ann@", "@example.com", "a b@example.com", "x" * 250 + "@e.com"]
)
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(AccountError) as refused:
        domain.normalize_email(email)
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "123456789",
        "1234567890",
        "aaaaaaaaaaaa",
        "abababababab",
        "x" * 129,
        "ann@example.com",
    ],
)
def test_weak_or_oversize_passwords_are_refused(password: str) -> None:
    with pytest.raises(AccountError) as refused:
        domain.check_password(password, "ann@example.com")
    assert refused.value.field == "password"


def test_a_long_uncommon_password_is_accepted() -> None:
    domain.check_password("correct horse battery staple", "ann@example.com")


def test_addresses_need_their_fields_and_a_country_code() -> None:
    Address(name="Ann", line1="1 Main St", city="Springfield", postal_code="12345", country="US")
    with pytest.raises(AccountError, match="required") as missing:
        Address(name="Ann", line1=" ", city="Springfield", postal_code="1", country="US")
    assert missing.value.field == "line1"
    with pytest.raises(AccountError) as country:
        Address(name="Ann", line1="1 Main", city="X", postal_code="1", country="USA")
    assert country.value.field == "country"


def test_passwords_are_argon2id_hashes_that_verify() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.verify_password(None, "correct horse battery")
    assert not passwords.verify_password("not a hash", "correct horse battery")


class MemorySessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    def put(self, token_hash: str, session: Session, ttl: float) -> None:
        self.rows[token_hash] = session

    def get(self, token_hash: str, ttl: float) -> Session | None:
        return self.rows.get(token_hash)

    def revoke(self, token_hash: str) -> None:
        self.rows.pop(token_hash, None)


def test_tokens_are_random_and_stored_only_as_hashes() -> None:
    store = MemorySessions()
    sessions = Sessions(store, 60)
    first, second = sessions.issue("u1"), sessions.issue(None)
    assert first.token != second.token
    assert len(first.token) >= 43  # 32 random bytes, base64url: 256 bits
    assert first.token not in store.rows
    assert hash_token(first.token) in store.rows
    assert sessions.resolve(first.token) == first.session
    assert sessions.resolve("garbage") is None
    assert sessions.resolve("x" * 10_000) is None
    sessions.revoke(first.token)
    assert sessions.resolve(first.token) is None


def test_guest_and_user_sessions_own_different_carts() -> None:
    assert Session("s1", None, 0).cart_owner == "guest:s1"
    assert Session("s1", "u9", 0).cart_owner == "user:u9"


class MemoryCounter:
    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, window: float) -> tuple[int, float]:
        count, until = self.counts.get(key, (0, time.time() + window))
        self.counts[key] = (count + 1, until)
        return count + 1, until - time.time()

    def peek(self, key: str) -> tuple[int, float]:
        count, until = self.counts.get(key, (0, time.time()))
        return count, until - time.time()

    def undo(self, key: str) -> None:
        count, until = self.counts.get(key, (0, time.time()))
        self.counts[key] = (max(0, count - 1), until)

    def reset(self, key: str) -> None:
        self.counts.pop(key, None)


def test_an_account_locks_after_repeated_failures_from_anywhere() -> None:
    throttle = LoginThrottle(MemoryCounter(), Policy(per_account=3, per_address=100, window=60))
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        throttle.attempt("ann@example.com", address)  # each then fails
    with pytest.raises(Throttled) as throttled:
        throttle.attempt("ann@example.com", "10.0.0.4")
    assert 59 <= throttled.value.retry_after <= 60
    throttle.attempt("bob@example.com", "10.0.0.4")  # other accounts are untouched


def test_an_address_spraying_many_accounts_is_throttled() -> None:
    throttle = LoginThrottle(MemoryCounter(), Policy(per_account=100, per_address=5, window=60))
    for i in range(5):
        throttle.attempt(f"user{i}@example.com", "10.0.0.9")
    with pytest.raises(Throttled):
        throttle.attempt("new@example.com", "10.0.0.9")
    throttle.attempt("new@example.com", "10.0.0.10")


def test_a_success_clears_the_account_and_takes_back_its_address_attempt() -> None:
    counter = MemoryCounter()
    throttle = LoginThrottle(counter, Policy(per_account=3, per_address=3, window=60))
    throttle.attempt("ann@example.com", "a")
    throttle.attempt("ann@example.com", "a")
    throttle.attempt("ann@example.com", "a")
    throttle.succeeded("ann@example.com", "a")
    throttle.attempt("ann@example.com", "a")  # the account count starts again
    assert counter.peek("login:addr:a")[0] == 3


def test_sign_ups_from_one_address_are_limited() -> None:
    throttle = LoginThrottle(MemoryCounter(), Policy(sign_ups_per_address=2, window=60))
    throttle.sign_up("10.0.0.1")
    throttle.sign_up("10.0.0.1")
    with pytest.raises(Throttled):
        throttle.sign_up("10.0.0.1")
    throttle.sign_up("10.0.0.2")
