"""The admin's posts that carry a file, and how large their bodies may be: every other
request keeps the app's small body limit (`max_body_bytes`)."""

from __future__ import annotations

import re

from polyshop.catalog import csv_import

#: Room for the form around the file (its boundary, the CSRF token, alt text).
FORM_OVERHEAD = 64 * 1024
#: (method, path pattern): an image for a product, a CSV file to import.
UPLOADS = (
    ("POST", re.compile(r"^/admin/products/[^/]+/images$")),
    ("POST", re.compile(r"^/admin/products/import$")),
)


def body_limit(media_max_bytes: int) -> int:
    """The largest body any large upload may send: an image, or a CSV file."""
    return max(media_max_bytes, csv_import.MAX_BYTES) + FORM_OVERHEAD
