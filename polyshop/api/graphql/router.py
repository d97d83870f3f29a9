"""/graphql on the FastAPI app: POST and GET for operations, WebSocket for subscriptions."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UnsetType

from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.schema import schema
from polyshop.api.graphql.shown import SCOPE_KEY, Shown
from polyshop.api.graphql.view import ShopGraphQLRouter
from polyshop.api.rest.dependencies import SESSION_COOKIE, token_in
from polyshop.container import Container


async def _context(connection: HTTPConnection) -> GraphQLContext:
    """The operation's context; it records into the response cache's `Shown` when the
    cache put one in the request's scope (an anonymous request it may keep)."""
    container: Container = connection.app.state.container
    shown = connection.scope.get(SCOPE_KEY)
    return GraphQLContext(
        container, token_in(connection.headers), shown if isinstance(shown, Shown) else None
    )


#: Operations one WebSocket connection may hold open at once (subscriptions mostly).
SUBSCRIPTIONS_PER_CONNECTION = 16


class _Router(ShopGraphQLRouter):
    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """Whether a page of another origin may open a socket (same-origin ones and clients
        sending no Origin always may; Strawberry asks only for the others).

        A browser sends its cookies with a WebSocket opened by any site, and the upgrade is
        not bound by CORS, so a socket carrying the session cookie is refused (403 at the
        handshake): a cross-site page cannot act as its visitor. One without the cookie
        carries no ambient credentials (it signs in with a bearer header or in
        `connection_init`, with a token the page must already hold), so it may."""
        if super().is_websocket_origin_allowed(request, origin):
            return True
        headers = request.headers
        by_cookie = not headers.get("authorization") and SESSION_COOKIE in request.cookies
        return not by_cookie

    async def on_ws_connect(self, context: GraphQLContext) -> UnsetType | dict[str, Any] | None:
        """A WebSocket client that cannot set headers (a browser's) sends its token in
        `connection_init`: `{"authorization": "Bearer <token>"}`. The connection's own
        header or cookie, when present, wins."""
        params = context.connection_params
        if context.token is None and isinstance(params, dict):
            sent = params.get("authorization") or params.get("Authorization")
            if isinstance(sent, str):
                scheme, _, token = sent.partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    context.token = token.strip()
        return await super().on_ws_connect(context)


def router() -> GraphQLRouter[GraphQLContext, None]:
    return _Router(
        schema,
        path="/graphql",
        context_getter=_context,
        include_in_schema=False,
        max_subscriptions_per_connection=SUBSCRIPTIONS_PER_CONNECTION,
    )
