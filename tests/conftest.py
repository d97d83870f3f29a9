"""Fixtures shared by every test layer: isolated SQLite and PostgreSQL shops.

Each PostgreSQL-backed test gets a database of its own (created from
POLYSHOP_TEST_POSTGRES_URL and dropped afterwards) and a Redis key prefix of its own (under
POLYSHOP_TEST_REDIS_URL, deleted afterwards), and each run an S3 bucket of its own (under
POLYSHOP_TEST_S3_URL, signed with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, deleted at the
end), so runs never see each other's data.
Left unset, each names the server answering at its default local address, if one does
(`tests/local_servers.py`); a run that still skips them ends with one banner saying so.
In CI (CI=true) a missing URL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

from polyshop.bootstrap import build
from polyshop.config import Settings
from polyshop.container import Container
from tests import local_servers, redis_cluster

BACKENDS = ["sqlite", "postgres"]
_MISSING_SERVERS = pytest.StashKey[dict[str, str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_MISSING_SERVERS] = local_servers.adopt_local_servers()
    # Shops that seed the demo catalog (and the `polyshop` processes tests start) share one
    # cache of its drawn pictures: drawn once per run, not once per test.
    os.environ.setdefault(
        "POLYSHOP_DEMO_PICTURES_DIR", str(Path(tempfile.gettempdir()) / "polyshop-demo-pictures")
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> Iterator[None]:
    """One banner when server-mode tests were skipped, after the short summary (just above
    the final count, where it is read): per-test skip lines scroll by unread, and a third
    of the suite must not go untested without a word."""
    yield
    skipped = sum(
        1
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and "POLYSHOP_TEST_" in str(report.longrepr[2])
    )
    missing = config.stash.get(_MISSING_SERVERS, {})
    if skipped and missing:
        title, lines = local_servers.banner(skipped, missing)
        terminalreporter.write_sep("=", title, yellow=True, bold=True)
        for line in lines:
            terminalreporter.write_line(line, yellow=True)


def _server_url(variable: str) -> str:
    """The URL of a server the tests need: in CI it must be set (fail, never skip)."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} must be set in CI", pytrace=False)
        pytest.skip(f"{variable} is unset or empty")
    return url


def _admin_url() -> str | None:
    return _server_url("POLYSHOP_TEST_POSTGRES_URL")


def _redis_url() -> str:
    return _server_url("POLYSHOP_TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    return _redis_url()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"polyshop-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-node Redis Cluster started for this run (`tests/redis_cluster.py`): one node's
    URL; each test keeps to a `redis_prefix` of its own."""
    cluster = redis_cluster.start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield cluster.url
    cluster.stop()


@pytest.fixture
def nats_url() -> str:
    return _server_url("POLYSHOP_TEST_NATS_URL")


def _s3_url() -> str:
    return _server_url("POLYSHOP_TEST_S3_URL")


@pytest.fixture(scope="session")
def s3_bucket() -> Iterator[dict[str, str]]:
    """A bucket of this run's own under POLYSHOP_TEST_S3_URL, emptied and deleted at the end;
    yields the endpoint, bucket and keys an S3 client needs."""
    import boto3  # only the runs with S3 tests load it

    url = _s3_url()
    key_id, secret = local_servers.s3_keys()
    bucket = f"polyshop-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    client.create_bucket(Bucket=bucket)
    try:
        yield {"endpoint_url": url, "bucket": bucket, "key_id": key_id, "secret": secret}
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
        client.close()


@pytest.fixture(scope="session")
def _databases_to_drop() -> Iterator[list[str]]:
    """Test databases are dropped at the end of the session, once every container is closed
    (a test's containers may outlive its database fixture by a teardown step)."""
    names: list[str] = []
    yield names
    admin = os.environ.get("POLYSHOP_TEST_POSTGRES_URL")
    if admin and names:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(_databases_to_drop: list[str]) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    admin = _admin_url()
    assert admin is not None
    name = f"polyshop_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    _databases_to_drop.append(name)
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_for(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Settings]:
    """Settings for a backend; PostgreSQL ones point at a database of this test's own."""

    def make(backend: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "var",
            "projection_poll_interval": 0.2,
            "ops_token": "test-ops-token",
        }
        if backend == "postgres":  # server mode: PostgreSQL and Redis
            values["database_url"] = request.getfixturevalue("postgres_url")
            values["redis_url"] = request.getfixturevalue("redis_url")
            values["redis_prefix"] = request.getfixturevalue("redis_prefix")
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def container_for(settings_for: Callable[..., Settings]) -> Iterator[Callable[..., Container]]:
    """Build containers (closed after the test); several may share one database."""
    built: list[Container] = []
    cache: dict[str, Settings] = {}

    def make(backend: str, **overrides: object) -> Container:
        if backend not in cache or overrides:
            cache[backend] = settings_for(backend, **overrides)
        container = build(cache[backend])
        built.append(container)
        return container

    yield make
    for container in reversed(built):
        container.close()


@pytest.fixture
def container(backend: str, container_for: Callable[..., Container]) -> Container:
    return container_for(backend)
