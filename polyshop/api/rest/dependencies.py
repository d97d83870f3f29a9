"""Typed dependency aliases, so routes declare what they need in their signatures.

Who is asking: a bearer token (`Authorization: Bearer ...`) or the web cookie holding the
same token. Admin endpoints also accept the operator token (POLYSHOP_OPS_TOKEN), which
scripts and the CLI use without an account.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from polyshop.accounts.domain import User, Viewer
from polyshop.accounts.ports import Session
from polyshop.analytics.domain import viewer_key
from polyshop.api.rest.problems import Problem
from polyshop.container import Container
from polyshop.eventstore.projections.waiters import (
    BeyondHead,
    NotReached,
    ReadWaits,
    TooManyWaiters,
)

SESSION_COOKIE = "polyshop_session"


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def presented_token(request: Request) -> str | None:
    return token_in(request.headers)


def token_in(headers: Headers) -> str | None:
    """The bearer token, else the session cookie's (works on a bare ASGI scope too)."""
    header = headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    cookie = headers.get("cookie")
    if not cookie:
        return None
    return cookie_parser(cookie).get(SESSION_COOKIE) or None


def viewer_of(token: str | None) -> int | None:
    """The anonymous key analytics groups a session's views by (no session lookup)."""
    return viewer_key(token) if token else None


def _unauthenticated(detail: str) -> Problem:
    return Problem(
        401, detail, slug="unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="shop"'}
    )


@dataclass(frozen=True, slots=True)
class Caller:
    token: str
    session: Session


async def required_token(request: Request) -> str:
    """The presented token, unchecked (no I/O): for routes that resolve it themselves, in
    the same worker thread as the rest of their work (one thread hop per request)."""
    token = presented_token(request)
    if token is None:
        raise _unauthenticated("This endpoint needs a session: POST /api/v1/sessions first.")
    return token


TokenDep = Annotated[str, Depends(required_token)]


def resolve_session(container: Container, token: str) -> Session:
    session = container.accounts.session_of(token)
    if session is None:
        raise _unauthenticated("The session token is unknown or has expired.")
    return session


def current_caller(token: TokenDep, container: ContainerDep) -> Caller:
    """The caller's live session (guest or user); 401 when there is none."""
    return Caller(token, resolve_session(container, token))


CallerDep = Annotated[Caller, Depends(current_caller)]


def optional_caller(request: Request, container: ContainerDep) -> Caller | None:
    """The caller's session if one is presented and live; never an error."""
    token = presented_token(request)
    session = container.accounts.session_of(token) if token else None
    return Caller(token, session) if token and session else None


OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]


def current_user(caller: CallerDep, container: ContainerDep) -> User:
    if caller.session.user_id is None:
        # A guest reaching checkout is the usual case: say how to go on without losing the cart.
        raise _unauthenticated(
            "This is for signed-in customers. Sign in or create an account (POST "
            "/api/v1/auth/login or /api/v1/auth/register) sending this guest token as the "
            "bearer token: your cart comes along. Then place the order."
        )
    user = container.accounts.get_user(caller.session.user_id)
    if user is None:
        raise _unauthenticated("The account of this session no longer exists.")
    return user


UserDep = Annotated[User, Depends(current_user)]


def current_viewer(request: Request, container: ContainerDep) -> Viewer:
    """Who asks (`accounts.domain.Viewer`): the operator token, or a signed-in user."""
    token = presented_token(request)
    if token is None:
        raise _unauthenticated("Log in first: this endpoint is for signed-in users and admins.")
    expected = container.ops_token
    if expected is not None and hmac.compare_digest(token.encode(), expected.encode()):
        return Viewer(None, is_admin=True)
    user = current_user(Caller(token, resolve_session(container, token)), container)
    return Viewer(user.id, user.is_admin)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require_admin(viewer: ViewerDep) -> Viewer:
    """Admins: a signed-in user with the admin role, or the operator token."""
    if not viewer.is_admin:
        raise Problem(403, "This endpoint is for admins only.", slug="forbidden")
    return viewer


AdminDep = Annotated[Viewer, Depends(require_admin)]


MIN_POSITION_TEXT = (
    "Read your own writes: answer only once this read model has applied the event log up to "
    "this position (the `position` a command answered with). The wait is bounded "
    "(POLYSHOP_READ_WAIT_TIMEOUT, 5 s by default; then 504, retry). A position beyond the "
    "log's head has not been written, so it is refused at once with 409 and the current "
    "`head`; when too many queries already wait (POLYSHOP_READ_WAITERS_MAX), 503 with "
    "Retry-After. 0 or absent: answer at once."
)
MinPositionQuery = Annotated[int | None, Query(ge=0, description=MIN_POSITION_TEXT)]


def read_waits(request: Request, container: Container) -> ReadWaits:
    """The app's waits, made on first use (async dependencies run on the loop's thread)."""
    waits: ReadWaits | None = getattr(request.app.state, "read_waits", None)
    if waits is None:
        waits = container.event_log.read_waits(
            limit=container.settings.read_waiters_max,
            timeout=container.settings.read_wait_timeout,
        )
        request.app.state.read_waits = waits
    return waits


def read_model_at(
    projection: str | Callable[[Container], str],
) -> Callable[..., Awaitable[int | None]]:
    """A dependency honouring `min_position` for a read model (a name, or one picked from
    the container), awaited on the event loop before the route's body takes a thread."""

    async def wait_for_read_model(
        request: Request, container: ContainerDep, min_position: MinPositionQuery = None
    ) -> int | None:
        if min_position is None or min_position <= 0:
            return min_position
        name = projection if isinstance(projection, str) else projection(container)
        await reach(read_waits(request, container), name, min_position)
        return min_position

    return wait_for_read_model


async def reach(waits: ReadWaits, name: str, position: int) -> None:
    """Wait until read model `name` has applied the log up to `position`; the refusals
    (beyond the head, too many waiting, not reached in time) as problems."""
    try:
        await waits.wait(name, position)
    except BeyondHead as exc:
        message = f"beyond the log's head, {exc.head}: nothing has been written there yet"
        raise Problem(
            409,
            f"min_position: {position} is {message}. Pass the position a command answered.",
            slug="position-not-written",
            title="Position not written yet",
            errors=[{"field": "min_position", "message": message}],
            min_position=position,
            head=exc.head,
        ) from None
    except TooManyWaiters as exc:
        raise Problem(
            503,
            f"{exc.limit} queries are already waiting for their read models; retry shortly.",
            slug="too-many-read-waits",
            title="Too many waiting queries",
            headers={"Retry-After": "1"},
        ) from None
    except NotReached as exc:
        raise Problem(
            504,
            f"The {name} read model has not reached position {position} "
            f"within {exc.timeout:g} s; retry shortly.",
            slug="read-model-behind",
            title="Read model behind",
            min_position=position,
            position=exc.position,
        ) from None
