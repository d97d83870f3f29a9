"""Text functions SQLite and PostgreSQL spell differently, for the catalog's queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class byte_length(GenericFunction[int]):  # noqa: N801 (SQL functions are lower case)
    """The length of a text in UTF-8 bytes: more than its length in characters exactly
    when it holds a character outside ASCII."""

    type = Integer()
    inherit_cache = True


@compiles(byte_length)
def _octet_length(element: byte_length, compiler: Any, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(byte_length, "sqlite")
def _blob_length(element: byte_length, compiler: Any, **kw: Any) -> str:
    # SQLite's length() of a BLOB counts bytes (octet_length() arrived in 3.43).
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"
