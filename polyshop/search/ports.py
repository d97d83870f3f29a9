"""What the search port answers, whatever engine answers it (Tantivy or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from polyshop.search import analysis

#: Price facet buckets: [from, to) in whole currency units; the last is open-ended.
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 25),
    (25, 50),
    (50, 100),
    (100, 250),
    (250, 500),
    (500, 1000),
    (1000, None),
)
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
# Words too common to narrow a search; dropped so every engine treats them alike.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "not",
        "no",
    ]
)


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    category: str | None = None
    brand: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: SearchSort = SearchSort.RELEVANCE
    limit: int = 20
    offset: int = 0
    #: The words as typed: no typo tolerance (a shopper's "search instead for ...").
    exact: bool = False

    @property
    def terms(self) -> list[str]:
        """The words of the query as the products' text is analysed (`analysis`):
        operators, quotes and punctuation are never syntax."""
        words = analysis.words(self.text[:MAX_QUERY_CHARS])
        return [w for w in words if w not in STOPWORDS][:MAX_TERMS]

    def corrected(self, meant: Sequence[str]) -> str | None:
        """What was searched for, to show the shopper, when a word was corrected (`meant`:
        each of `terms` or what it was taken for): the query as typed, each corrected
        word replaced, the rest kept as written (`Crème`, not the folded `creme`)."""
        corrections = {typed: m for typed, m in zip(self.terms, meant, strict=True) if typed != m}
        if not corrections:
            return None
        shown = []
        for token in self.text[:MAX_QUERY_CHARS].split():
            found = analysis.words(token)
            if any(word in corrections for word in found):
                token = " ".join(corrections.get(word, word) for word in found)
            shown.append(token)
        return " ".join(shown)


@dataclass(frozen=True, slots=True)
class PriceBucket:
    low: int
    high: int | None
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    brands: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    price_ranges: list[PriceBucket] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SearchResult:
    documents: list[dict[str, Any]]
    total: int
    facets: Facets
    #: The words searched for when a typo among those typed was corrected (each word as
    #: the catalog has it); None when the words were searched as typed.
    corrected: str | None = None


class SearchIndex(Protocol):
    def search(self, query: SearchQuery) -> SearchResult:
        """Matching active products for one page, the total, and facets over all matches."""

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Product names completing what the shopper has typed so far."""


def bucket_of(price: Decimal) -> int:
    for i, (low, high) in enumerate(PRICE_BUCKETS):
        if price >= low and (high is None or price < high):
            return i
    return len(PRICE_BUCKETS) - 1
