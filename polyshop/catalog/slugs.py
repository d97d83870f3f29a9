"""A product's slug: the readable part of its URL, made from its name.

One rule for every face: the storefront's product URLs (`/p/{id}/{slug}`) and the GraphQL
`product(slug:)` lookup, which finds the product a slug was made from (see
`Catalog.product_with_slug`). Names are not unique, so neither are slugs.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest slug; a product name longer than this is cut at a word boundary.
MAX_SLUG = 80
#: The slug of a name without a letter or digit in ASCII (after dropping accents).
NO_WORDS = "item"

_WORDS = re.compile(r"[a-z0-9]+")


def slug(name: str) -> str:
    """Lower-case ASCII words of `name` joined by '-' (accents dropped), at most MAX_SLUG
    characters; "item" when nothing is left, so a URL never has an empty segment."""
    words = _WORDS.findall(ascii_lower(name))
    text = ""
    for word in words:
        candidate = f"{text}-{word}" if text else word
        if len(candidate) > MAX_SLUG:
            break
        text = candidate
    return text or (words[0][:MAX_SLUG] if words else NO_WORDS)


def ascii_lower(name: str) -> str:
    """`name` in lower case with accents dropped and every other non-ASCII letter left out."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def slug_words(text: str) -> list[str] | None:
    """The words of a well-formed slug, in order; None for text no name slugs to."""
    words = text.split("-")
    if not text or len(text) > MAX_SLUG or any(not _WORDS.fullmatch(w) for w in words):
        return None
    return words
