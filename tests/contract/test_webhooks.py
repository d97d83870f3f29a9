"""Webhooks on both databases with a real receiver on loopback: the chosen events of the
log delivered once each and signed, retries with backoff until a dead letter, a replay, a
removed webhook's pending deliveries cancelled, and two fan-outs at once recording nothing
twice."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random

import orjson
import pytest

from polyshop.catalog.service import NewProduct, NewVariant
from polyshop.container import Container
from polyshop.integrations.http_receiver import HttpReceiver
from polyshop.integrations.service import Webhooks
from polyshop.integrations.webhook_rules import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    WebhookNotFound,
    verify,
)
from tests.webhook_receiver import receiver


def add_product(shop: Container, n: int) -> int:
    return shop.catalog.create_product(
        NewProduct(
            name=f"Lamp {n}",
            description="Bright.",
            brand="Acme",
            category="home/lamps",
            price=Decimal(30),
            variants=[NewVariant(sku=f"LAMP-{n}", stock=5)],
        )
    ).position


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def webhooks_of(shop: Container, clock: Callable[[], datetime] | None = None) -> Webhooks:
    store = shop.machinery.store
    return Webhooks(
        store,
        store.write_engine,
        HttpReceiver(allow_private=True),
        **({"clock": clock} if clock else {}),
        rng=Random(1),
    )


def test_the_chosen_events_are_delivered_once_each_and_signed(
    backend: str, container_for: Callable[..., Container]
):
    shop = container_for(backend)
    hooks = webhooks_of(shop)
    add_product(shop, 0)  # before the webhook: never delivered
    with receiver() as site:
        hook = hooks.register(site.url, ["ProductCreated"], "ERP")
        positions = [add_product(shop, n) for n in (1, 2)]
        hooks.run_once()
        hooks.run_once()  # nothing new: nothing sent again

        assert len(site.calls) == 2
        # Sent several at once, so in any order: receivers order by `position`.
        calls = sorted(site.calls, key=lambda call: orjson.loads(call.body)["position"])
        bodies = [orjson.loads(call.body) for call in calls]
        assert [b["data"]["name"] for b in bodies] == ["Lamp 1", "Lamp 2"]
        assert {b["type"] for b in bodies} == {"ProductCreated"}
        for call, body in zip(calls, bodies, strict=True):
            assert verify(hook.secret, call.headers[SIGNATURE_HEADER], call.body, time.time())
            assert call.headers["Polyshop-Event-Id"] == str(body["position"])
            assert call.headers["Polyshop-Event-Type"] == "ProductCreated"
            assert call.headers["Content-Type"] == "application/json"
        assert all(b["position"] < p for b, p in zip(bodies, positions, strict=True))
    sent = hooks.deliveries(hook.id)
    assert [(d.status, d.attempts, d.last_status) for d in sent] == [("delivered", 1, 200)] * 2


def test_a_failing_receiver_is_retried_with_backoff_until_dead_then_replayed(
    backend: str, container_for: Callable[..., Container]
):
    shop = container_for(backend)
    clock = Clock()
    hooks = webhooks_of(shop, clock)
    with receiver() as site:
        site.status = 503
        hook = hooks.register(site.url, [])
        add_product(shop, 1)
        hooks.run_once()
        waits: dict[int, list[float]] = {}
        while pending := hooks.deliveries(hook.id, status="pending"):
            for d in pending:
                waits.setdefault(d.id, []).append((d.next_attempt_at - clock.now).total_seconds())
            sent = len(site.calls)
            hooks.run_once()  # none is due yet: nothing is sent
            assert len(site.calls) == sent
            clock.now = max(d.next_attempt_at for d in pending) + timedelta(seconds=1)
            hooks.run_once()
        dead = hooks.deliveries(status="dead")
        assert len(site.calls) == MAX_ATTEMPTS * 2  # each event: ProductCreated and its stock
        assert len(dead) == 2
        assert {d.attempts for d in dead} == {MAX_ATTEMPTS}
        for each in waits.values():  # after each failed try, a longer wait
            assert 0 < each[0] < each[1] < each[2] < each[3]
            assert max(each) <= 3600

        site.status = 200
        replayed = hooks.replay(dead[0].id)
        assert (replayed.status, replayed.attempts) == ("pending", 0)
        hooks.run_once()
    done = hooks.delivery(dead[0].id)
    assert done.status == "delivered"
    assert [a.status_code for a in done.log] == [503] * MAX_ATTEMPTS + [200]
    assert [d.id for d in hooks.deliveries(status="dead")] == [dead[1].id]


def test_a_removed_webhook_gets_nothing_more(backend: str, container_for: Callable[..., Container]):
    shop = container_for(backend)
    hooks = webhooks_of(shop)
    with receiver() as site:
        site.status = 500
        hook = hooks.register(site.url, ["ProductCreated"])
        add_product(shop, 1)
        hooks.run_once()
        hooks.remove(hook.id)
        add_product(shop, 2)
        hooks.run_once()
        (cancelled,) = hooks.deliveries(hook.id)  # its delivery log stays readable
        with pytest.raises(WebhookNotFound):  # and is never sent again
            hooks.replay(cancelled.id)
        hooks.run_once()
        assert len(site.calls) == 1
    assert cancelled.status == "cancelled"
    assert hooks.webhooks() == []


def test_a_receiver_that_does_not_speak_http_is_a_failed_attempt(
    backend: str, container_for: Callable[..., Container]
):
    shop = container_for(backend)
    hooks = webhooks_of(shop)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        stop = threading.Event()

        def garbage() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    peer, _ = listener.accept()
                except TimeoutError:
                    continue
                with peer:
                    peer.recv(65536)
                    peer.sendall(b"SSH-2.0-not-http\r\n")

        server = threading.Thread(target=garbage)
        server.start()
        try:
            hook = hooks.register(f"http://127.0.0.1:{listener.getsockname()[1]}/x", [])
            add_product(shop, 1)
            hooks.run_once()
        finally:
            stop.set()
            server.join()
    sent = hooks.deliveries(hook.id)
    assert len(sent) == 2
    assert {(d.status, d.attempts, d.last_status) for d in sent} == {("pending", 1, None)}
    assert all("BadStatusLine" in (d.last_error or "") for d in sent)


def test_fan_outs_running_at_once_record_each_delivery_once(
    backend: str, container_for: Callable[..., Container]
):
    shop = container_for(backend)
    hooks = webhooks_of(shop)
    with receiver() as site:
        first = hooks.register(site.url, ["ProductCreated"])
        second = hooks.register(site.url, [])
        for n in range(30):
            add_product(shop, n)
        barrier = threading.Barrier(4)

        def fan_out() -> None:
            barrier.wait()
            while hooks.fan_out():
                pass

        threads = [threading.Thread(target=fan_out) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    created = hooks.deliveries(first.id, limit=100)
    every = hooks.deliveries(second.id, limit=100)
    assert len(created) == len({d.position for d in created}) == 30
    assert len(every) == len({d.position for d in every}) >= 60
