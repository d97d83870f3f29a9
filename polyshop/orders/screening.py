"""Screening: answer a checkout that cannot succeed from one read, before any transaction.

A buyer who comes back with a key already answered, whose cart was ordered already, or who
wants more of a SKU than it has gets the same answer the transaction would give, from the
same rows, but read without a lock, a write or a place in the group commit: under a flash
sale the refused learn it at once and the winners do not queue behind them.

Reads are rounds: whoever arrives while a round runs joins the next one (the group commit's
own scheme, `runtime.group_commit`), so a thousand refusals cost a few reads, and each
buyer's read starts after the buyer arrived. A refusal is therefore what the database said
while the request was in flight, never a remembered "sold out": a restock or a cancellation
that committed before the buyer came is always seen. A buyer the read lets through still
goes through the transaction, which decides under its locks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from polyshop.catalog import pricing
from polyshop.catalog.images import MediaUrl
from polyshop.inventory import stock
from polyshop.inventory.stock import InsufficientStock, StockLevel
from polyshop.orders import sql_checkout
from polyshop.orders.checkout_request import CheckoutRequest, Placed, settled
from polyshop.runtime.group_commit import GroupCommit


@dataclass(frozen=True, slots=True)
class Refused:
    """The screening's final answer for a buyer: this exception, as the transaction's."""

    reason: Exception


#: A screening's verdict: the answer kept under the key, a refusal, or None (go on).
Verdict = Placed | Refused | None


class Screening:
    def __init__(
        self,
        primary: Engine,
        learn: Callable[[Iterable[StockLevel]], None],
        *,
        round_size: int,
        media_url: MediaUrl,
    ) -> None:
        """`primary`: the write database, never a replica (a replica may not have the
        restock yet). `learn`: told every level read (admission's board)."""
        self._primary = primary
        self._learn = learn
        self._media_url = media_url
        self._rounds: GroupCommit[CheckoutRequest, Verdict] = GroupCommit(
            self._round, max_batch=round_size
        )

    def screen(self, request: CheckoutRequest) -> Verdict:
        return self._rounds.submit(request)

    def _round(self, requests: Sequence[CheckoutRequest]) -> list[Verdict]:
        skus = sorted({sku for request in requests for sku in request.lines})
        with self._primary.connect() as connection:
            # Stock first: on PostgreSQL each statement sees what committed before it began,
            # so an order whose reservation this read sees is seen by the reads of keys and
            # carts after it. Read the other way round, a retry could find its own order's
            # units taken but not yet its answer, and be told "sold out".
            levels = {level.sku: level for level in stock.levels(connection, skus)}
            earlier = sql_checkout.earlier_answers(
                connection, [(request.scope, request.key) for request in requests]
            )
            ordered = sql_checkout.orders_of_carts(connection, [r.cart_id for r in requests])
            offers = pricing.offers(connection, skus, self._media_url)
        self._learn(levels.values())
        return [
            _verdict(request, settled(request, earlier, ordered, offers), levels)
            for request in requests
        ]


def _verdict(
    request: CheckoutRequest, answer: Placed | Exception | None, levels: dict[str, StockLevel]
) -> Verdict:
    """The transaction's answer where the read can give it: the key's, the cart's or the
    catalog's (`settled`), else the stock's refusal; None when only a transaction can say."""
    if isinstance(answer, Exception):
        return Refused(answer)
    if answer is not None:
        return answer
    short = sorted(
        sku
        for sku, quantity in request.lines.items()
        if sku not in levels or levels[sku].available < quantity
    )
    return Refused(InsufficientStock(short)) if short else None
