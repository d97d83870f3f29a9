"""The admin's customer list over the users table: in email order, searchable by the start
of an email or a name, counted up to a cap.

The list walks the unique email index in order and stops after the page. An email search
is a range on that index (checked by `substr`, which agrees in every collation); a name
search has no index of its own and reads the users table, which holds people, not
products (a page still stops at its limit once enough users are found).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from polyshop.accounts.domain import User
from polyshop.accounts.schema import users
from polyshop.accounts.sql_users import to_user

COUNT_CAP = 10_000
MAX_OFFSET = 10_000
#: Above every character an email key can hold: `key < prefix + _TOP` bounds a prefix range.
_TOP = "\U0010ffff"


def _matching(text: str) -> list[Any]:
    """Users whose email or name starts with `text`, in any letter case."""
    text = text.strip()
    if not text:
        return []
    key, name = text.casefold(), text.lower()
    return [
        or_(
            and_(
                users.c.email_key >= key,
                users.c.email_key < key + _TOP,
                func.substr(users.c.email_key, 1, len(key)) == key,
            ),
            func.substr(func.lower(users.c.name), 1, len(name)) == name,
        )
    ]


def find_users(
    engine: Engine, text: str, *, limit: int, offset: int
) -> tuple[list[User], int, bool]:
    """A page of users in email order, how many match (at most COUNT_CAP) and whether
    counting stopped at the cap."""
    where = _matching(text)
    offset = min(offset, MAX_OFFSET)
    with engine.connect() as connection:
        rows = connection.execute(
            select(users).where(*where).order_by(users.c.email_key).limit(limit).offset(offset)
        ).all()
        bounded = select(users.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
        found = int(connection.execute(select(func.count()).select_from(bounded)).scalar_one())
    return [to_user(row._mapping) for row in rows], min(found, COUNT_CAP), found > COUNT_CAP
