"""The storefront's canonical URLs, in one place so every page links a product or a category
the same way (and the product page can redirect a wrong slug to the one built here)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: Longest slug; a product name longer than this is cut at a word boundary.
MAX_SLUG = 80

_WORDS = re.compile(r"[a-z0-9]+")


def slug(name: str) -> str:
    """Lower-case ASCII words of `name` joined by '-' (accents dropped), at most MAX_SLUG
    characters; "item" when nothing is left, so a URL never has an empty segment."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = _WORDS.findall(ascii_name.lower())
    text = ""
    for word in words:
        candidate = f"{text}-{word}" if text else word
        if len(candidate) > MAX_SLUG:
            break
        text = candidate
    return text or (words[0][:MAX_SLUG] if words else "item")


def product_url(product_id: str, name: str) -> str:
    """The product page: `/p/{product_id}/{slug}`."""
    return f"/p/{quote(product_id, safe='')}/{slug(name)}"


def category_url(path: str) -> str:
    """A category page: `/c/{path}` (path like `electronics/laptops`)."""
    return "/c/" + quote(path.strip("/"), safe="/")
