"""The admin's customer list over the users table: in email order, searchable by the start
of an email or a name, counted up to a cap.

The list walks the unique email index in order and stops after the page. A search is two
bounded index walks, combined: the email prefix a range of the email index, the name
prefix a range of the lower(name) index (migration 0011), each checked by `substr`, which
agrees in every collation, and each stopping after COUNT_CAP + 1 users. The union is
counted (a user both walks find, once) and sorted by email for the page, so a search reads
at most two bounded ranges, never the whole table. (Past the cap the list is the first
COUNT_CAP matches of each walk: the count says "10,000+" then.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, func, select, union

from polyshop.accounts.domain import User
from polyshop.accounts.schema import users
from polyshop.accounts.sql_users import to_user

COUNT_CAP = 10_000
MAX_OFFSET = 10_000
#: Above every character an email key can hold: `key < prefix + _TOP` bounds a prefix range.
_TOP = "\U0010ffff"


def _walks(text: str) -> list[Select[Any]]:
    """The two bounded walks of a search: users whose email, and users whose name, starts
    with `text` in any letter case (ids with their email key, the list's order)."""
    key, name = text.casefold(), text.lower()
    lowered = func.lower(users.c.name)
    by_email = (
        select(users.c.id, users.c.email_key)
        .where(
            users.c.email_key >= key,
            users.c.email_key < key + _TOP,
            func.substr(users.c.email_key, 1, len(key)) == key,
        )
        .order_by(users.c.email_key)
        .limit(COUNT_CAP + 1)
    )
    by_name = (
        select(users.c.id, users.c.email_key)
        .where(lowered >= name, lowered < name + _TOP, func.substr(lowered, 1, len(name)) == name)
        .order_by(lowered, users.c.email_key)
        .limit(COUNT_CAP + 1)
    )
    return [by_email, by_name]


def search_queries(text: str, *, limit: int, offset: int) -> tuple[Select[Any], Select[Any]]:
    """The page's query and the count's, for a search `text` (stripped, not empty): each
    walk kept whole inside a subquery, as SQLite requires of a compound select's parts."""
    found = union(*(select(*walk.subquery().c) for walk in _walks(text))).subquery()
    page = (
        select(users)
        .join(found, found.c.id == users.c.id)
        .order_by(found.c.email_key)
        .limit(limit)
        .offset(offset)
    )
    return page, select(func.count()).select_from(found)


def find_users(
    engine: Engine, text: str, *, limit: int, offset: int
) -> tuple[list[User], int, bool]:
    """A page of users in email order, how many match (at most COUNT_CAP) and whether
    counting stopped at the cap."""
    text, offset = text.strip(), min(offset, MAX_OFFSET)
    if text:
        page, count = search_queries(text, limit=limit, offset=offset)
    else:
        page = select(users).order_by(users.c.email_key).limit(limit).offset(offset)
        count = select(func.count()).select_from(select(users.c.id).limit(COUNT_CAP + 1).subquery())
    with engine.connect() as connection:
        rows = connection.execute(page).all()
        found = int(connection.execute(count).scalar_one())
    return [to_user(row._mapping) for row in rows], min(found, COUNT_CAP), found > COUNT_CAP
