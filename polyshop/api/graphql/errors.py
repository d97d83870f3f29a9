"""A service's refusal as GraphQL sees it: a typed result for mutations, an error carrying
the problem document for queries.

The facts come from the REST face's translations (`problem_of` beside each router), so a
refusal says the same thing, with the same `type` slug and status, whichever face asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from polyshop.api.rest.problems import Problem as RestProblem
from polyshop.api.rest.problems import problem_body
from polyshop.api.rest.routes import (
    accounts_errors,
    cart_errors,
    images_errors,
    inventory,
    orders_errors,
    search,
)
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.ttlstore.errors import StoreUnavailable

log = structlog.get_logger(__name__)

_TRANSLATIONS = (
    accounts_errors.problem_of,
    cart_errors.problem_of,
    orders_errors.problem_of,
    images_errors.media_problem,  # the catalog's errors too
    inventory.inventory_problem,
    search.search_problem,
)


@strawberry.interface(
    description="Why a mutation changed nothing: the fields of the REST problem document."
)
class Problem:
    type: str = strawberry.field(description="`/problems/<slug>`: what a client branches on.")
    title: str
    status: int = strawberry.field(
        name="httpStatus",
        description="The HTTP status REST answers with (named apart from the `status` of "
        "orders, so one selection can ask for both).",
    )
    detail: str


@strawberry.type
class FieldError:
    field: str
    message: str


@strawberry.type(description="Input refused: each offending field with the reason.")
class ValidationError(Problem):
    errors: list[FieldError]


@strawberry.type(description="Not enough stock: the SKUs short, nothing reserved.")
class OutOfStock(Problem):
    skus: list[str]
    available: int | None = strawberry.field(
        description="Units left of the one SKU an add to cart asked for (else null)."
    )


@strawberry.type(description="No such thing, or not one this caller may see.")
class NotFound(Problem):
    pass


@strawberry.type(description="Sign in first (401), or this is for someone else (403).")
class NotAllowed(Problem):
    pass


@strawberry.type(description="The state of the shop forbids it now (409).")
class Conflict(Problem):
    pass


@strawberry.type(description="Any other refusal; `retryAfter` when waiting helps.")
class Refused(Problem):
    retry_after: int | None


def problem_of(exc: Exception) -> RestProblem | None:
    """The problem REST would answer for `exc`; None for an exception no face expects."""
    if isinstance(exc, RestProblem):
        return exc
    for translate in _TRANSLATIONS:
        if (problem := translate(exc)) is not None:
            return problem
    match exc:
        case ConcurrencyConflict():
            return RestProblem(409, "The order changed meanwhile; retry.", slug="concurrent-change")
        case StoreUnavailable():
            return RestProblem(
                503,
                "Sessions and carts are unavailable for a moment; browsing still works.",
                slug="session-store-unavailable",
                retry_after=StoreUnavailable.retry_after_seconds,
            )
    return None


def typed(problem: RestProblem) -> Problem:
    """The typed result for a problem document."""
    body = problem_body(
        problem.status, problem.detail, slug=problem.slug, title=problem.title, **problem.extra
    )
    common: dict[str, Any] = {k: body[k] for k in ("type", "title", "status", "detail")}
    if problem.slug == "insufficient-stock":
        skus = body.get("skus") or ([body["sku"]] if "sku" in body else [])
        return OutOfStock(**common, skus=list(skus), available=body.get("available"))
    if isinstance(errors := body.get("errors"), list):
        return ValidationError(**common, errors=[FieldError(**e) for e in errors])
    if problem.status == 404:
        return NotFound(**common)
    if problem.status in (401, 403):
        return NotAllowed(**common)
    if problem.status == 409:
        return Conflict(**common)
    return Refused(**common, retry_after=body.get("retry_after"))


def refused(exc: Exception) -> Problem:
    """The typed result for a service's refusal; re-raises what no face expects."""
    problem = problem_of(exc)
    if problem is None:
        raise exc
    return typed(problem)


def unauthenticated(detail: str = "Sign in first: send a session token.") -> NotAllowed:
    return NotAllowed(
        type="/problems/unauthenticated", title="Unauthorized", status=401, detail=detail
    )


def forbidden(detail: str = "This is for admins only.") -> NotAllowed:
    return NotAllowed(type="/problems/forbidden", title="Forbidden", status=403, detail=detail)


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError(
        type="/problems/validation-error",
        title="Invalid request",
        status=422,
        detail=f"{field}: {message}",
        errors=[FieldError(field=field, message=message)],
    )


def query_error(problem: RestProblem | Problem) -> GraphQLError:
    """A query's refusal as a GraphQL error; `extensions` holds the problem document."""
    if isinstance(problem, RestProblem):
        problem = typed(problem)
    extensions = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "code": problem.type.removeprefix("/problems/"),
    }
    return GraphQLError(problem.detail, extensions=extensions)


class ProblemErrors(SchemaExtension):
    """Errors as clients can act on them: a refusal any face knows carries its problem
    document in `extensions`; anything else is logged and answered as an internal error,
    never with its message or stack."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._translated(error) for error in result.errors]

    @staticmethod
    def _translated(error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error  # a syntax, validation or limit error: already for the client
        problem = problem_of(original)
        if problem is None:
            log.error("graphql.resolver_failed", path=error.path, exc_info=original)
            return GraphQLError(
                "Internal error: the failure was logged.",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "internal-error", "status": 500},
            )
        translated = query_error(problem)
        return GraphQLError(
            translated.message,
            nodes=error.nodes,
            path=error.path,
            extensions=translated.extensions,
        )
