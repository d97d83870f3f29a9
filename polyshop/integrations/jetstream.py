"""Integration events into NATS JetStream (server mode).

Each message goes to `<prefix>.<EventType>` in one stream of the shop's own, with the log
position as `Nats-Msg-Id`: JetStream stores a message once however often it is published
within the stream's duplicate window, which is what turns the outbox's at-least-once into
exactly-once storage across a publisher's crash and restart.

nats-py is asyncio; the projection runner is a thread. The adapter keeps one event loop in a
thread of its own, connects on first use (and again after the server was away), and blocks
the caller until every message of a batch is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from polyshop.integrations.messages import Message
from polyshop.integrations.ports import BrokerUnavailable

#: Seconds a batch may take before the broker counts as unavailable.
BATCH_TIMEOUT = 30.0
#: Seconds to reach the server.
CONNECT_TIMEOUT = 2.0


async def _quiet(error: Exception) -> None:
    """nats-py logs each failed attempt itself; the runner says once that it retries."""


class JetStreamBroker:
    def __init__(self, url: str, stream: str, subject_prefix: str, duplicate_window: float) -> None:
        self._url = url
        self._config = StreamConfig(
            name=stream, subjects=[f"{subject_prefix}.>"], duplicate_window=duplicate_window
        )
        self._prefix = subject_prefix
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="jetstream", daemon=True
        )
        self._thread.start()
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    def publish(self, messages: Sequence[Message]) -> None:
        future = asyncio.run_coroutine_threadsafe(self._publish(messages), self._loop)
        try:
            future.result(timeout=BATCH_TIMEOUT)
        except (TimeoutError, NatsError, OSError) as exc:
            future.cancel()
            raise BrokerUnavailable(f"nats: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, NatsError, OSError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    async def _publish(self, messages: Sequence[Message]) -> None:
        """One at a time, each acknowledged before the next: a failure stops the batch where
        it is, so the batch published again continues the stream in log order."""
        js = await self._stream()
        for m in messages:
            await js.publish(f"{self._prefix}.{m.type}", m.body, headers={"Nats-Msg-Id": m.id})

    async def _shutdown(self) -> None:
        """Cancel what a timed-out batch left running, then close the connection."""
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.close()

    async def _stream(self) -> JetStreamContext:
        """The JetStream context, connecting and creating the stream on first use."""
        if self._js is not None and self._client is not None and self._client.is_connected:
            return self._js
        if self._client is not None:
            await self._client.close()
        # nats-py retries a refused first connection for long: bounded here, as the
        # runner retries the whole batch itself.
        self._client = await asyncio.wait_for(
            nats.connect(
                self._url,
                connect_timeout=CONNECT_TIMEOUT,
                allow_reconnect=False,
                error_cb=_quiet,
            ),
            timeout=CONNECT_TIMEOUT,
        )
        js = self._client.jetstream()
        try:
            await js.stream_info(str(self._config.name))
        except NotFoundError:
            await js.add_stream(self._config)
        self._js = js
        return js
