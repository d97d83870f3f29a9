"""Integration events into NATS JetStream: the chosen event types of the log, each stored
once in log order with its position as the message id, from a batch replayed after a crash,
through a broker that was away, and from the shop itself as it runs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from polyshop.catalog.service import NewProduct, NewVariant
from polyshop.container import Container
from polyshop.eventstore.events import EventMetadata, RecordedEvent
from polyshop.eventstore.projections.ports import ReadModelUnavailable
from polyshop.integrations.jetstream import JetStreamBroker
from polyshop.integrations.messages import event_types
from polyshop.integrations.outbox import IntegrationEventsProjection
from tests.integration_streams import NatsServer, delete_stream, stored


@pytest.fixture
def stream(nats_url: str) -> Iterator[tuple[str, str]]:
    """A stream name and subject prefix of this test's own, deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    yield f"TEST_{tag}", f"test.{tag}"
    delete_stream(nats_url, f"TEST_{tag}")


def recorded(position: int, type_: str) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        stream_id=f"order-{position}",
        stream_type="order",
        version=1,
        type=type_,
        schema_version=1,
        data={"n": position, "name": "Crème brûlée"},
        metadata=EventMetadata(correlation_id=f"req-{position}"),
        recorded_at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC),
    )


def test_the_chosen_types_are_stored_once_even_when_a_batch_is_replayed(
    nats_url: str, stream: tuple[str, str]
):
    name, prefix = stream
    broker = JetStreamBroker(nats_url, name, prefix, duplicate_window=60)
    publisher = IntegrationEventsProjection(broker, event_types("OrderPlaced, OrderPaid"))
    types = ["OrderPlaced", "ProductCreated", "OrderPaid", "OrderPlaced", "CartMerged"]
    batch = [recorded(p, t) for p, t in enumerate(types, start=11)]
    try:
        publisher.apply(batch, 1, None)
        publisher.apply(batch[2:], 1, None)  # the crash-replayed tail of the batch
        publisher.apply(batch, 1, None)
    finally:
        broker.close()

    found = stored(nats_url, name)
    assert [(m.subject, m.msg_id) for m in found] == [
        (f"{prefix}.OrderPlaced", "11"),
        (f"{prefix}.OrderPaid", "13"),
        (f"{prefix}.OrderPlaced", "14"),
    ]
    assert found[0].body == {
        "id": "11",
        "type": "OrderPlaced",
        "position": 11,
        "stream_id": "order-11",
        "stream_type": "order",
        "version": 1,
        "recorded_at": "2026-12-07T12:00:00+00:00",
        "correlation_id": "req-11",
        "data": {"n": 11, "name": "Crème brûlée"},
    }


def test_a_broker_that_is_away_is_retried_and_missed_nothing(tmp_path: Path):
    server = NatsServer(tmp_path)
    broker = JetStreamBroker(server.url, "AWAY", "away", duplicate_window=60)
    publisher = IntegrationEventsProjection(broker, None)
    try:
        started = time.monotonic()
        with pytest.raises(ReadModelUnavailable):  # never started: the runner retries later
            publisher.apply([recorded(1, "OrderPlaced")], 1, None)
        assert time.monotonic() - started < 5
        server.start()
        publisher.apply([recorded(1, "OrderPlaced"), recorded(2, "OrderPaid")], 1, None)
        server.kill()  # kill -9 with the stream on disk
        with pytest.raises(ReadModelUnavailable):
            publisher.apply([recorded(3, "OrderShipped")], 1, None)
        server.start()  # the same store: the stream and its duplicate window survive
        publisher.apply([recorded(2, "OrderPaid"), recorded(3, "OrderShipped")], 1, None)
        assert [m.msg_id for m in stored(server.url, "AWAY")] == ["1", "2", "3"]
    finally:
        broker.close()
        server.kill()


def test_the_shop_publishes_what_happens_in_it(
    container_for: Callable[..., Container], nats_url: str, stream: tuple[str, str]
):
    name, prefix = stream
    shop = container_for(
        "postgres",
        nats_url=nats_url,
        nats_stream=name,
        nats_subject_prefix=prefix,
        nats_event_types="ProductCreated",
    )
    runner = shop.machinery.runner
    runner.start()
    created = [
        shop.catalog.create_product(
            NewProduct(
                name=f"Lamp {i}",
                description="Bright.",
                brand="Acme",
                category="home/lamps",
                price=Decimal(30 + i),
                variants=[NewVariant(sku=f"LAMP-{i}", stock=5)],
            )
        )
        for i in range(3)
    ]
    deadline = time.monotonic() + 20
    while len(found := stored(nats_url, name)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.body["data"]["name"] for m in found] == ["Lamp 0", "Lamp 1", "Lamp 2"]
    assert {m.subject for m in found} == {f"{prefix}.ProductCreated"}
    ids = [int(m.msg_id) for m in found]
    assert ids == sorted(ids) == [m.body["position"] for m in found]
    # Each product's creation is its first event; the command answers its last position.
    assert all(i <= c.position for i, c in zip(ids, created, strict=True))
    (status,) = [s for s in runner.status() if s.name == "integration_events"]
    assert status.state == "live"
