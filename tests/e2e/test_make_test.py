"""What `make test` does about the servers the server-mode tests need: it finds them at their
default local addresses, says once and clearly what it skipped without them, and in CI
treats a missing one as a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import local_servers
from tests.local_servers import POSTGRES_VARIABLE, REDIS_VARIABLE, Server

ROOT = Path(__file__).parents[2]
#: One test run on both backends: the SQLite half needs no server, the other half does.
BOTH_BACKENDS = "tests/e2e/test_metrics_access.py::test_metrics_are_open_by_default"


def servers(answering: set[str], probed: list[str] | None = None) -> list[Server]:
    def probe(name: str):
        def answers(url: str) -> bool:
            if probed is not None:
                probed.append(name)
            return name in answering

        return answers

    return [
        Server("PostgreSQL", POSTGRES_VARIABLE, "postgresql://pg", probe("PostgreSQL")),
        Server("Redis", REDIS_VARIABLE, "redis://r", probe("Redis")),
    ]


def test_an_unset_url_names_the_server_that_answers_at_its_default_address():
    environ: dict[str, str] = {}

    missing = local_servers.adopt_local_servers(environ, servers({"PostgreSQL"}))

    assert environ == {POSTGRES_VARIABLE: "postgresql://pg"}
    assert list(missing) == ["Redis"]
    assert "nothing answered at redis://r" in missing["Redis"]


def test_a_url_that_is_set_is_kept_and_an_empty_one_turns_its_tests_off():
    environ = {POSTGRES_VARIABLE: "postgresql://mine", REDIS_VARIABLE: ""}
    probed: list[str] = []

    missing = local_servers.adopt_local_servers(environ, servers({"Redis"}, probed))

    assert environ == {POSTGRES_VARIABLE: "postgresql://mine", REDIS_VARIABLE: ""}
    assert probed == []
    assert list(missing) == ["Redis"]
    assert "set empty" in missing["Redis"]


def run_pytest(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | environ
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", BOTH_BACKENDS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.slow
def test_a_run_without_the_servers_ends_with_one_banner_saying_what_was_skipped():
    result = run_pytest(**{POSTGRES_VARIABLE: "", REDIS_VARIABLE: ""})

    assert result.returncode == 0, result.stdout
    assert result.stdout.count("SKIPPED: no PostgreSQL and no Redis") == 1
    assert "1 server-mode test SKIPPED" in result.stdout
    assert f"{POSTGRES_VARIABLE}=postgresql://" in result.stdout
    last_lines = result.stdout.strip().splitlines()[-8:]
    assert any("make test" in line for line in last_lines)  # at the end, where it is read


@pytest.mark.slow
def test_in_ci_a_missing_server_fails_the_run():
    result = run_pytest(CI="true", **{POSTGRES_VARIABLE: "", REDIS_VARIABLE: ""})

    assert result.returncode == 1
    assert f"{POSTGRES_VARIABLE} must be set in CI" in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    not local_servers.postgres_answers(local_servers.POSTGRES_DEFAULT)
    or not local_servers.redis_answers(local_servers.REDIS_DEFAULT),
    reason="needs PostgreSQL and Redis at their default local addresses",
)
def test_servers_at_the_default_addresses_are_used_without_a_word():
    unset = {k: v for k, v in os.environ.items() if k not in (POSTGRES_VARIABLE, REDIS_VARIABLE)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", BOTH_BACKENDS],
        cwd=ROOT,
        env=unset,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout
    assert "SKIPPED" not in result.stdout
