"""`polyshop serve`, except that the process kills itself with SIGKILL the moment anything
tries to take an order out of its cart: after checkout's commit, before the cart changes.

Only the fault tests run this; it patches the cart stores in this process alone.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence

from polyshop.cart.ports import OrderedCart
from polyshop.cart.redis_store import RedisCartStore
from polyshop.cart.sql_store import SqlCartStore
from polyshop.cli import main


def _die(_store: object, ordered: Sequence[OrderedCart]) -> None:
    if ordered:
        os.kill(os.getpid(), signal.SIGKILL)


RedisCartStore.consume = _die  # type: ignore[method-assign]
SqlCartStore.consume = _die  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
