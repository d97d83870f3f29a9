"""What the orders service refuses, as its own error types: each face translates them (a
problem document, a GraphQL error, a page), none decides them."""

from __future__ import annotations

from decimal import Decimal


class EmptyCart(Exception):
    def __init__(self) -> None:
        super().__init__("the cart is empty")


class NotOrderable(Exception):
    """Some cart lines are no longer sold (or no longer exist); nothing was written."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        super().__init__(f"no longer sold: {', '.join(skus)}")


class TooLarge(Exception):
    def __init__(self, total: Decimal) -> None:
        self.total = total
        super().__init__(f"an order of {total} is more than one order may be")


class InvalidAddress(Exception):
    """The shipping address breaks the address book's rules (`field` names which)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class KeyRequired(Exception):
    """A checkout without an idempotency key: a retry of it could order twice."""

    def __init__(self) -> None:
        super().__init__("a checkout needs an idempotency key")


class KeyReused(Exception):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used with a different request body")


class CartAlreadyOrdered(Exception):
    """This cart, as it stands, was placed as an order already; nothing was written."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"this cart was already placed as order {order_id}")


class OutOfStock(Exception):
    """Some lines are short of stock; nothing was reserved for any line."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        super().__init__(f"not enough stock for: {', '.join(skus)}")


class OrderNotFound(Exception):
    """No such order, or one the caller may not see: the two are never told apart, so order
    ids cannot be probed."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id}")


class OthersOrders(Exception):
    """A customer asked for another user's orders: only admins list those."""

    def __init__(self) -> None:
        super().__init__("only admins may list another user's orders")


class OrderChanged(Exception):
    """The order kept changing under the command (every retry met a newer version)."""

    def __init__(self) -> None:
        super().__init__("the order changed meanwhile")


class RefundDue(Exception):
    """A payment the order can no longer take (paid already, cancelled): recorded as due
    for refund, and refused to the provider."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"the order is {status} and cannot take this payment")


class InvalidEmail(Exception):
    """A guest checkout without a valid email address: the order could never be found."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
