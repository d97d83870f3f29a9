"""Upgrading a database that already holds a shop keeps its data meaningful."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from polyshop.eventstore.postgres import create_postgres_engine
from polyshop.migrations import runner


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if backend == "postgres":
        engine = create_postgres_engine(request.getfixturevalue("postgres_url"), pool_size=2)
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    yield engine
    engine.dispose()


def test_stock_rows_learn_the_version_of_their_inventory_stream(engine: Engine) -> None:
    runner.upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inventory_stock (sku, on_hand, reserved)"
                " VALUES ('OLD-1', 5, 1), ('OLD-2', 3, 0), ('NO-EVENTS', 1, 0)"
            )
        )
        appended = [("inventory-OLD-1", 1), ("inventory-OLD-1", 2), ("inventory-OLD-2", 1)]
        for stream, version in [*appended, ("order-x", 1)]:
            connection.execute(
                text(
                    "INSERT INTO events (stream_id, stream_type, version, type, schema_version,"
                    " data, metadata, recorded_at) VALUES (:s, :t, :v, 'X', 1, '{}', '{}',"
                    " CURRENT_TIMESTAMP)"
                ),
                {"s": stream, "t": stream.split("-")[0], "v": version},
            )

    runner.upgrade(engine)

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sku, version FROM inventory_stock"))
        versions = {row.sku: row.version for row in rows}
    assert versions == {"OLD-1": 2, "OLD-2": 1, "NO-EVENTS": 0}
