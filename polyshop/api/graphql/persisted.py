"""Automatic persisted queries (Apollo's APQ protocol), so a client can send a hash instead
of its whole query text.

The client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query.
If the server knows the hash, it runs the query it stored; if not, it answers the error
`PERSISTED_QUERY_NOT_FOUND`, and the client sends the hash again with the query: the server
checks that the hash is the query's SHA-256 (a client cannot store a query under another
query's hash), stores it and runs it. GET works the same way (`?extensions=...`), which
lets a CDN cache a query by its short URL; mutations still need POST.

The store is per process, in memory, least recently used first out, and bounded in bytes as
well as entries: anyone may store queries, so no one may fill the memory with them. A
query dropped from it costs the client one more round trip, nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from typing import Any

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from polyshop.api.graphql.query_text import MAX_QUERY_CHARS, too_large

#: The most queries kept, and the most characters of query text they may hold together.
MAX_ENTRIES = 5000
MAX_CHARS = 16 * 1024 * 1024


class PersistedQueries:
    """Query texts by their SHA-256 (hex), bounded; not thread-safe (one event loop)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_CHARS) -> None:
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._max_entries = max_entries
        self._max_chars = max_chars

    def __len__(self) -> int:
        return len(self._queries)

    def get(self, sha256: str) -> str | None:
        query = self._queries.get(sha256)
        if query is not None:
            self._queries.move_to_end(sha256)
        return query

    def put(self, sha256: str, query: str) -> None:
        if len(query) > MAX_QUERY_CHARS or sha256 in self._queries:
            return
        self._queries[sha256] = query
        self._chars += len(query)
        while len(self._queries) > self._max_entries or self._chars > self._max_chars:
            _, dropped = self._queries.popitem(last=False)
            self._chars -= len(dropped)

    def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData | ExecutionResult:
        """The request with its query text, or the protocol's error result.

        A request without `persistedQuery` passes unchanged."""
        extensions: dict[str, Any] = data.extensions or {}
        persisted = extensions.get("persistedQuery")
        if persisted is None:
            return data
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return _error(
                "Only persisted query version 1 is supported.", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        sha256 = persisted.get("sha256Hash")
        if not isinstance(sha256, str) or len(sha256) != 64:
            return _error("sha256Hash must be 64 hexadecimal digits.", "PERSISTED_QUERY_INVALID")
        sha256 = sha256.lower()
        if data.query is not None and (error := too_large(data.query)):
            # Refused, not stored: the limits refuse to run such a text anyway.
            return ExecutionResult(data=None, errors=[error])
        if data.query is None:
            query = self.get(sha256)
            if query is None:
                return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return dataclasses.replace(data, query=query)
        if hashlib.sha256(data.query.encode()).hexdigest() != sha256:
            return _error(
                "The sha256Hash is not the SHA-256 of the query sent with it.",
                "PERSISTED_QUERY_HASH_MISMATCH",
            )
        self.put(sha256, data.query)
        return data


def _error(message: str, code: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])
