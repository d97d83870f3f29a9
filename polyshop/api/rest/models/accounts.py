"""Request and response bodies of sessions, sign-up, login and the profile."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from polyshop.accounts.domain import User
from polyshop.api.rest.models.printable import Printable

_STRICT = ConfigDict(extra="forbid")


class SessionOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_in: int = Field(description="seconds of inactivity before it expires")


class RegisterIn(BaseModel):
    model_config = _STRICT
    # Bounds far above the rules so the rules, not the parser, explain a refusal.
    email: Printable = Field(max_length=1000)
    password: str = Field(max_length=1000)
    name: Printable = Field(default="", max_length=1000)


class LoginIn(BaseModel):
    model_config = _STRICT
    email: Printable = Field(max_length=1000)
    password: str = Field(max_length=1000)


class AddressIn(BaseModel):
    model_config = _STRICT
    label: Printable = Field(default="", max_length=50)
    name: Printable = Field(max_length=100)
    line1: Printable = Field(max_length=200)
    line2: Printable = Field(default="", max_length=200)
    city: Printable = Field(max_length=100)
    region: Printable = Field(default="", max_length=100)
    postal_code: Printable = Field(max_length=20)
    country: Printable = Field(max_length=2, description="ISO 3166-1 alpha-2, e.g. US")
    phone: Printable = Field(default="", max_length=40)


class ProfilePatch(BaseModel):
    model_config = _STRICT
    name: Printable | None = Field(default=None, max_length=1000)
    addresses: list[AddressIn] | None = Field(default=None, max_length=50)


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
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
    token: str
    expires_in: int
    user: UserOut


class ProfileOut(UserOut):
    position: int = Field(description="log position of the change (0: nothing changed)")
