"""/graphql over HTTP: Strawberry's FastAPI router with polyshop's three additions.

- Automatic persisted queries: a request carrying only a hash gets its query from the
  store before Strawberry sees it (`execute_single`, the one place every HTTP operation,
  batched or not, GET or POST, goes through), so the limits and validation apply to the
  stored text exactly as to a sent one.
- GraphiQL for a browser (GET asking for `text/html`, with no operation in the URL: a GET
  that carries only a persisted-query hash is an operation too), with local files.
- What a cross-site page cannot do: Strawberry reads a POST body only when it is
  `application/json` (forms and `text/plain` are refused with 400 before anything runs;
  multipart uploads are off), and a GET may only run queries, never mutations, so a
  link or an `<img>` with the visitor's session cookie can change nothing.
"""

from __future__ import annotations

from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult

from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.graphiql import GraphiQL
from polyshop.api.graphql.persisted import PersistedQueries


class ShopGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    """The /graphql routes, plus GraphiQL's files under `<path>/assets/`."""

    def __init__(self, schema: BaseSchema, path: str, **options: Any) -> None:
        super().__init__(schema, path=path, graphql_ide="graphiql", **options)
        self.persisted = PersistedQueries()
        self.graphiql = GraphiQL(path)
        self.add_api_route(
            f"{path}/assets/{{name}}",
            self.graphiql.asset,
            methods=["GET"],
            include_in_schema=False,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        params = request.query_params
        return (
            request.method == "GET"
            and params.get("query") is None
            and params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return self.graphiql.page()

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Any,
        context: GraphQLContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        resolved = self.persisted.resolve(request_data)
        if isinstance(resolved, ExecutionResult):
            return resolved
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, resolved
        )
