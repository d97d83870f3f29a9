"""Live order updates: one follower of the log per process, fanning each order's new events
out to whoever watches that order.

A page watching an order (a GraphQL subscription) must see "paid" and "shipped" as they
happen, but a thousand open pages must not mean a thousand database polls: one thread
follows the log (woken by the store's notifier, so PostgreSQL's NOTIFY in server mode, the
in-process signal in embedded mode) and hands each order event to the watches of its
stream. Each watch folds the events into its own copy of the order, so every update says
the status after that event. The thread starts with the first watch and stops with the shop.

A watch never misses or repeats an event: it is registered before its order is loaded,
events the follower brings meanwhile are held, and on loading those at or below the loaded
version are dropped (the load already has them). After the follower loses the store, it
reloads every watched order from its stream before following on, for the same reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.ports import EventNotifier, EventStore
from polyshop.orders import domain, lifecycle
from polyshop.orders.domain import Order
from polyshop.orders.errors import OrderNotFound

log = structlog.get_logger(__name__)

#: Watches one viewer (a user, or the operator token: `Viewer.actor`) may hold open in a
#: process at once. Without it one client opening connection after connection could take
#: the whole process's `limit` and leave no subscription for anyone else; a page watches
#: one order, a busy admin screen a few dozen at most.
MAX_WATCHES_PER_VIEWER = 32


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One event of an order, with the order's status after it."""

    order_id: str
    status: str
    event_type: str
    version: int
    occurred_at: datetime
    position: int


class TooManyWatches(Exception):
    """The process watches as many orders as its settings allow (`limit`), or the viewer
    as many as one viewer may (`per_viewer`)."""

    def __init__(self, limit: int, *, per_viewer: bool = False) -> None:
        self.limit = limit
        self.per_viewer = per_viewer
        who = "one user may hold" if per_viewer else "this server follows"
        super().__init__(f"{who} at most {limit} order subscriptions at once")


class Watch:
    """One watcher of one order; `close()` ends it (idempotent)."""

    def __init__(
        self,
        hub: OrderUpdates,
        order_id: str,
        deliver: Callable[[OrderUpdate], None],
        holder: str | None = None,
    ) -> None:
        self.order_id = order_id
        #: Who the watch counts against (`MAX_WATCHES_PER_VIEWER`); None counts against no one.
        self.holder = holder
        self.stream_id = domain.stream_id(order_id)
        self._hub = hub
        self._deliver = deliver
        #: The order as of the last event delivered (None before its first).
        self.order: Order | None = None
        #: While the order is being loaded, the follower's events wait in `_held`.
        self._loading = True
        self._held: list[RecordedEvent] = []

    def close(self) -> None:
        self._hub._forget(self)

    # Called with the hub's lock held, so one watch's updates go out in version order.

    def _take(self, event: RecordedEvent) -> None:
        if self._loading:
            self._held.append(event)
        elif self.order is None or event.version > self.order.version:
            self.order = domain.fold(
                self.order, event.type, event.data, event.version, event.recorded_at
            )
            self._send(self.order, event)

    def _loaded(self, base: Order | None, backlog: list[RecordedEvent]) -> None:
        """The order as the client knows it, then the events it asked to catch up on,
        then those held while loading (each once: an event at or below the version
        reached is one already sent or known)."""
        self.order, self._loading = base, False
        held, self._held = self._held, []
        for event in (*backlog, *held):
            self._take(event)

    def _send(self, order: Order, event: RecordedEvent) -> None:
        update = OrderUpdate(
            self.order_id,
            order.status.value,
            event.type,
            event.version,
            event.recorded_at,
            event.position,
        )
        try:
            self._deliver(update)
        except Exception as exc:  # a watcher's failure must not stop the others
            log.warning("order update not delivered", order_id=self.order_id, error=str(exc))


class OrderUpdates:
    """The process's watches by order stream, and the one follower that feeds them."""

    def __init__(self, store: EventStore, notifier: EventNotifier, *, limit: int) -> None:
        self._store = store
        self._notifier = notifier
        self._limit = limit
        self._lock = threading.Lock()
        self._starting = threading.Lock()  # held to start or stop the follower
        self._watches: dict[str, set[Watch]] = {}
        self._count = 0
        self._held: dict[str, int] = {}  # open watches by holder
        self._follower: LogFollower | None = None
        self._token = notifier.token()

    @property
    def watching(self) -> int:
        """How many watches are open in this process."""
        return self._count

    def watch(
        self,
        order_id: str,
        deliver: Callable[[OrderUpdate], None],
        *,
        may_see: Callable[[Order], bool],
        after_version: int | None = None,
        holder: str | None = None,
    ) -> Watch:
        """Call `deliver` (on the follower's thread) with every new event of the order,
        and first with those after `after_version` when given (a client catching up).
        An order that does not exist, or that `may_see` refuses, is `OrderNotFound`; past
        the process's limit, or `holder`'s (`MAX_WATCHES_PER_VIEWER`), `TooManyWatches`."""
        self._follow()
        watch = Watch(self, order_id, deliver, holder)
        self._register(watch)
        try:
            events = lifecycle.history(self._store, order_id)
            order = Order.replay(events)
            if order is None or not may_see(order):
                raise OrderNotFound(order_id)
        except BaseException:
            watch.close()
            raise
        base: Order | None = order
        backlog: list[RecordedEvent] = []
        if after_version is not None:
            base = Order.replay([e for e in events if e.version <= after_version])
            backlog = [e for e in events if e.version > after_version]
        with self._lock:
            watch._loaded(base, backlog)
        return watch

    def stop(self) -> None:
        """Stop following (the shop closes); open watches hear nothing more."""
        with self._starting:
            follower, self._follower = self._follower, None
            if follower is not None:
                follower.stop()

    def _follow(self) -> None:
        """Start the follower if it is not running: before any watch registers, so every
        watch's load comes after the position the follower starts from."""
        with self._starting:
            if self._follower is None:
                follower = self._make_follower()
                follower.start()
                self._follower = follower

    def _register(self, watch: Watch) -> None:
        with self._lock:
            if self._count >= self._limit:
                raise TooManyWatches(self._limit)
            holder = watch.holder
            if holder is not None:
                if self._held.get(holder, 0) >= MAX_WATCHES_PER_VIEWER:
                    raise TooManyWatches(MAX_WATCHES_PER_VIEWER, per_viewer=True)
                self._held[holder] = self._held.get(holder, 0) + 1
            self._watches.setdefault(watch.stream_id, set()).add(watch)
            self._count += 1

    def _forget(self, watch: Watch) -> None:
        with self._lock:
            watches = self._watches.get(watch.stream_id)
            if watches is None or watch not in watches:
                return
            watches.discard(watch)
            self._count -= 1
            if watch.holder is not None:
                left = self._held.pop(watch.holder) - 1
                if left:
                    self._held[watch.holder] = left
            if not watches:
                del self._watches[watch.stream_id]

    def _make_follower(self) -> LogFollower:
        return LogFollower(
            "order-updates",
            self._store,
            domain.EVENT_TYPES,
            self._fan_out,
            start=self._resume,
            limit=self._store.head,
            wait=self._wait,
        )

    def _wait(self, timeout: float) -> None:
        self._token = self._notifier.wait(self._token, timeout)

    def _fan_out(self, batch: list[RecordedEvent]) -> None:
        with self._lock:
            for event in batch:
                for watch in tuple(self._watches.get(event.stream_id, ())):
                    watch._take(event)

    def _resume(self) -> int:
        """Where to follow from: the head now. On a restart after an error, every watched
        order is read again after reading the head, so what the follower skipped reaches
        its watches (anything past the head, the follower brings)."""
        head = self._store.head()
        with self._lock:
            loaded = [w for ws in self._watches.values() for w in ws if not w._loading]
        for watch in loaded:
            for event in lifecycle.history(self._store, watch.order_id):
                with self._lock:
                    watch._take(event)
        return head
