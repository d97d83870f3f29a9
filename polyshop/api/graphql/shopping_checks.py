"""What the shopping resolvers check before a service is called, exactly as REST checks it.

Arguments are validated by REST's own request models (`AddItemIn`, `PlaceOrderIn`...), so the
same text rules (no control characters, not blank) and limits hold on both faces; a refusal
names the GraphQL argument (`shippingAddress.postalCode`). Who asks is resolved with REST's
rules and words: no token, an unknown one, a guest where a customer is needed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

import pydantic
from strawberry.types import Info

from polyshop.accounts.domain import User, Viewer
from polyshop.accounts.ports import Session
from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.errors import (
    Conflict,
    FieldError,
    NotAllowed,
    NotFound,
    OutOfStock,
    Refused,
    ValidationError,
    refused,
)
from polyshop.api.rest.problems import Problem, problem_body, unprocessable
from polyshop.values.clock import in_utc

ShopInfo = Info[GraphQLContext, None]
M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")
#: Every typed refusal `errors.refused` can answer: each mutation's union holds them all, so
#: whatever a service refuses with (a 503 of the session store, a 409 of a concurrent
#: change) is a member of the union, never a resolver failure.
Refusal = ValidationError | OutOfStock | NotFound | NotAllowed | Conflict | Refused


class Invalid(Exception):
    """Arguments REST's model refused: the typed result to answer with."""

    def __init__(self, result: ValidationError) -> None:
        super().__init__(result.detail)
        self.result = result


def camel(path: str) -> str:
    """`shipping_address.postal_code` as GraphQL names it: `shippingAddress.postalCode`."""
    return ".".join(_camel_word(part) for part in path.split("."))


def _camel_word(word: str) -> str:
    head, *rest = word.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def checked(model: type[M], data: dict[str, Any], *, whole: str = "input") -> M:
    """`data` as REST's `model` takes it; `Invalid` with each refused field otherwise (a
    rule over several fields at once is reported against `whole`)."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = [
            {"field": camel(".".join(str(p) for p in e["loc"])) or whole, "message": e["msg"]}
            for e in exc.errors()
        ]
        names = ", ".join(sorted({e["field"] for e in errors}))
        body = problem_body(422, f"Invalid value for: {names}.", errors=errors)
        raise Invalid(
            ValidationError(
                type="/problems/validation-error",
                title="Invalid request",
                status=422,
                detail=body["detail"],
                errors=[FieldError(**e) for e in body["errors"]],
            )
        ) from None


def named(result: Any) -> Any:
    """A typed refusal whose `errors` name GraphQL arguments, not REST's snake_case ones."""
    if isinstance(result, ValidationError):
        result.errors = [FieldError(field=camel(e.field), message=e.message) for e in result.errors]
    return result


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, detail, slug="unauthenticated")


async def session_of(info: ShopInfo) -> Session:
    """The caller's live session (guest or user), as REST's cart and checkout need it."""
    context = info.context
    if context.token is None:
        raise _unauthenticated("This needs a session: call createSession (or sign in) first.")
    session = await context.session()
    if session is None:
        raise _unauthenticated("The session token is unknown or has expired.")
    return session


async def user_of(info: ShopInfo) -> User:
    """The signed-in customer; a guest is told how to sign in without losing the cart."""
    session = await session_of(info)
    if session.user_id is None:
        raise _unauthenticated(
            "This is for signed-in customers. Sign in or create an account (signIn or "
            "signUp) sending this guest token as the bearer token: your cart comes along."
        )
    user = await info.context.user()
    if user is None:
        raise _unauthenticated("The account of this session no longer exists.")
    return user


async def viewer_of(info: ShopInfo) -> Viewer:
    """Who asks for orders: the operator token (an admin), or a signed-in user."""
    if info.context.token is None:
        raise _unauthenticated("Sign in first: this is for signed-in users and admins.")
    if info.context.is_operator():
        return Viewer(None, is_admin=True)
    user = await user_of(info)
    return Viewer(user.id, user.is_admin)


def client_address(info: ShopInfo) -> str:
    """The caller's address, as REST passes it to the sign-up and login throttles."""
    request = info.context.request
    client = request.client if request is not None else None
    return client.host if client is not None else "unknown"


def utc(name: str, value: datetime | None) -> datetime | None:
    """Times are compared in UTC, the zone the log records; a time without one is refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise unprocessable(name, "needs a time zone (e.g. 2026-11-25T12:00:00Z)")
    moment = in_utc(value)
    if moment is None:
        raise unprocessable(name, "lies outside the calendar in UTC (years 1 to 9999)")
    return moment


async def answer(work: Awaitable[T]) -> T | Refusal:
    """The mutation's result: what `work` returns, or its refusal as a typed result (an
    exception no face expects is raised on, to be logged and masked)."""
    try:
        return await work
    except Invalid as exc:
        return exc.result
    except Exception as exc:
        result: Refusal = named(refused(exc))  # `typed` makes only these
        return result
