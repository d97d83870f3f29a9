"""Sessions and attempt counters in the embedded TTL database (see `ttlstore.sql`).

Sliding expiry is written at most once a minute per session: a write per request would put
every page view in the queue for SQLite's single writer.
"""

from __future__ import annotations

import time

import orjson
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.sqlite import insert

from polyshop.accounts.ports import Session
from polyshop.ttlstore.sql import TtlDatabase, counters, sessions, unavailable_as_store_error

SLIDE_EVERY = 60.0


class SqlSessionStore:
    def __init__(self, database: TtlDatabase) -> None:
        self._db = database

    def put(self, token_hash: str, session: Session, ttl: float) -> None:
        body = orjson.dumps({"id": session.id, "uid": session.user_id, "c": session.created_at})
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(
                insert(sessions).values(
                    token_hash=token_hash, body=body.decode(), expires_at=time.time() + ttl
                )
            )

    def get(self, token_hash: str, ttl: float) -> Session | None:
        now = time.time()
        with unavailable_as_store_error():
            with self._db.reader.connect() as connection:
                row = connection.execute(
                    select(sessions.c.body, sessions.c.expires_at).where(
                        sessions.c.token_hash == token_hash, sessions.c.expires_at > now
                    )
                ).first()
            if row is None:
                return None
            if row.expires_at < now + ttl - min(SLIDE_EVERY, ttl / 2):
                with self._db.writer.begin() as connection:
                    connection.execute(
                        update(sessions)
                        .where(sessions.c.token_hash == token_hash)
                        .values(expires_at=now + ttl)
                    )
        data = orjson.loads(row.body)
        return Session(id=data["id"], user_id=data["uid"], created_at=data["c"])

    def revoke(self, token_hash: str) -> None:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


class SqlAttemptCounter:
    def __init__(self, database: TtlDatabase) -> None:
        self._db = database

    def hit(self, key: str, window: float) -> tuple[int, float]:
        now = time.time()
        expired = counters.c.expires_at <= now
        statement = (
            insert(counters)
            .values(key=key, count=1, expires_at=now + window)
            .on_conflict_do_update(
                index_elements=[counters.c.key],
                set_={
                    "count": case((expired, 1), else_=counters.c.count + 1),
                    "expires_at": case((expired, now + window), else_=counters.c.expires_at),
                },
            )
            .returning(counters.c.count, counters.c.expires_at)
        )
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            count, expires_at = connection.execute(statement).one()
        return count, max(0.0, expires_at - now)

    def peek(self, key: str) -> tuple[int, float]:
        now = time.time()
        with unavailable_as_store_error(), self._db.reader.connect() as connection:
            row = connection.execute(
                select(counters.c.count, counters.c.expires_at).where(
                    counters.c.key == key, counters.c.expires_at > now
                )
            ).first()
        if row is None:
            return 0, 0.0
        count, expires_at = row  # by position: a row's `.count` is, to its types, tuple.count
        return count, expires_at - now

    def undo(self, key: str) -> None:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(
                update(counters)
                .where(counters.c.key == key, counters.c.count > 0)
                .values(count=counters.c.count - 1)
            )

    def reset(self, key: str) -> None:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(delete(counters).where(counters.c.key == key))
