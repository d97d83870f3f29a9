"""The one way a GraphQL query text is read: bounded in length, then parsed once per text.

The parse (and the checks in `limits` keyed on the text) are cached, 512 texts each; the
length bound keeps what those caches hold small, since comments are not tokens and the
token limit alone would let a megabyte of comment through to be kept.
"""

from __future__ import annotations

from functools import lru_cache

from graphql import DocumentNode, GraphQLError, parse

MAX_TOKENS = 5000
#: The longest query text taken at all. The caches below key on the text, 512 of each: a
#: 900 KB comment-padded query under the token limit would cost ~0.5 GB per worker.
#: 64 K characters hold any real query (the seed's largest is under 2 K) with room to spare.
MAX_QUERY_CHARS = 64 * 1024
CACHE_SIZE = 512


def limit_error(message: str, code: str, **facts: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **facts})


def too_large(query: str) -> GraphQLError | None:
    """The refusal of a query text longer than `MAX_QUERY_CHARS`, else None."""
    if len(query) <= MAX_QUERY_CHARS:
        return None
    return limit_error(
        f"The query is too large: at most {MAX_QUERY_CHARS} characters are allowed.",
        "query-too-large",
        length=len(query),
        maxChars=MAX_QUERY_CHARS,
    )


def bounded(query: str) -> str:
    """`query`, or the size refusal raised: no text past the bound reaches a cache."""
    if error := too_large(query):
        raise error
    return query


def parsed(query: str) -> DocumentNode:
    """The query's document; a document past `MAX_TOKENS` is refused while it is read."""
    return _parsed(bounded(query))


@lru_cache(maxsize=CACHE_SIZE)
def _parsed(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)
