"""New entity ids: UUIDs that sort by creation time (version 7, RFC 9562).

Products, orders and users are keys of B-tree indexes in every store: the write model, the
log's (stream, version) key, the read models. Random (version 4) ids land all over those
trees, so every batch of new rows dirties a page per row; time-ordered ids land at the
right-hand edge, where the pages are already in memory. Seeding and rebuilding read models
wrote several times fewer pages with them (150,000 products: product documents rebuilt in
64 s instead of 79 s, of which commits 4 s instead of 19 s).

They are still UUIDs in their canonical form, so the API contract is unchanged. What they
reveal, the millisecond an entity was created, is shown to the same people as the entity.
"""

from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
