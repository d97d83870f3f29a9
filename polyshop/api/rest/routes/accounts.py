"""Sessions, sign-up, login, logout and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from polyshop.accounts.domain import Address
from polyshop.accounts.sessions import Issued
from polyshop.api.rest.dependencies import (
    SESSION_COOKIE,
    ContainerDep,
    OptionalCallerDep,
    UserDep,
    presented_token,
)
from polyshop.api.rest.models.accounts import (
    LoginIn,
    ProfileOut,
    ProfilePatch,
    RegisterIn,
    SessionOut,
    SignedInOut,
    UserOut,
)
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes import accounts_errors

router = APIRouter(
    prefix="/api/v1", tags=["accounts"], route_class=translating(accounts_errors.problem_of)
)


def set_session_cookie(request: Request, response: Response, issued: Issued) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(issued.expires_in),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("/sessions", status_code=status.HTTP_201_CREATED, responses=problems(503))
def create_session(request: Request, response: Response, container: ContainerDep) -> SessionOut:
    """A guest session: a cart before signing up."""
    issued = container.accounts.start_guest_session()
    set_session_cookie(request, response, issued)
    return SessionOut(token=issued.token, expires_in=int(issued.expires_in))


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        *JSON_BODY,
        (409, "An account with this email exists (in any letter case)."),
        (429, "More than 20 sign-ups from this address in 15 minutes; see `Retry-After`."),
        503,
    ),
)
def register(
    body: RegisterIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    caller: OptionalCallerDep,
) -> SignedInOut:
    """Create a customer account and sign in; a guest cart moves into the account.

    More than 20 sign-ups from one address within 15 minutes answer 429 (each costs a hash).
    """
    current = (caller.token, caller.session) if caller else None
    client = request.client.host if request.client else "unknown"
    signed = container.accounts.register(
        body.email, body.password, body.name, client, current=current
    )
    set_session_cookie(request, response, signed.issued)
    return SignedInOut(
        token=signed.issued.token,
        expires_in=int(signed.issued.expires_in),
        user=UserOut.of(signed.user),
    )


@router.post(
    "/auth/login",
    responses=problems(
        *JSON_BODY,
        (401, "The email or password is wrong (which one is not said)."),
        (429, "Too many failed attempts for this account or from this address; see "
         "`Retry-After`."),
        503,
    ),
)  # fmt: skip
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    caller: OptionalCallerDep,
) -> SignedInOut:
    """Sign in with email and password; a guest cart merges into the account's cart.

    Repeated failures for one account or from one address answer 429 with Retry-After.
    """
    current = (caller.token, caller.session) if caller else None
    client = request.client.host if request.client else "unknown"
    signed = container.accounts.login(body.email, body.password, client, current=current)
    set_session_cookie(request, response, signed.issued)
    return SignedInOut(
        token=signed.issued.token,
        expires_in=int(signed.issued.expires_in),
        user=UserOut.of(signed.user),
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(503),
    openapi_extra={"security": [{}, {"session": []}]},
)
def logout(request: Request, container: ContainerDep) -> Response:
    """Revoke the presented token at once; harmless without one."""
    token = presented_token(request)
    if token:
        container.accounts.logout(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", responses=problems(401, 503))
def me(user: UserDep) -> UserOut:
    """The signed-in user's profile and addresses."""
    return UserOut.of(user)


@router.patch("/me", responses=problems(*JSON_BODY, 401, 503))
def update_me(body: ProfilePatch, user: UserDep, container: ContainerDep) -> ProfileOut:
    """Change the name or replace the address book; the change is an audited event."""
    addresses = (
        [Address(**a.model_dump()) for a in body.addresses] if body.addresses is not None else None
    )
    written = container.accounts.update_profile(user.id, name=body.name, addresses=addresses)
    return ProfileOut(**UserOut.of(written.user).model_dump(), position=written.position)
