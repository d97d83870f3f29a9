"""Sessions, sign-up, sign-in and out, and `me` with my orders, as REST's account routes.

Signing up or in with a guest token presented moves the guest's cart into the account (and
revokes the guest token), as REST does; the sign-up and login throttles count the caller's
address exactly as REST passes it. A new token is also set as the session cookie.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import strawberry

from polyshop.accounts.domain import Viewer
from polyshop.accounts.ports import Session
from polyshop.accounts.service import SignedIn as SignedInValue
from polyshop.accounts.sessions import Issued
from polyshop.api.graphql.catalog_paging import (  # one PageInfo for every connection
    MAX_FIRST,
    PageInfo,
    checked_first,
    page_info,
)
from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.shopping_checks import (
    Refusal,
    ShopInfo,
    answer,
    checked,
    client_address,
    user_of,
)
from polyshop.api.graphql.shopping_types import (
    Order,
    SessionToken,
    SignedIn,
    SignedOut,
    UserProfile,
)
from polyshop.api.rest.dependencies import SESSION_COOKIE
from polyshop.api.rest.models.accounts import LoginIn, RegisterIn
from polyshop.api.rest.problems import unprocessable
from polyshop.api.rest.routes.accounts import set_session_cookie
from polyshop.orders.service import OrderFilter

READ_MODEL = "order_history"
#: REST's deepest page (page 1,000,000 of `limit` 100).
MAX_OFFSET = 1_000_000 * MAX_FIRST

SignInResult = Annotated[
    SignedIn | Refusal,
    strawberry.union("SignInResult", description="Signed in, or why not."),
]
SessionResult = Annotated[
    SessionToken | Refusal,
    strawberry.union("SessionResult", description="A guest session, or why none was made."),
]
SignOutResult = Annotated[
    SignedOut | Refusal,
    strawberry.union("SignOutResult", description="Signed out, or why the token still works."),
]


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type(description="A page of orders, newest first (Relay connection).")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Orders matching, on every page.")

    @classmethod
    def page(
        cls, documents: list[dict[str, Any]], offset: int, total: int, viewer: Viewer
    ) -> OrderConnection:
        """The connection of one page of order documents, as `viewer` may read them."""
        edges = [
            OrderEdge(cursor=cursor_of(offset + i), node=Order.of(doc, viewer))
            for i, doc in enumerate(documents)
        ]
        return cls(edges=edges, page_info=page_info(edges, offset, total), total_count=total)


def cursor_of(offset: int) -> str:
    return base64.urlsafe_b64encode(f"order:{offset}".encode()).decode()


def offset_of(cursor: str | None) -> int:
    """The offset after `cursor` (0 without one); a cursor this connection never gave is
    refused, naming `after`."""
    if cursor is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        kind, number = "", ""
    if kind != "order" or not number.isascii() or not number.isdigit() or len(number) > 12:
        raise unprocessable("after", "is not a cursor of this connection")
    offset = int(number) + 1
    if offset > MAX_OFFSET:
        raise unprocessable("after", f"goes past the last page REST serves ({MAX_OFFSET})")
    return offset


@strawberry.type(description="The signed-in customer, with their orders.")
class Me(UserProfile):
    @strawberry.field(description="My orders, newest first: `first` 1..100 (20 by default).")
    async def orders(
        self,
        info: ShopInfo,
        first: int = 20,
        after: str | None = None,
        min_position: int | None = None,
    ) -> OrderConnection:
        checked_first(first)
        offset = offset_of(after)
        await info.context.read_at(READ_MODEL, min_position)
        viewer = Viewer(str(self.id), self.is_admin)
        docs, total = await blocking(
            info.context.container.orders.list_orders,
            Viewer(str(self.id), is_admin=False),  # my own orders, even an admin's
            OrderFilter(),
            limit=first,
            offset=offset,
        )
        return OrderConnection.page(docs, offset, total, viewer)


@strawberry.type
class AccountQuery:
    @strawberry.field(
        description="The signed-in customer's profile, addresses and orders; null with an "
        "error (401, as REST) for anyone else."
    )
    async def me(self, info: ShopInfo) -> Me | None:
        user = await user_of(info)
        profile = UserProfile.of(user)
        return Me(**{name: getattr(profile, name) for name in _PROFILE_FIELDS})


_PROFILE_FIELDS = ("id", "email", "name", "role", "is_admin", "addresses", "created_at")


def _cookie(info: ShopInfo, issued: Issued) -> None:
    """The new token as the session cookie too, as REST sets it."""
    request, response = info.context.request, info.context.response
    if request is not None and response is not None:
        set_session_cookie(request, response, issued)  # type: ignore[arg-type]


def _signed_in(info: ShopInfo, signed: SignedInValue) -> SignedIn:
    _cookie(info, signed.issued)
    return SignedIn(
        token=signed.issued.token,
        expires_in=int(signed.issued.expires_in),
        user=UserProfile.of(signed.user),
        position=signed.position,
    )


async def _current(info: ShopInfo) -> tuple[str, Session] | None:
    """The presented token and its live session, if any: what sign-up and in upgrade."""
    session = await info.context.session()
    token = info.context.token
    return (token, session) if token is not None and session is not None else None


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="A guest session: a cart before signing up.")
    async def create_session(self, info: ShopInfo) -> SessionResult:
        async def start() -> SessionToken:
            issued = await blocking(info.context.container.accounts.start_guest_session)
            _cookie(info, issued)
            return SessionToken(token=issued.token, expires_in=int(issued.expires_in))

        return await answer(start())

    @strawberry.mutation(
        description="Create a customer account and sign in; a guest cart presented moves in. "
        "More than 20 sign-ups from one address in 15 minutes are refused (retryAfter)."
    )
    async def sign_up(
        self, info: ShopInfo, email: str, password: str, name: str = ""
    ) -> SignInResult:
        async def register() -> SignedIn:
            body = checked(RegisterIn, {"email": email, "password": password, "name": name})
            signed = await blocking(
                info.context.container.accounts.register,
                body.email,
                body.password,
                body.name,
                client_address(info),
                current=await _current(info),
            )
            return _signed_in(info, signed)

        return await answer(register())

    @strawberry.mutation(
        description="Sign in; a guest cart presented merges into the account's. Repeated "
        "failures for one account or from one address are refused (retryAfter)."
    )
    async def sign_in(self, info: ShopInfo, email: str, password: str) -> SignInResult:
        async def login() -> SignedIn:
            body = checked(LoginIn, {"email": email, "password": password})
            signed = await blocking(
                info.context.container.accounts.login,
                body.email,
                body.password,
                client_address(info),
                current=await _current(info),
            )
            return _signed_in(info, signed)

        return await answer(login())

    @strawberry.mutation(description="Revoke the presented token at once; harmless without one.")
    async def sign_out(self, info: ShopInfo) -> SignOutResult:
        async def logout() -> SignedOut:
            if info.context.token:
                await blocking(info.context.container.accounts.logout, info.context.token)
            if (response := info.context.response) is not None:
                response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
            return SignedOut(signed_out=True)

        return await answer(logout())
