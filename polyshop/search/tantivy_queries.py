"""How a search is asked of the Tantivy index: the query for its words and filters, the
sort, and the facets from one aggregation over the matches."""

from __future__ import annotations

from typing import Any

import orjson
import tantivy

from polyshop.catalog import domain
from polyshop.search.analysis import words
from polyshop.search.ports import PRICE_BUCKETS, Facets, PriceBucket, SearchQuery, SearchSort
from polyshop.search.tantivy_documents import SCHEMA, TEXT_FIELDS
from polyshop.values.money import to_cents

_BOOSTS = {"name": 3.0, "brand_text": 2.0, "tags": 1.5, "category_text": 1.2, "description": 1.0}
_FUZZY = (("name", 0.6), ("brand_text", 0.4), ("category_text", 0.3), ("tags", 0.3))
_Clause = tuple[tantivy.Occur, tantivy.Query]


def search_query(
    index: tantivy.Index, searcher: tantivy.Searcher, query: SearchQuery
) -> tantivy.Query:
    """Active products with every word (or a likely spelling of it), under the filters."""
    clauses: list[_Clause] = [(tantivy.Occur.Must, active())]
    terms = query.terms
    for i, term in enumerate(terms):
        last = i == len(terms) - 1
        clauses.append((tantivy.Occur.Must, _word(index, searcher, term, last, query.exact)))
    clauses.extend((tantivy.Occur.Must, q) for q in _filters(query))
    return tantivy.Query.boolean_query(clauses)


def _word(
    index: tantivy.Index, searcher: tantivy.Searcher, term: str, last: bool, exact: bool
) -> tantivy.Query:
    """The word as typed in any text field, or as the start of a word if the shopper may
    still be typing it (`last`), or with a typo (unless `exact`)."""
    as_typed = index.parse_query(term, list(TEXT_FIELDS), field_boosts=_BOOSTS)
    options: list[_Clause] = [(tantivy.Occur.Should, as_typed)]
    variants: list[tuple[bool, int, float]] = []
    if last:
        variants.append((True, 0, 0.8))
    # Tolerate one typo, two in long words, but only in a word the catalog does not
    # have: `shirt` should not find shorts and skirts, and a fuzzy match over every
    # field is most of a query's cost at a million products.
    if not exact and _typo(searcher, term):
        variants.append((False, _distance(term), 0.5))
    for prefix, distance, weight in variants:
        for field, boost in _FUZZY:
            fuzzy = index.parse_query(term, [field], fuzzy_fields={field: (prefix, distance, True)})
            options.append((tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, boost * weight)))
    return tantivy.Query.boolean_query(options)


def _typo(searcher: tantivy.Searcher, term: str) -> bool:
    """Whether a word is tolerated as a typo: long enough, and not a word of the catalog."""
    return len(term) >= 5 and not _in_vocabulary(searcher, term)


def _distance(term: str) -> int:
    return 2 if len(term) >= 8 else 1


def correction(index: tantivy.Index, searcher: tantivy.Searcher, query: SearchQuery) -> str | None:
    """The words searched for, when a typo was tolerated: each word the catalog lacks
    replaced by the nearest word (within its edit distance) of the products its fuzzy
    match ranks best; None when every word was searched as typed."""
    if query.exact:
        return None
    terms = query.terms
    meant = [
        (_nearest(index, searcher, term) or term) if _typo(searcher, term) else term
        for term in terms
    ]
    return query.corrected(meant)


def _nearest(index: tantivy.Index, searcher: tantivy.Searcher, term: str) -> str | None:
    options: list[_Clause] = []
    for field, boost in _FUZZY:
        fuzzy = index.parse_query(
            term, [field], fuzzy_fields={field: (False, _distance(term), True)}
        )
        options.append((tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, boost)))
    query = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, active()), (tantivy.Occur.Must, tantivy.Query.boolean_query(options))]
    )
    best: tuple[int, str] | None = None
    for _, address in searcher.search(query, limit=5).hits:
        doc = orjson.loads(searcher.doc(address)["doc"][0])
        text = " ".join([doc["name"], doc["brand"], doc["category"], *doc.get("tags", [])])
        for word in words(text):
            distance = edit_distance(term, word)
            if distance <= _distance(term) and (best is None or distance < best[0]):
                best = (distance, word)
    return best[1] if best else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _filters(query: SearchQuery) -> list[tantivy.Query]:
    found: list[tantivy.Query] = []
    if query.category:
        found.append(tantivy.Query.term_query(SCHEMA, "category_path", query.category))
    if query.brand:  # in any letter case, as browse; the facets keep the display name
        found.append(tantivy.Query.regex_query(SCHEMA, "brand", any_case(query.brand)))
    unsigned = tantivy.FieldType.Unsigned
    if query.min_price is not None:
        found.append(
            tantivy.Query.range_query(
                SCHEMA, "price_max", unsigned, lower_bound=to_cents(query.min_price)
            )
        )
    if query.max_price is not None:
        found.append(
            tantivy.Query.range_query(
                SCHEMA, "price_min", unsigned, upper_bound=to_cents(query.max_price)
            )
        )
    if query.in_stock is not None:
        found.append(tantivy.Query.term_query(SCHEMA, "in_stock", query.in_stock))
    return found


def order(sort: SearchSort) -> dict[str, Any]:
    """The `searcher.search` arguments of a sort; none for relevance (by score)."""
    if sort is SearchSort.PRICE_ASC:
        return {"order_by_field": "price_min", "order": tantivy.Order.Asc}
    if sort is SearchSort.PRICE_DESC:
        return {"order_by_field": "price_min", "order": tantivy.Order.Desc}
    if sort is SearchSort.NEWEST:
        return {"order_by_field": "created_at", "order": tantivy.Order.Desc}
    return {}


def suggest_query(index: tantivy.Index, terms: list[str]) -> tantivy.Query:
    """Active products whose name has every word, the last one as a prefix."""
    clauses: list[_Clause] = [(tantivy.Occur.Must, active())]
    for i, term in enumerate(terms):
        last = i == len(terms) - 1
        clauses.append(
            (
                tantivy.Occur.Must,
                index.parse_query(
                    term, ["name"], fuzzy_fields={"name": (True, 0, True)} if last else None
                ),
            )
        )
    return tantivy.Query.boolean_query(clauses)


# What the `en_stem` tokenizer makes of a word (Tantivy's definition of it), to look the
# word up in the term dictionaries as the index holds it.
_EN_STEM = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def _in_vocabulary(searcher: tantivy.Searcher, word: str) -> bool:
    """Whether any text field holds the word: a term-dictionary lookup per field, where a
    search would score every matching document to count them."""
    tokens = _EN_STEM.analyze(word)
    return any(searcher.doc_freq(field, token) for token in tokens for field in TEXT_FIELDS)


def any_case(text: str) -> str:
    """A regex (matched against whole terms) for `text` in any letter case: each character
    as a class of its one-character case forms, written as code points, so no character of
    a brand ("H&M", "Dr. Martens") is ever read as regex syntax."""
    parts = []
    for char in text:
        forms = sorted({f for f in (char, char.lower(), char.upper()) if len(f) == 1})
        parts.append("[" + "".join(f"\\x{{{ord(f):X}}}" for f in forms) + "]")
    return "".join(parts)


def active() -> tantivy.Query:
    return tantivy.Query.term_query(SCHEMA, "status", domain.ACTIVE)


AGGREGATIONS = {
    "brands": {"terms": {"field": "brand", "size": 50}},
    "categories": {"terms": {"field": "category", "size": 50}},
    "prices": {
        "range": {
            "field": "price_min",
            "ranges": [
                {
                    "key": str(i),
                    **({"from": low * 100} if low else {}),
                    **({"to": high * 100} if high else {}),
                }
                for i, (low, high) in enumerate(PRICE_BUCKETS)
            ],
        }
    },
}


def facets(raw: dict[str, Any]) -> Facets:
    brands = {b["key"]: b["doc_count"] for b in raw["brands"]["buckets"]}
    categories = {c["key"]: c["doc_count"] for c in raw["categories"]["buckets"]}
    counts = {b["key"]: b["doc_count"] for b in raw["prices"]["buckets"]}
    return Facets(
        brands=dict(sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))),
        categories=dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        price_ranges=[
            PriceBucket(low, high, counts.get(str(i), 0))
            for i, (low, high) in enumerate(PRICE_BUCKETS)
            if counts.get(str(i))
        ],
    )
