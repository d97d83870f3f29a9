"""Reading what the shop published to NATS JetStream, for the integration-events tests: a
stream's messages in order, and a NATS server of a test's own (`nats-server -js` on a spare
port and a store directory under the test's temporary folder)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import nats
import orjson
from nats.js.errors import NotFoundError

from tests.local_servers import free_port


@dataclass(frozen=True, slots=True)
class Stored:
    subject: str
    msg_id: str
    body: dict


def stored(url: str, stream: str) -> list[Stored]:
    """Every message of `stream`, in the order JetStream stored them ([] if no stream)."""

    async def read() -> list[Stored]:
        client = await nats.connect(url, connect_timeout=2)
        try:
            js = client.jetstream()
            try:
                info = await js.stream_info(stream)
            except NotFoundError:
                return []
            found: list[Stored] = []
            if not info.state.messages:
                return found
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                message = await js.get_msg(stream, seq)
                headers = message.headers or {}
                found.append(
                    Stored(message.subject, headers["Nats-Msg-Id"], orjson.loads(message.data))
                )
            return found
        finally:
            await client.close()

    return asyncio.run(read())


def count(url: str, stream: str) -> int:
    """How many messages `stream` holds (0 if there is no such stream)."""

    async def read() -> int:
        client = await nats.connect(url, connect_timeout=2)
        try:
            return int((await client.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await client.close()

    return asyncio.run(read())


def delete_stream(url: str, stream: str) -> None:
    async def delete() -> None:
        client = await nats.connect(url, connect_timeout=2)
        try:
            await client.jetstream().delete_stream(stream)
        except NotFoundError:
            pass
        finally:
            await client.close()

    asyncio.run(delete())


class NatsServer:
    """`nats-server -js` of one test's own, stoppable and restartable on its store."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._command = [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        self._command += ["-sd", str(directory / "store")]
        self._log = directory / "nats.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as sink:
            self._process = subprocess.Popen(self._command, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start: {self._log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None
