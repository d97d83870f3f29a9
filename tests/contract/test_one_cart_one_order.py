"""A cart's contents become at most one order, whatever keys the requests carry.

Real concurrency on both databases (carts in the embedded store or Redis): the same cart is
checked out by 2, 10 and 50 requests at one barrier, each with a key of its own (a
double-click, a client that makes a new key per attempt). Exactly one order per cart; every
other request is told which order its cart became, or that the cart is now empty.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import pytest

from polyshop.cart.domain import CartLine
from polyshop.container import Container
from polyshop.orders.checkout import CartAlreadyOrdered, EmptyCart
from tests.contract.test_flash_sale import available, product
from tests.e2e.shoppers import ORDER_BODY as BODY


def fill_carts(container: Container, product_id: str, carts: int) -> list[str]:
    users = [str(uuid.uuid4()) for _ in range(carts)]
    for user in users:
        container.carts.store.add(
            f"user:{user}", CartLine("ONE-1", product_id, 1, 19900, time.time()), 99, 250
        )
    return users


def checkout_at_once(container: Container, users: list[str], per_cart: int) -> list[object]:
    """`per_cart` checkouts of each user's cart, every one with a new key, all at once."""
    barrier = threading.Barrier(len(users) * per_cart)
    answers: list[object] = []
    lock = threading.Lock()

    def checkout(user: str) -> None:
        barrier.wait()
        try:
            placed = container.checkout.place(
                user_id=user, cart_owner=f"user:{user}", key=uuid.uuid4().hex, body=BODY
            )
            answer: object = placed.response["order_id"]
        except (CartAlreadyOrdered, EmptyCart) as refusal:
            answer = refusal
        with lock:
            answers.append(answer)

    threads = [
        threading.Thread(target=checkout, args=(user,)) for user in users for _ in range(per_cart)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def placed_orders(container: Container) -> list[str]:
    return [
        e.data["order_id"]
        for e in container.machinery.store.read_all(0, 100_000)
        if e.type == "OrderPlaced"
    ]


@pytest.mark.parametrize(("carts", "per_cart"), [(6, 2), (6, 10), (2, 50)])
def test_simultaneous_checkouts_of_one_cart_with_new_keys_place_one_order(
    backend: str, container_for: Callable[..., Container], carts: int, per_cart: int
):
    container = container_for(backend)
    product_id = product(container, {"ONE-1": 1000})
    users = fill_carts(container, product_id, carts)

    answers = checkout_at_once(container, users, per_cart)

    orders = placed_orders(container)
    assert len(orders) == carts
    assert len(answers) == carts * per_cart
    kinds = Counter(type(answer).__name__ for answer in answers)
    assert kinds["str"] == carts
    assert kinds["str"] + kinds["CartAlreadyOrdered"] + kinds["EmptyCart"] == carts * per_cart
    # Every refusal that names an order names the one its cart became.
    named = {a.order_id for a in answers if isinstance(a, CartAlreadyOrdered)}
    assert named <= set(orders)
    assert available(container, "ONE-1") == 1000 - carts
    for user in users:
        assert container.carts.store.snapshot(f"user:{user}").lines == []


def test_a_cart_whose_order_was_not_taken_out_of_it_is_not_ordered_again(
    backend: str, container_for: Callable[..., Container]
):
    """The cart store failed after the commit (or the process died): the cart still holds
    what was ordered. Checking it out again names the order instead of buying it twice,
    and the log empties the cart."""
    container = container_for(backend)
    product_id = product(container, {"ONE-1": 10})
    (user,) = fill_carts(container, product_id, 1)
    store = container.carts.store
    consume = store.consume
    # The projections do not run here until asked (`catch_up` below).
    store.consume = lambda ordered: None  # type: ignore[method-assign]
    try:
        first = container.checkout.place(
            user_id=user, cart_owner=f"user:{user}", key="first", body=BODY
        )
        assert [line.sku for line in store.snapshot(f"user:{user}").lines] == ["ONE-1"]
        with pytest.raises(CartAlreadyOrdered) as again:
            container.checkout.place(
                user_id=user, cart_owner=f"user:{user}", key="second", body=BODY
            )
    finally:
        store.consume = consume  # type: ignore[method-assign]
    assert again.value.order_id == first.response["order_id"]
    assert placed_orders(container) == [first.response["order_id"]]
    assert available(container, "ONE-1") == 9

    container.machinery.runner.catch_up("ordered_carts")
    assert store.snapshot(f"user:{user}").lines == []
