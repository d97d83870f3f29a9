"""The Order aggregate: transitions, payments, and the fold the read model shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from polyshop.eventstore.events import NewEvent
from polyshop.orders import domain
from polyshop.orders.domain import InvalidTransition, Order, OrderItem, Status, fold

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def placed() -> Order:
    event = domain.placed_event(
        "o1",
        "u1",
        [
            OrderItem("A", "p1", "Lamp", 2, Decimal("19.99")),
            OrderItem("B", "p2", "Bulb", 1, Decimal("0.02")),
        ],
        "USD",
        {"name": "Ann"},
        "pm_1",
        T0 + timedelta(minutes=15),
    )
    return fold(None, event.type, dict(event.data), 1, T0)


def apply(order: Order, events: list[NewEvent]) -> Order:
    for event in events:
        order = fold(order, event.type, dict(event.data), order.version + 1, T0)
    return order


def test_a_placed_order_totals_its_snapshot_exactly() -> None:
    order = placed()
    assert order.status is Status.PENDING_PAYMENT
    assert order.total == Decimal("40.00")


def test_paying_the_right_amount_pays_once() -> None:
    order = apply(placed(), placed().pay("pay_1", Decimal("40.00")))
    assert order.status is Status.PAID
    assert order.pay("pay_1", Decimal("40.00")) == []  # the same delivery again
    (second,) = order.pay("pay_2", Decimal("40.00"))
    assert second.type == domain.PAYMENT_REFUND_DUE
    order = apply(order, [second])
    assert order.status is Status.PAID
    assert order.refund_due("pay_2")


def test_a_payment_after_cancellation_is_recorded_for_refund() -> None:
    order = apply(placed(), placed().cancel("hold expired"))
    order = apply(order, order.pay("late", Decimal("40.00")))
    assert order.status is Status.CANCELLED
    assert order.refund_due("late")


def test_a_wrong_amount_is_recorded_as_a_failed_payment() -> None:
    order = placed()
    (event,) = order.pay("pay_1", Decimal("4.00"))
    assert event.type == domain.PAYMENT_FAILED
    order = apply(order, [event])
    assert order.status is Status.PENDING_PAYMENT
    assert order.payments["pay_1"]["status"] == "failed"


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], lambda o: o.ship("T")),
        ([], lambda o: o.deliver()),
        ([], lambda o: o.refund("r")),
        (["pay", "ship"], lambda o: o.cancel("r")),
        (["pay", "ship", "deliver"], lambda o: o.cancel("r")),
        (["cancel"], lambda o: o.cancel("again")),
        (["cancel"], lambda o: o.refund("never paid")),
    ],
)
def test_invalid_transitions_are_refused(path: list[str], action) -> None:
    order = placed()
    steps = {
        "pay": lambda o: o.pay("p", Decimal("40.00")),
        "ship": lambda o: o.ship("T"),
        "deliver": lambda o: o.deliver(),
        "cancel": lambda o: o.cancel("r"),
    }
    for step in path:
        order = apply(order, steps[step](order))
    with pytest.raises(InvalidTransition):
        action(order)


def test_cancelling_releases_unpaid_and_restocks_paid_stock() -> None:
    assert placed().cancel("r")[0].data["stock"] == "release"
    paid = apply(placed(), placed().pay("p", Decimal("40.00")))
    assert paid.cancel("r")[0].data["stock"] == "restock"


def test_cancelling_a_paid_order_records_its_payment_as_due_for_refund() -> None:
    paid = apply(placed(), placed().pay("pay_1", Decimal("40.00")))
    cancelled, due = paid.cancel("changed my mind")
    assert (cancelled.type, due.type) == (domain.ORDER_CANCELLED, domain.PAYMENT_REFUND_DUE)
    assert due.data["payment_id"] == "pay_1"
    assert due.data["amount"] == "40.00"
    order = apply(paid, [cancelled, due])
    assert order.status is Status.CANCELLED
    assert order.refund_due("pay_1")
    assert domain.document(order)["payments"] == [
        {
            "payment_id": "pay_1",
            "status": "refund_due",
            "amount": "40.00",
            "reason": "the order was cancelled after it was paid",
        }
    ]


def test_cancelling_an_unpaid_order_owes_nothing() -> None:
    (only,) = placed().cancel("r")
    assert only.type == domain.ORDER_CANCELLED


def test_refunding_settles_the_payment_due_but_not_a_second_payment() -> None:
    order = apply(placed(), placed().pay("pay_1", Decimal("40.00")))
    order = apply(order, order.pay("pay_2", Decimal("40.00")))  # paid twice: refund due
    order = apply(order, order.cancel("r"))
    assert order.refund_due("pay_1")
    assert order.refund_due("pay_2")
    (refunded,) = order.refund("returned the money")
    assert refunded.data["amount"] == "40.00"
    order = apply(order, [refunded])
    assert order.payments["pay_1"]["status"] == "refunded"
    assert order.refund_due("pay_2")  # the refund returned one payment, not both


def test_the_read_model_folds_a_refund_after_a_cancellation_as_a_replay_does() -> None:
    order = apply(placed(), placed().pay("pay_1", Decimal("40.00")))
    order = apply(order, order.cancel("r"))
    from_row = domain.from_document(domain.document(order))
    assert from_row.paid_amount == Decimal("40.00")
    (refunded,) = from_row.refund("r")
    assert domain.document(apply(from_row, [refunded])) == domain.document(apply(order, [refunded]))


def test_the_document_round_trips_through_the_read_model() -> None:
    order = apply(placed(), placed().pay("p", Decimal("40.00")))
    order = apply(order, order.ship("1Z"))
    again = domain.from_document(domain.document(order))
    assert domain.document(again) == domain.document(order)
    assert [entry["status"] for entry in order.timeline] == ["pending_payment", "paid", "shipped"]


#: An order walked to each status (cancelled and refunded both ways), and the actions an
#: admin may take on it then, written out by hand: the page offers exactly these.
STATES = {
    "pending_payment": ([], ["cancel"]),
    "paid": (["pay"], ["ship", "cancel", "refund"]),
    "shipped": (["pay", "ship"], ["deliver", "refund"]),
    "delivered": (["pay", "ship", "deliver"], ["refund"]),
    "cancelled_unpaid": (["cancel"], []),
    "cancelled_after_paying": (["pay", "cancel"], ["refund"]),
    "refunded_before_shipping": (["pay", "refund"], []),
    "refunded_after_shipping": (["pay", "ship", "refund"], []),
}
STEPS = {
    "pay": lambda o: o.pay("p", Decimal("40.00")),
    "ship": lambda o: o.ship("T"),
    "deliver": lambda o: o.deliver(),
    "cancel": lambda o: o.cancel("r"),
    "refund": lambda o: o.refund("r"),
}


def walked(path: list[str]) -> Order:
    order = placed()
    for step in path:
        order = apply(order, STEPS[step](order))
    return order


def test_every_status_is_among_the_states_whose_actions_are_checked() -> None:
    reached = {walked(path).status for path, _ in STATES.values()}
    assert reached == set(Status)


@pytest.mark.parametrize("state", STATES)
def test_an_order_offers_only_the_actions_its_state_allows(state: str) -> None:
    path, expected = STATES[state]
    order = walked(path)
    assert order.possible_actions() == expected
    from_row = domain.from_document(domain.document(order))  # as the read model has it
    assert from_row.possible_actions() == expected


@pytest.mark.parametrize("state", STATES)
def test_what_is_offered_is_exactly_what_the_decisions_accept(state: str) -> None:
    order = walked(STATES[state][0])
    for action in ("ship", "deliver", "cancel", "refund"):
        if action in order.possible_actions():
            assert STEPS[action](order), action  # accepted: at least one event
        else:
            with pytest.raises(InvalidTransition):
                STEPS[action](order)
