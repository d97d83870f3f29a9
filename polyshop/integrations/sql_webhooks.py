"""The webhooks' SQL, on the write database (both dialects): registrations, the fan-out of
log events into deliveries (exactly once: a unique key and the cursor in one transaction),
the due deliveries, their outcome and their log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, delete, insert, select, update

from polyshop.integrations.schema import attempts, cursor, deliveries, webhooks
from polyshop.integrations.webhook_rules import Outcome, Webhook
from polyshop.values.clock import as_utc

#: The fan-out's row in the cursor table.
FAN_OUT = "fan-out"


@dataclass(frozen=True, slots=True)
class NewDelivery:
    webhook_id: str
    position: int
    event_type: str
    body: str


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    url: str
    secret: str
    body: str
    event_type: str
    position: int
    attempts: int


def insert_webhook(engine: Engine, make: Callable[[], Webhook]) -> Webhook:
    """Insert the webhook `make` builds, while holding the fan-out's cursor: a fan-out in
    progress finishes first, so the new webhook's `from_position` (taken inside `make`) is
    never behind what that fan-out planned without it."""
    with engine.begin() as connection:
        _cursor(connection, lock=True)
        webhook = make()
        connection.execute(
            insert(webhooks).values(
                id=webhook.id,
                url=webhook.url,
                event_types=list(webhook.event_types),
                description=webhook.description,
                secret=webhook.secret,
                active=webhook.active,
                from_position=webhook.from_position,
                created_at=webhook.created_at,
            )
        )
    return webhook


def active_webhooks(engine: Engine) -> list[Webhook]:
    with engine.connect() as connection:
        return _active(connection)


def _active(connection: Connection) -> list[Webhook]:
    query = select(webhooks).where(webhooks.c.active.is_(True)).order_by(webhooks.c.created_at)
    return [_webhook(row._mapping) for row in connection.execute(query)]


def find_webhook(engine: Engine, webhook_id: str, *, removed: bool = False) -> Webhook | None:
    """The webhook; a removed one only when `removed` (its delivery log stays readable)."""
    query = select(webhooks).where(webhooks.c.id == webhook_id)
    if not removed:
        query = query.where(webhooks.c.active.is_(True))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return _webhook(row._mapping) if row is not None else None


def deactivate(engine: Engine, webhook_id: str) -> bool:
    """Stop a webhook; its deliveries not yet made are cancelled (their log stays)."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, webhooks.c.active.is_(True))
            .values(active=False)
        ).rowcount
        connection.execute(
            update(deliveries)
            .where(deliveries.c.webhook_id == webhook_id, deliveries.c.status == "pending")
            .values(status="cancelled")
        )
    return bool(changed)


#: Plans a fan-out step from the active webhooks and the cursor: the deliveries to record
#: and the position the cursor moves to.
Plan = Callable[[list[Webhook], int], tuple[list[NewDelivery], int]]


def fan_out(engine: Engine, plan: Plan, now: datetime) -> int:
    """One step of the fan-out: `plan` reads the log outside any write transaction (on
    SQLite that would hold the process's one writer); then, holding the cursor, the step is
    recorded only if nothing moved meanwhile (the cursor, the active webhooks), the planned
    deliveries and the cursor's new position in one transaction. A crash before the commit
    plans the same step again, and no delivery is recorded twice. Returns how many were."""
    with engine.connect() as connection:
        at = _cursor(connection)
        hooks = _active(connection)
    new, up_to = plan(hooks, at)
    if not new and up_to <= at:
        return 0  # nothing to record: no write transaction
    with engine.begin() as connection:
        if _cursor(connection, lock=True) != at or _ids(_active(connection)) != _ids(hooks):
            return 0  # another fan-out, or a registration, came first: plan again
        rows = []
        if new:
            known = _known(connection, new)
            rows = [_pending(d, now) for d in new if (d.webhook_id, d.position) not in known]
            if rows:
                connection.execute(insert(deliveries), rows)
        if up_to > at:
            connection.execute(
                update(cursor).where(cursor.c.name == FAN_OUT).values(position=up_to)
            )
    return len(rows)


def _ids(hooks: list[Webhook]) -> list[str]:
    return [h.id for h in hooks]


def due(engine: Engine, now: datetime, limit: int) -> list[Due]:
    query = (
        select(
            deliveries.c.id,
            webhooks.c.url,
            webhooks.c.secret,
            deliveries.c.body,
            deliveries.c.event_type,
            deliveries.c.position,
            deliveries.c.attempts,
        )
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            webhooks.c.active.is_(True),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [Due(**row._mapping) for row in connection.execute(query)]


def record(
    engine: Engine, delivery: Due, outcome: Outcome, retry_at: datetime | None, now: datetime
) -> None:
    """An attempt's outcome: delivered, due again at `retry_at`, or (None) dead."""
    status = "delivered" if outcome.delivered else "pending" if retry_at else "dead"
    with engine.begin() as connection:
        connection.execute(
            insert(attempts).values(
                delivery_id=delivery.id,
                at=now,
                status_code=outcome.status,
                error=outcome.error and outcome.error[:500],
                ms=outcome.ms,
            )
        )
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery.id, deliveries.c.status == "pending")
            .values(
                status=status,
                attempts=delivery.attempts + 1,
                last_status=outcome.status,
                last_error=outcome.error and outcome.error[:500],
                next_attempt_at=retry_at or now,
                delivered_at=now if outcome.delivered else None,
            )
        )


def replay(engine: Engine, delivery_id: int, now: datetime) -> bool:
    """Make a dead (or delivered, or cancelled) delivery due now, its attempts reset; the
    log of earlier attempts stays."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status != "pending")
            .values(status="pending", attempts=0, next_attempt_at=now, delivered_at=None)
        ).rowcount
    return bool(changed)


def prune(engine: Engine, before: datetime, limit: int = 1000) -> int:
    """Forget up to `limit` delivered deliveries (and their attempts) made before `before`."""
    with engine.begin() as connection:
        ids = [
            row.id
            for row in connection.execute(
                select(deliveries.c.id)
                .where(deliveries.c.status == "delivered", deliveries.c.delivered_at < before)
                .limit(limit)
            )
        ]
        if ids:
            connection.execute(delete(attempts).where(attempts.c.delivery_id.in_(ids)))
            connection.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
    return len(ids)


def _cursor(connection: Connection, *, lock: bool = False) -> int:
    query = select(cursor.c.position).where(cursor.c.name == FAN_OUT)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    position = connection.execute(query).scalar()
    if position is None:  # made by migration 0012; only a hand-emptied table lacks it
        if lock:
            connection.execute(insert(cursor).values(name=FAN_OUT, position=0))
        return 0
    return int(position)


def _known(connection: Connection, new: Sequence[NewDelivery]) -> set[tuple[str, int]]:
    """The pairs among `new` already recorded (by a fan-out that committed and then lost
    its answer): read through the unique key, one range per webhook."""
    positions = sorted({d.position for d in new})
    rows = connection.execute(
        select(deliveries.c.webhook_id, deliveries.c.position).where(
            deliveries.c.webhook_id.in_(sorted({d.webhook_id for d in new})),
            deliveries.c.position.between(positions[0], positions[-1]),
        )
    )
    return {(row.webhook_id, row.position) for row in rows}


def _pending(delivery: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "webhook_id": delivery.webhook_id,
        "position": delivery.position,
        "event_type": delivery.event_type,
        "body": delivery.body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _webhook(row: RowMapping) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        description=row["description"],
        secret=row["secret"],
        active=row["active"],
        from_position=int(row["from_position"]),
        created_at=as_utc(row["created_at"]),
    )
