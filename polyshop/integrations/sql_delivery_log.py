"""What the admin reads about deliveries: a webhook's, newest first; the dead letters of
all; one delivery with every attempt made."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, RowMapping, select

from polyshop.integrations.schema import attempts, deliveries
from polyshop.integrations.webhook_rules import Attempt, Delivery
from polyshop.values.clock import as_utc

_COLUMNS = [c for c in deliveries.c if c.name != "body"]


def list_deliveries(
    engine: Engine,
    *,
    webhook_id: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Delivery]:
    """Newest first; `before`: only ids below it (the next page)."""
    query = select(*_COLUMNS).order_by(deliveries.c.id.desc()).limit(limit)
    if webhook_id is not None:
        query = query.where(deliveries.c.webhook_id == webhook_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if before is not None:
        query = query.where(deliveries.c.id < before)
    with engine.connect() as connection:
        return [_delivery(row._mapping) for row in connection.execute(query)]


def find_delivery(engine: Engine, delivery_id: int) -> Delivery | None:
    with engine.connect() as connection:
        row = connection.execute(select(*_COLUMNS).where(deliveries.c.id == delivery_id)).first()
        if row is None:
            return None
        log = connection.execute(
            select(attempts.c.at, attempts.c.status_code, attempts.c.error, attempts.c.ms)
            .where(attempts.c.delivery_id == delivery_id)
            .order_by(attempts.c.id)
        )
        made = tuple(Attempt(**a._mapping) for a in log)
    return _delivery(row._mapping, made)


def _delivery(row: RowMapping, log: tuple[Attempt, ...] = ()) -> Delivery:
    values = {c.name: row[c.name] for c in _COLUMNS}
    for name in ("next_attempt_at", "created_at", "delivered_at"):
        values[name] = values[name] and as_utc(values[name])  # SQLite keeps no zone
    return Delivery(**values, log=tuple(replace(a, at=as_utc(a.at)) for a in log))
