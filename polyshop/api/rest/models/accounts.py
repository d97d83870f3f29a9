"""Request and response bodies of sessions, sign-up, login and the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from polyshop.accounts.domain import User
from polyshop.api.rest.models.printable import NOT_BLANK, Printable

_STRICT = ConfigDict(extra="forbid")
_REQUIRED: JsonDict = {"pattern": NOT_BLANK}
# The parser's bounds sit far above the rules, so the rules (with their own messages) explain
# a refusal; the document states the rules themselves (`json_schema_extra`).
_EMAIL: JsonDict = {"format": "email", "maxLength": 254}
_PASSWORD: JsonDict = {"format": "password", "minLength": 10, "maxLength": 128}
_STRENGTH_RULES = (
    "10 to 128 characters, at least 4 different ones, not a commonly chosen password and "
    "not the email address."
)


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    expires_in: int = Field(description="Seconds of inactivity before it expires (sliding).")


class RegisterIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "ann@example.com", "password": "maple-harbor-42", "name": "Ann Lee"}
            ]
        },
    )
    email: Printable = Field(
        max_length=1000,
        description="The account's address, unique in any letter case.",
        json_schema_extra=_EMAIL,
    )
    password: str = Field(max_length=1000, description=_STRENGTH_RULES, json_schema_extra=_PASSWORD)
    name: Printable = Field(
        default="",
        max_length=1000,
        description="How to address the customer (up to 100).",
        json_schema_extra={"maxLength": 100},
    )


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ann@example.com", "password": "maple-harbor-42"}]
        },
    )
    email: Printable = Field(max_length=1000, json_schema_extra=_EMAIL)
    password: str = Field(max_length=1000, json_schema_extra={"format": "password"})


class AddressIn(BaseModel):
    """A postal address, in the address book or an order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "label": "home",
                    "name": "Ann Lee",
                    "line1": "1 Main Street",
                    "city": "Springfield",
                    "postal_code": "12345",
                    "country": "US",
                }
            ]
        },
    )
    label: Printable = Field(default="", max_length=50, description="`home`, `work`...")
    name: Printable = Field(
        max_length=100, description="Who receives.", json_schema_extra=_REQUIRED
    )
    line1: Printable = Field(max_length=200, json_schema_extra=_REQUIRED)
    line2: Printable = Field(default="", max_length=200)
    city: Printable = Field(max_length=100, json_schema_extra=_REQUIRED)
    region: Printable = Field(default="", max_length=100)
    postal_code: Printable = Field(max_length=20, json_schema_extra=_REQUIRED)
    country: Printable = Field(
        max_length=2,
        description="ISO 3166-1 alpha-2, upper-case (`US`).",
        json_schema_extra={"pattern": "^[A-Z]{2}$"},
    )
    phone: Printable = Field(default="", max_length=40)


class ProfilePatch(BaseModel):
    """What to change; an absent field stays as it is."""

    model_config = _STRICT
    name: (
        Annotated[Printable, Field(max_length=1000, json_schema_extra={"maxLength": 100})] | None
    ) = Field(default=None, description="Up to 100 characters; null or absent: unchanged.")
    addresses: (
        Annotated[list[AddressIn], Field(max_length=50, json_schema_extra={"maxItems": 10})] | None
    ) = Field(
        default=None,
        description="The whole address book (up to 10), replacing the old one; null or "
        "absent: unchanged.",
    )


class UserOut(BaseModel):
    id: str = Field(description="The user's id (a UUID).")
    email: str
    name: str
    role: str = Field(description="`customer` or `admin`.")
    addresses: list[AddressIn]
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            addresses=[AddressIn(**a.as_dict()) for a in user.addresses],
            created_at=user.created_at,
        )


class SignedInOut(BaseModel):
    """A new session for the account (the presented one, if any, is revoked)."""

    token: str = Field(description="Send as `Authorization: Bearer <token>`; also set as cookie.")
    expires_in: int = Field(description="Seconds of inactivity before it expires (sliding).")
    user: UserOut


class ProfileOut(UserOut):
    position: int = Field(description="Log position of the change (0: nothing changed).")
