"""Account rules and events, free of storage and HTTP.

Emails are unique case-insensitively: the whole address is compared casefolded, because
users type `Ann@Example.com` one day and `ann@example.com` the next and expect one account.
Events carry what changed for the audit trail, never a password or its hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from email_validator import EmailNotValidError, validate_email

USER_STREAM = "user"
USER_REGISTERED = "UserRegistered"
PROFILE_UPDATED = "ProfileUpdated"
ROLE_CHANGED = "RoleChanged"

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_ADDRESSES = 10

# The most common choices that pass a length rule; a real deployment may add a breach list.
_COMMON = frozenset(
    {
        "1234567890", "12345678910", "123456789a", "qwertyuiop", "password12", "password123",
        "passw0rd123", "iloveyou12", "1q2w3e4r5t", "qwerty1234", "0987654321", "1111111111",
        "abcdefghij", "letmein123", "welcome123", "administrator", "trustno1234",
    }
)  # fmt: skip
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class Role(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


class AccountError(ValueError):
    """An account rule was broken; `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


class EmailTaken(Exception):
    """Sign-up or an email change named an address another account has (any letter case)."""

    def __init__(self, email: str) -> None:
        super().__init__(f"an account with {email} already exists")


def stream_id(user_id: str) -> str:
    return f"user-{user_id}"


def normalize_email(raw: str) -> tuple[str, str]:
    """The address as the user wrote it (domain lower-cased) and the key it is unique by."""
    if len(raw) > 254:
        raise AccountError("email", "is longer than 254 characters")
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError("email", f"is not a valid address: {exc}") from exc
    return valid.normalized, valid.normalized.casefold()


def check_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"must be at most {MAX_PASSWORD} characters")
    lowered = password.casefold()
    if lowered in _COMMON or len(set(lowered)) < 4:
        raise AccountError("password", "is too easy to guess; choose a longer, less common one")
    if lowered == email.casefold() or lowered == email.split("@")[0].casefold():
        raise AccountError("password", "must not be your email address")


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("name", "line1", "city", "postal_code"):
            if not getattr(self, name).strip():
                raise AccountError(name, "is required")
        if not _COUNTRY.match(self.country):
            raise AccountError("country", "must be an ISO 3166 two-letter code like 'US'")

    def as_dict(self) -> dict[str, str]:
        return {
            "label": self.label,
            "name": self.name,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
            "phone": self.phone,
        }


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    addresses: tuple[Address, ...] = field(default=())
    version: int = 1

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking for orders or admin work: a signed-in user (maybe an admin) or the
    operator (no account). Every face builds one; every service decides by it."""

    user_id: str | None
    is_admin: bool

    def may_see(self, owner_id: str) -> bool:
        return self.is_admin or owner_id == self.user_id

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}" if self.user_id else "operator"


def check_name(name: str) -> str:
    value = name.strip()
    if len(value) > 100:
        raise AccountError("name", "is longer than 100 characters")
    return value


def check_addresses(addresses: list[Address]) -> tuple[Address, ...]:
    if len(addresses) > MAX_ADDRESSES:
        raise AccountError("addresses", f"at most {MAX_ADDRESSES} addresses")
    return tuple(addresses)


def registered_event(user_id: str, email: str, name: str, role: Role) -> dict[str, Any]:
    return {"user_id": user_id, "email": email, "name": name, "role": role.value}
