"""Many rows into a table in as few round trips, and as little Python, as the database allows.

A seed, an import or a rebuild writes millions of rows. SQLAlchemy's executemany builds a
parameter dictionary per row through its generic machinery, which costs more than SQLite
takes to store the row. Here each value goes through its column type's own bind processor
once (so what is stored is exactly what SQLAlchemy would store) and the driver's
executemany gets plain tuples. PostgreSQL gets one statement over the rows sent as one
JSON document: orjson encodes it in C, and the server parses it faster than psycopg adapts
parameters row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, text


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    on_conflict: str = "",
) -> None:
    """Insert `rows` (dictionaries with the same keys); `on_conflict` is SQL that follows
    the VALUES (`ON CONFLICT (...) DO ...`), the same in both dialects."""
    if not rows:
        return
    columns = list(rows[0].keys())
    names = ", ".join(columns)
    dialect = connection.dialect
    if dialect.name == "postgresql":
        shape = ", ".join(f"{c} {table.c[c].type.compile(dialect)}" for c in columns)
        statement = text(
            f"INSERT INTO {table.name} ({names}) SELECT {names}"
            f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({shape}){on_conflict}"
        )
        connection.execute(statement, {"rows": orjson.dumps(list(rows)).decode()})
        return
    processors = [
        (i, processor)
        for i, c in enumerate(columns)
        if (processor := table.c[c].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        value = [row[c] for c in columns]
        for i, process in processors:
            value[i] = process(value[i])
        values.append(tuple(value))
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks}){on_conflict}", values
    )
