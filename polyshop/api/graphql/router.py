"""/graphql on the FastAPI app: POST and GET for operations, WebSocket for subscriptions."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter

from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.schema import schema
from polyshop.api.graphql.view import ShopGraphQLRouter
from polyshop.api.rest.dependencies import token_in
from polyshop.container import Container


async def _context(connection: HTTPConnection) -> GraphQLContext:
    container: Container = connection.app.state.container
    return GraphQLContext(container, token_in(connection.headers))


def router() -> GraphQLRouter[GraphQLContext, None]:
    return ShopGraphQLRouter(
        schema,
        path="/graphql",
        context_getter=_context,
        include_in_schema=False,
    )
