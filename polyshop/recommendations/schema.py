"""Tables of the product graph.

Each signal keeps three tables: how often each product occurs (`*_counts`), how often each
pair occurs together (`*_pairs`, both ways round) and the precomputed best neighbours per
product (`*_top`), which is all the read path touches. "Bought together" is a projection of
the log, so its tables come in generations (see `copurchase`); "viewed together" is fed
from the analytics store by a job and lives in the plain tables below, with its progress.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()


def graph_tables(metadata: MetaData, prefix: str, suffix: str = "") -> dict[str, Table]:
    counts = Table(
        f"{prefix}_counts{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("n", Integer, nullable=False),
    )
    pairs = Table(
        f"{prefix}_pairs{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("other_id", String(36), primary_key=True),
        Column("n", Integer, nullable=False),
    )
    top = Table(
        f"{prefix}_top{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("other_id", String(36), primary_key=True),
        Column("score", Float, nullable=False),
        Index(f"ix_{prefix}_top{suffix}_score", "product_id", "score"),
    )
    return {"counts": counts, "pairs": pairs, "top": top}


viewed = graph_tables(metadata, "rec_viewed")
viewed_progress = Table(
    "rec_viewed_progress",
    metadata,
    Column("id", Integer, primary_key=True),
    #: Epoch seconds up to which visits have been counted (windows before it are done).
    Column("until_epoch", BigInteger, nullable=False),
)
