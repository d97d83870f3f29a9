"""The servers the server-mode tests need, found where a developer most likely runs them.

`.ci/run` starts PostgreSQL, Redis, NATS (JetStream) and SeaweedFS (S3) and names them in
POLYSHOP_TEST_POSTGRES_URL, POLYSHOP_TEST_REDIS_URL, POLYSHOP_TEST_NATS_URL and
POLYSHOP_TEST_S3_URL (S3's keys in
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, defaulting to the pair below). A developer
running `make test` often has the same servers at the same default addresses without having
set anything: rather than skip a third of the suite
in silence, a variable left unset is pointed at its default address when a server answers
there at once. What still has no server is said once, in the run's summary, with how to
run it. Setting a variable to the empty string turns its tests off without a probe.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
import redis

POSTGRES_VARIABLE = "POLYSHOP_TEST_POSTGRES_URL"
REDIS_VARIABLE = "POLYSHOP_TEST_REDIS_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
NATS_VARIABLE = "POLYSHOP_TEST_NATS_URL"
NATS_DEFAULT = "nats://127.0.0.1:4222"
S3_VARIABLE = "POLYSHOP_TEST_S3_URL"
S3_DEFAULT = "http://127.0.0.1:8333"
#: The key pair `.ci/run` starts SeaweedFS with, used when AWS_* are unset.
S3_KEYS_DEFAULT = ("polyshop-test", "polyshop-test-secret")
#: A local server answers a connection in milliseconds; nothing listening is refused at once.
PROBE_SECONDS = 2.0


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_open(url: str, default_port: int) -> bool:
    """Cheap first look, so an absent server costs a refused connection, not a driver's
    own timeout."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=0.5
        ):
            return True
    except OSError:
        return False


def postgres_answers(url: str) -> bool:
    if not _port_open(url, 5432):
        return False
    try:
        with psycopg.connect(url, connect_timeout=int(PROBE_SECONDS)) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def redis_answers(url: str) -> bool:
    if not _port_open(url, 6379):
        return False
    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_SECONDS, socket_connect_timeout=PROBE_SECONDS
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def nats_answers(url: str) -> bool:
    """A NATS server greets every connection with an INFO line."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 4222), timeout=0.5
        ) as connection:
            connection.settimeout(PROBE_SECONDS)
            return connection.recv(5) == b"INFO "
    except OSError:
        return False


def s3_answers(url: str) -> bool:
    """Something speaking S3 answers: an unsigned request gets S3's XML (an error, as a
    server that enforces its keys refuses it)."""
    if not _port_open(url, 8333):
        return False
    try:
        with urllib.request.urlopen(url, timeout=PROBE_SECONDS) as answer:
            body = answer.read(512)
    except urllib.error.HTTPError as error:
        body = error.read(512)
    except OSError:
        return False
    return body.lstrip().startswith(b"<?xml")


def s3_keys(environ: MutableMapping[str, str] = os.environ) -> tuple[str, str]:
    """The key pair the tests sign S3 requests with."""
    return (
        environ.get("AWS_ACCESS_KEY_ID") or S3_KEYS_DEFAULT[0],
        environ.get("AWS_SECRET_ACCESS_KEY") or S3_KEYS_DEFAULT[1],
    )


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    variable: str
    default: str
    answers: Callable[[str], bool]


SERVERS = (
    Server("PostgreSQL", POSTGRES_VARIABLE, POSTGRES_DEFAULT, postgres_answers),
    Server("Redis", REDIS_VARIABLE, REDIS_DEFAULT, redis_answers),
    Server("S3", S3_VARIABLE, S3_DEFAULT, s3_answers),
    Server("NATS", NATS_VARIABLE, NATS_DEFAULT, nats_answers),
)


def adopt_local_servers(
    environ: MutableMapping[str, str] = os.environ, servers: Iterable[Server] = SERVERS
) -> dict[str, str]:
    """Point each unset variable at its server's default address when one answers there
    (in `environ`, so the processes tests start see it too). Returns, per server, why its
    tests would skip (absent when they run)."""
    missing: dict[str, str] = {}
    for server in servers:
        value = environ.get(server.variable)
        if value == "":
            missing[server.name] = f"{server.variable} is set empty (turned off)"
        elif value is None and server.answers(server.default):
            environ[server.variable] = server.default
        elif value is None:
            missing[server.name] = (
                f"{server.variable} is unset and nothing answered at {server.default}"
            )
    return missing


def banner(skipped: int, missing: dict[str, str]) -> tuple[str, list[str]]:
    """The one notice a run without the servers ends with: what was skipped, why, and how
    to run it."""
    tests = "test" if skipped == 1 else "tests"
    title = f"{skipped} server-mode {tests} SKIPPED: no {' and no '.join(missing)}"
    lines = [f"  {name}: {why}" for name, why in missing.items()]
    lines += [
        "  They cover PostgreSQL server mode, Redis sessions and carts, the S3 blob store and",
        "  integration events in NATS JetStream. To run",
        "  them, start the servers at their default addresses (found by themselves next run), or",
        "  name yours (S3 signed with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY):",
        f"    {POSTGRES_VARIABLE}=postgresql://USER@HOST:5432/postgres \\",
        f"    {REDIS_VARIABLE}=redis://HOST:6379/0 \\",
        f"    {S3_VARIABLE}=http://HOST:8333 \\",
        f"    {NATS_VARIABLE}=nats://HOST:4222 make test",
        "  (each test run makes databases, key prefixes, a bucket and streams of its own there;",
        "  .ci/run starts them all: .venv/bin/weed mini is SeaweedFS, nats-server runs with -js).",
    ]
    return title, lines
