"""Webhooks, the door: admins register receivers per event type; a leased background job
fans the log's events out into deliveries and sends them, signed, retrying with backoff
until they are delivered or given up as dead letters an admin can replay.

At least once: a delivery sent just before a crash is sent again, with the same
`Polyshop-Event-Id` (the log position) for the receiver to drop the copy.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import Engine

from polyshop.eventstore.ports import EventStore
from polyshop.integrations import sql_delivery_log as log
from polyshop.integrations import sql_webhooks as sql
from polyshop.integrations.messages import message_of
from polyshop.integrations.ports import Receiver
from polyshop.integrations.sql_webhooks import Due, NewDelivery
from polyshop.integrations.webhook_rules import (
    SIGNATURE_HEADER,
    Delivery,
    DeliveryNotFound,
    InvalidWebhook,
    Outcome,
    ReceiverRefused,
    Webhook,
    WebhookNotFound,
    checked_types,
    checked_url,
    retry_delay,
    sign,
)
from polyshop.values.clock import utc_now

#: Events read per fan-out step, and steps per run of the job at most.
FAN_OUT_BATCH = 1000
FAN_OUT_STEPS = 20
#: Deliveries sent per run of the job, and at once.
SEND_BATCH = 100
SENDERS = 8
MAX_DESCRIPTION = 200
#: Seconds between sweeps of old delivered deliveries (retention is counted in days).
PRUNE_INTERVAL = 3600.0
DELIVERY_STATES = ("pending", "delivered", "dead", "cancelled")


class Webhooks:
    def __init__(
        self,
        store: EventStore,
        engine: Engine,
        receiver: Receiver,
        *,
        retention: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = utc_now,
        rng: Random | None = None,
    ) -> None:
        """`engine`: the write database, which holds the webhooks' tables."""
        self._store = store
        self._engine = engine
        self._receiver = receiver
        self._retention = retention
        self._clock = clock
        self._rng = rng or Random()  # noqa: S311 (retry jitter, not a secret)
        self._next_prune = 0.0

    # The admin's door ------------------------------------------------------------------

    def register(self, url: str, event_types: Iterable[str], description: str = "") -> Webhook:
        """A new receiver of the events of `event_types` (none: all) recorded from now on;
        its signing secret is in the answer."""
        url = checked_url(url)
        types = checked_types(event_types)
        if len(description) > MAX_DESCRIPTION:
            raise InvalidWebhook("description", f"At most {MAX_DESCRIPTION} characters.")
        if refused := self._receiver.refusal(url):
            raise ReceiverRefused(f"The shop will not call this URL: {refused}.")

        def make() -> Webhook:
            return Webhook(
                id=str(uuid.uuid4()),
                url=url,
                event_types=types,
                description=description.strip(),
                secret="whsec_" + secrets.token_urlsafe(32),
                active=True,
                from_position=self._store.head(),
                created_at=self._clock(),
            )

        return sql.insert_webhook(self._engine, make)

    def webhooks(self) -> list[Webhook]:
        return sql.active_webhooks(self._engine)

    def webhook(self, webhook_id: str) -> Webhook:
        found = sql.find_webhook(self._engine, webhook_id)
        if found is None:
            raise WebhookNotFound(webhook_id)
        return found

    def remove(self, webhook_id: str) -> None:
        """Stop a webhook: nothing more is sent to it; its delivery log stays."""
        if not sql.deactivate(self._engine, webhook_id):
            raise WebhookNotFound(webhook_id)

    def deliveries(
        self,
        webhook_id: str | None = None,
        *,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Deliveries newest first, of one webhook (it must exist) or of all; `status`
        "dead" lists the dead letters."""
        if webhook_id is not None and not sql.find_webhook(self._engine, webhook_id, removed=True):
            raise WebhookNotFound(webhook_id)
        if status is not None and status not in DELIVERY_STATES:
            raise InvalidWebhook("status", f"A delivery is one of {', '.join(DELIVERY_STATES)}.")
        return log.list_deliveries(
            self._engine, webhook_id=webhook_id, status=status, before=before, limit=limit
        )

    def delivery(self, delivery_id: int) -> Delivery:
        """One delivery with every attempt made."""
        found = log.find_delivery(self._engine, delivery_id)
        if found is None:
            raise DeliveryNotFound(delivery_id)
        return found

    def replay(self, delivery_id: int) -> Delivery:
        """Send a delivery again (a dead letter, or one delivered that the receiver lost),
        as soon as the job runs; one that is still pending is left as it is. A removed
        webhook's deliveries are not sent again (WebhookNotFound)."""
        delivery = self.delivery(delivery_id)
        self.webhook(delivery.webhook_id)
        sql.replay(self._engine, delivery_id, self._clock())
        return self.delivery(delivery_id)

    # The background job -------------------------------------------------------------------

    def run_once(self) -> None:
        """Fan the log out (a bounded number of steps), send what is due, forget old
        delivered deliveries."""
        for _ in range(FAN_OUT_STEPS):
            if not self.fan_out():
                break
        self.send_due()
        if time.monotonic() >= self._next_prune:
            sql.prune(self._engine, self._clock() - self._retention)
            self._next_prune = time.monotonic() + PRUNE_INTERVAL

    def fan_out(self) -> bool:
        """One step: deliveries for the next events of the log; True if more may follow."""
        read = 0

        def plan(hooks: list[Webhook], at: int) -> tuple[list[NewDelivery], int]:
            nonlocal read
            if not hooks:  # nothing to deliver; a webhook starts at its own from_position
                return [], at
            start = max(at, min(h.from_position for h in hooks))
            events = self._store.read_all(after=start, limit=FAN_OUT_BATCH)
            read = len(events)
            new = [
                NewDelivery(h.id, e.position, e.type, message_of(e).body.decode())
                for e in events
                for h in hooks
                if e.position > h.from_position and h.wants(e.type)
            ]
            return new, events[-1].position if events else start

        sql.fan_out(self._engine, plan, self._clock())
        return read == FAN_OUT_BATCH

    def send_due(self) -> int:
        """Send the deliveries due now, several at once; returns how many were tried."""
        batch = sql.due(self._engine, self._clock(), SEND_BATCH)
        if not batch:
            return 0
        with ThreadPoolExecutor(min(SENDERS, len(batch)), "webhook") as pool:
            sending = {pool.submit(self._send, delivery): delivery for delivery in batch}
            for done in as_completed(sending):  # each recorded as soon as it is known
                self._record(sending[done], done.result())
        return len(batch)

    def _record(self, delivery: Due, outcome: Outcome) -> None:
        now = self._clock()
        delay = None if outcome.delivered else retry_delay(delivery.attempts + 1, self._rng)
        retry_at = now + timedelta(seconds=delay) if delay is not None else None
        sql.record(self._engine, delivery, outcome, retry_at, now)

    def _send(self, delivery: Due) -> Outcome:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "polyshop-webhooks",
            SIGNATURE_HEADER: sign(delivery.secret, int(time.time()), body),
            "Polyshop-Event-Id": str(delivery.position),
            "Polyshop-Event-Type": delivery.event_type,
            "Polyshop-Delivery-Id": str(delivery.id),
        }
        return self._receiver.post(delivery.url, body, headers)
