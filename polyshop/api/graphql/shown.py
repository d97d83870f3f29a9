"""What one GraphQL operation showed, for the response cache ahead of routing.

The response cache (`response_cache.py`) puts a `Shown` in the request's ASGI scope before
a miss runs; the operation's context picks it up, the catalog resolvers append every
product document they fetch and every product view they count, and the router says whether
the operation may be kept at all. After the response the cache reads it: the documents
decide which catalog or stock changes evict the kept answer, the views are counted again on
every hit. Outside a cacheable request (WebSocket, a token, a mutation) the context gets a
fresh `Shown` that nobody reads, so resolvers never have to ask whether one is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The key of the request's `Shown` in the ASGI scope.
SCOPE_KEY = "polyshop.graphql.shown"


@dataclass(slots=True)
class Shown:
    """One request's record: what it showed, which views it counted, whether it may be kept."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    viewed: list[str] = field(default_factory=list)
    #: The browse order follows sales (`products(sort: POPULAR)`).
    popular: bool = False
    #: Set by the router after a qualifying operation ran without errors.
    cacheable: bool = False
    #: Operations run for this request (a batch of several is never kept).
    operations: int = 0

    def show(self, documents: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> None:
        self.documents.extend(documents)
