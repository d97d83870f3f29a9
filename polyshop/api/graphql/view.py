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
- Whether the response cache may keep the answer: `execute_single` marks the request's
  `Shown` cacheable when its one operation is a query over cacheable root fields and ran
  without errors.
"""

from __future__ import annotations

from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from fastapi import Request
from fastapi.responses import HTMLResponse
from graphql import DocumentNode, FieldNode, GraphQLError, OperationType, get_operation_ast
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.types import ExecutionResult

from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.graphql.graphiql import GraphiQL
from polyshop.api.graphql.limits import parsed
from polyshop.api.graphql.persisted import PersistedQueries

#: Root fields whose answers follow product documents only (plus the 60 s recommendation
#: bound). `search` is left out: its index is a read model of its own, which may lag the
#: product documents the cache's evictions follow, so a kept search could outlive a change.
CACHEABLE_ROOTS = frozenset({"product", "products", "__typename"})
#: An argument that asks to read one's own writes: such a read waits, it is never kept.
_FRESH = "minPosition"


def keepable(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation is a query whose root fields are all cacheable ones (plain
    fields, no fragments at the root) and none asks for `minPosition`."""
    if not query:
        return False
    try:
        document: DocumentNode = parsed(query)
    except GraphQLError:  # does not parse, or too large to: never kept
        return False
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in CACHEABLE_ROOTS:
            return False
        if any(argument.name.value == _FRESH for argument in selection.arguments or ()):
            return False
    return True


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
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, resolved
        )
        shown = context.shown
        shown.operations += 1
        shown.cacheable = (
            shown.operations == 1
            and not result.errors
            and keepable(resolved.query, resolved.operation_name)
        )
        return result
