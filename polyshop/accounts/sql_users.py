"""The users table's SQL, for the account commands (in their unit of work) and the door.

Rows are read as mappings and turned into `User` here, so the rules in `commands` never see
a column. Writes that decide on a row first lock it (`FOR UPDATE`; SQLite's single writer
does the same), so two changes of one user never both pass on a stale version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, insert, select, update

from polyshop.accounts.domain import Address, Role, User
from polyshop.accounts.schema import users
from polyshop.values.clock import as_utc


def insert_user(connection: Connection, **values: Any) -> None:
    """Raises `IntegrityError` when the email key is taken (the unique key decides)."""
    connection.execute(insert(users).values(**values))


def find_by_email_key(engine: Engine, key: str) -> RowMapping | None:
    with engine.connect() as connection:
        row = connection.execute(select(users).where(users.c.email_key == key)).first()
    return row._mapping if row is not None else None


def lock_by_email_key(connection: Connection, key: str) -> RowMapping | None:
    row = connection.execute(
        select(users).where(users.c.email_key == key).with_for_update()
    ).first()
    return row._mapping if row is not None else None


def lock(connection: Connection, user_id: str) -> RowMapping | None:
    row = connection.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
    return row._mapping if row is not None else None


def change(connection: Connection, user_id: str, **values: Any) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(**values))


def get_user(engine: Engine, user_id: str) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(select(users).where(users.c.id == user_id)).first()
    return to_user(row._mapping) if row is not None else None


def emails_of(engine: Engine, user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(users.c.id, users.c.email).where(users.c.id.in_(user_ids)))
        return {str(row.id): str(row.email) for row in rows}


def to_user(row: RowMapping | dict[str, Any]) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        created_at=as_utc(row["created_at"]),
        addresses=tuple(Address(**a) for a in row["addresses"]),
        version=row["version"],
    )
