"""Search's door for the faces: product search with facets, and name suggestions.

The service knows which read model its answers come from (its own index, or the product
documents the index reads), so a face asking to read its own writes waits on that one.
"""

from __future__ import annotations

from polyshop.search.ports import SearchIndex, SearchQuery, SearchResult

#: The deepest a page of results may start: past it, narrow the query.
MAX_OFFSET = 10_000


class SearchTooDeep(ValueError):
    """A page starting at or past MAX_OFFSET results was asked for."""

    def __init__(self) -> None:
        super().__init__(f"search pages stop at {MAX_OFFSET:,} results; narrow the query")


class Search:
    def __init__(self, index: SearchIndex, read_model: str) -> None:
        self._index = index
        #: The read model searches answer from (what `min_position` waits on).
        self.read_model = read_model

    def search(self, query: SearchQuery) -> SearchResult:
        """Products matching `query`, best first (or in its sort), with facets over every
        match. Raises SearchTooDeep for a page past MAX_OFFSET results."""
        if query.offset >= MAX_OFFSET:
            raise SearchTooDeep()
        return self._index.search(query)

    def suggest(self, prefix: str, limit: int) -> list[str]:
        """Product names completing what has been typed so far, best first."""
        return self._index.suggest(prefix, limit)
