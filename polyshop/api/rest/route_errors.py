"""Each router maps its own context's errors to problems, next to its routes.

`APIRouter(route_class=translating(problem_of))`: every route of that router answers an
exception `problem_of` knows with the problem it returns; any other exception goes on to the
app's handlers. So a context's errors are read where its routes are, not in one list of
every context's exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from polyshop.api.rest.problems import Problem

#: What a router's errors become: the problem for an exception it knows, else None.
ProblemOf = Callable[[Exception], Problem | None]


def translating(problem_of: ProblemOf) -> type[APIRoute]:
    """A route class whose routes raise `problem_of(exc)` for the exceptions it maps."""

    class TranslatingRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def translated(request: Request) -> Response:
                try:
                    return await handle(request)
                except Exception as exc:
                    problem = problem_of(exc)
                    if problem is None:
                        raise
                    raise problem from exc

            return translated

    return TranslatingRoute
