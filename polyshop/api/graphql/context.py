"""Who is asking, resolved once per operation (afresh for each ask on a WebSocket, whose
one context serves every operation of the connection), and the operation's DataLoaders.

Services do blocking I/O (SQLite, PostgreSQL, Redis), so resolvers never call them on the
event loop: `blocking(fn, ...)` runs one call on the worker threads, and a DataLoader's
batch is one such call for every key a list asked for.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from anyio import to_thread
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext

from polyshop.accounts.domain import User, Viewer
from polyshop.accounts.ports import Session
from polyshop.api.graphql.shown import Shown
from polyshop.api.rest.dependencies import reach, read_waits
from polyshop.container import Container

T = TypeVar("T")


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a worker thread: a service call from a resolver."""
    return await to_thread.run_sync(partial(fn, *args, **kwargs))


class GraphQLContext(BaseContext):
    """One operation's context: the container, the presented token and what it resolves to.

    `session`, `viewer` and `user` are looked up at most once per operation, however many
    fields ask. `loaders` holds the operation's DataLoaders by name (made on first use, so a
    batch never outlives the operation that filled it). `shown` records the product
    documents and views the catalog resolvers fetched, for the response cache."""

    def __init__(self, container: Container, token: str | None, shown: Shown | None = None) -> None:
        super().__init__()
        self.container = container
        self.token = token
        self.shown = shown if shown is not None else Shown()
        self.loaders: dict[str, Any] = {}
        self._session: Session | None = None
        self._user: User | None = None
        #: The token's lookup, shared by every field that asks while it runs (fields and,
        #: over WebSocket, the connection's operations resolve concurrently).
        self._lookup: asyncio.Future[None] | None = None

    def loader(self, name: str, make: Callable[[], T]) -> T:
        """The operation's loader called `name`, made by `make()` the first time."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = make()
        return found

    async def read_at(self, read_model: str, min_position: int | None) -> None:
        """Read your own writes: wait until `read_model` has applied the log up to
        `min_position` (a command's `position`); bounded, refused as REST refuses it."""
        if min_position is not None and min_position > 0:
            request = self.request
            assert request is not None
            await reach(read_waits(request, self.container), read_model, min_position)  # type: ignore[arg-type]

    def is_operator(self) -> bool:
        expected = self.container.ops_token
        return (
            self.token is not None
            and expected is not None
            and hmac.compare_digest(self.token.encode(), expected.encode())
        )

    async def session(self) -> Session | None:
        """The token's live session (guest or user), or None."""
        await self._look_up()
        return self._session

    async def user(self) -> User | None:
        """The signed-in user, or None (guests, the operator, no token)."""
        await self._look_up()
        return self._user

    async def viewer(self) -> Viewer | None:
        """Who asks for orders or admin work: the operator, a signed-in user, or None."""
        if self.is_operator():
            return Viewer(None, is_admin=True)
        user = await self.user()
        return Viewer(user.id, user.is_admin) if user is not None else None

    async def _look_up(self) -> None:
        """Look the token up once per HTTP operation. A WebSocket connection's context
        lives as long as the connection, so there each ask after a finished lookup looks
        again: a subscription started after sign-out finds no session (asks meanwhile
        share the lookup in flight)."""
        stale = isinstance(self.request, WebSocket) and self._lookup is not None
        if self._lookup is None or (stale and self._lookup.done()):
            self._lookup = asyncio.ensure_future(self._look_up_once())
        await asyncio.shield(self._lookup)

    async def _look_up_once(self) -> None:
        if self.token is None or self.is_operator():
            return
        self._session, self._user = await blocking(self._resolve, self.token)

    def _resolve(self, token: str) -> tuple[Session | None, User | None]:
        accounts = self.container.accounts
        session = accounts.session_of(token)
        user_id = session.user_id if session is not None else None
        return session, accounts.get_user(user_id) if user_id is not None else None
