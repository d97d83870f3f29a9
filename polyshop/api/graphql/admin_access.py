"""What every admin field does first: check who asks, and read its input by REST's rules.

Access: an operation by no one (or by an expired or guest session) is refused 401, one by a
customer 403, before any service is called. A query raises (its error carries the status),
a mutation answers the typed `NotAllowed`.

Input: a mutation's arguments are validated by the very pydantic models the REST routes
take as bodies (`ProductIn`, `AdjustIn`, `ShipIn`...), so both faces accept and refuse the
same values with the same messages. Fields are named as GraphQL spells them (`priceAdjustment`,
`variants.0.sku`), relative to the argument or input object that holds them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from polyshop.accounts.domain import Viewer
from polyshop.api.graphql.context import GraphQLContext, blocking
from polyshop.api.graphql.errors import (
    FieldError,
    NotAllowed,
    Problem,
    ValidationError,
    forbidden,
    query_error,
    refused,
    typed,
    unauthenticated,
)
from polyshop.api.rest.problems import Problem as RestProblem
from polyshop.api.rest.problems import clip
from polyshop.runtime.correlation import acting_as

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")
AdminInfo = Info[GraphQLContext, None]


async def admin_or_refusal(info: AdminInfo) -> Viewer | NotAllowed:
    """The admin asking (a user with the admin role, or the operator token), else the
    refusal a mutation answers: 401 for no one, 403 for a customer."""
    viewer = await info.context.viewer()
    if viewer is None:
        return unauthenticated("Sign in first: this is for admins (or the operator token).")
    if not viewer.is_admin:
        return forbidden()
    return viewer


async def require_admin(info: AdminInfo) -> Viewer:
    """The admin asking, for a query: anyone else gets an error carrying 401 or 403."""
    checked = await admin_or_refusal(info)
    if isinstance(checked, NotAllowed):
        raise query_error(checked)
    return checked


async def as_admin(admin: Viewer, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a worker thread with `admin` as the actor of the events it
    appends, as the admin pages run their writes: the event log says who changed what."""

    def run() -> T:
        with acting_as(admin.actor):
            return fn(*args, **kwargs)

    return await blocking(run)


def graphql_field(field: str) -> str:
    """A REST field path (`variants.0.price_adjustment`) as GraphQL names it."""
    return ".".join(to_camel_case(part) for part in field.split("."))


def parsed(model: type[M], data: dict[str, Any]) -> M | ValidationError:
    """`data` validated as REST validates the body `model`, or the refusal naming each
    offending field (as REST's 422 does: `Invalid value for: …`)."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = [
            {"field": _location(error["loc"]), "message": error["msg"]} for error in exc.errors()
        ]
    names = ", ".join(sorted({e["field"] for e in errors}))
    problem = RestProblem(
        422,
        f"Invalid value for: {names}.",
        slug="validation-error",
        title="Invalid request",
        errors=errors,
    )
    result = typed(problem)
    assert isinstance(result, ValidationError)
    return result


def refusal(exc: Exception) -> Problem:
    """`errors.refused(exc)`, with the fields of an invalid input named as GraphQL names them
    (a service names them as REST bodies spell them)."""
    result = refused(exc)
    if not isinstance(result, ValidationError):
        return result
    detail = result.detail
    for error in result.errors:
        if detail.startswith(f"{error.field}:"):
            detail = graphql_field(error.field) + detail.removeprefix(error.field)
    return ValidationError(
        type=result.type,
        title=result.title,
        status=result.status,
        detail=detail,
        errors=[FieldError(field=graphql_field(e.field), message=e.message) for e in result.errors],
    )


def refused_answer(exc: Exception) -> Any:
    """`refusal(exc)` as a mutation answers it (typed `Any`: each mutation's union lists the
    problem kinds its service can raise)."""
    return refusal(exc)


def provided(value: Any) -> Any:
    """A GraphQL input as plain data: input objects as dicts with REST's (snake_case) keys
    and without the fields left out (so the REST model's defaults apply, and a patch
    changes only what was sent), lists item by item."""
    if isinstance(value, list):
        return [provided(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: provided(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not strawberry.UNSET
        }
    return value


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(graphql_field(clip(str(part))) for part in loc) or "input"
