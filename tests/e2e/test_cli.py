"""The operator commands, run as an operator would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import httpx2 as httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

import polyshop
from polyshop.accounts.domain import Role
from polyshop.analytics.ports import CoViews
from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.catalog.queries import Browse, list_products
from polyshop.cli import ROLES, main
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from tests.local_servers import free_port


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_unreachable_postgres_fails_fast_naming_the_url_without_its_password(tmp_path: Path):
    url = "postgresql://shop:s3cret@127.0.0.1:9/shop"

    result = run("serve", "--data-dir", str(tmp_path), env={"POLYSHOP_DATABASE_URL": url})

    assert result.exit_code == 2
    assert "cannot reach PostgreSQL at postgresql://shop:***@127.0.0.1:9/shop" in result.output
    assert "s3cret" not in result.output


def test_invalid_settings_name_the_variable(tmp_path: Path):
    result = CliRunner().invoke(
        main,
        ["db", "upgrade", "--data-dir", str(tmp_path)],
        env={"POLYSHOP_DATABASE_URL": "mysql://x"},
    )

    assert result.exit_code == 1
    assert "POLYSHOP_DATABASE_URL" in result.output


def test_a_schema_ahead_of_the_code_is_refused(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    with container.machinery.store.write_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    env = {"POLYSHOP_DATA_DIR": str(container.settings.data_dir)}
    if container.settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = container.settings.database_url

    result = run("db", "upgrade", env=env)

    assert result.exit_code == 2
    assert "'from_the_future'" in result.output
    assert "does not know" in result.output


def test_events_tail_and_projection_commands(backend: str, container_for: Callable[..., Container]):
    container = container_for(backend)
    for i in range(3):
        container.machinery.store.append("order-1", "order", [NewEvent("Step", {"i": i})])
    env = {"POLYSHOP_DATA_DIR": str(container.settings.data_dir)}
    if container.settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = container.settings.database_url

    tail = run("events", "tail", "--from", "1", env=env)
    before = json.loads(run("projections", "status", "--json", env=env).output)
    rebuilt = run("projections", "rebuild", "stream_summaries", env=env)
    after = json.loads(run("projections", "status", "--json", env=env).output)
    unknown = CliRunner().invoke(main, ["projections", "rebuild", "nope"], env=env)

    lines = [json.loads(line) for line in tail.output.splitlines()]
    assert [(e["position"], e["data"]["i"]) for e in lines] == [(2, 1), (3, 2)]
    assert (lines[0]["type"], lines[0]["stream_id"]) == ("Step", "order-1")
    assert (before[0]["name"], before[0]["state"], before[0]["lag_events"]) == (
        "stream_summaries",
        "catching_up",
        3,
    )
    assert rebuilt.exit_code == 0
    assert (after[0]["state"], after[0]["position"], after[0]["lag_events"]) == ("live", 3, 0)
    assert unknown.exit_code == 1
    assert "no projection 'nope'" in unknown.output


def serve_in_background(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "polyshop", "serve", *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_serve_runs_the_shop_and_stops_cleanly_on_sigterm(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "POLYSHOP_LOG_JSON": "true"}
    env.pop("POLYSHOP_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    process = serve_in_background(
        ["--port", str(port), "--data-dir", str(tmp_path / "var")], env, log
    )
    try:
        # The first start seeds the demo catalog (10,000 products with their pictures):
        # seconds on an idle machine, more beside the rest of the suite.
        deadline = time.monotonic() + 90
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert response.status_code == 200
        assert (tmp_path / "var" / "polyshop.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(20)
    # uvicorn re-raises the signal once it has shut down cleanly.
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete." in log.read_text()
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    requests = [r for r in records if r.get("event") == "request"]
    assert requests
    assert all(len(r["request_id"]) == 32 for r in requests)


def test_workers_serve_one_shop_and_evict_what_another_changed(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
):
    port = free_port()
    env = {
        **os.environ,
        "POLYSHOP_DATABASE_URL": postgres_url,
        "POLYSHOP_REDIS_URL": redis_url,
        "POLYSHOP_REDIS_PREFIX": redis_prefix,
        "POLYSHOP_OPS_TOKEN": "test-ops-token",
    }
    log = tmp_path / "serve.log"
    args = ["--workers", "2", "--no-seed", "--port", str(port), "--data-dir", str(tmp_path)]
    process = serve_in_background(args, env, log)
    base = f"http://127.0.0.1:{port}"
    ops = {"Authorization": "Bearer test-ops-token"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/readyz", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        workers = subprocess.run(
            ["ps", "--ppid", str(process.pid), "-o", "args="], capture_output=True, text=True
        ).stdout
        assert workers.count("multiprocessing.spawn") == 2, workers

        created = httpx.post(
            f"{base}/api/v1/products",
            headers=ops,
            json={
                "name": "Lamp",
                "description": "A desk lamp.",
                "brand": "Acme",
                "category": "home/lighting",
                "price": 30,
                "variants": [{"sku": "LAMP-1", "stock": 3}],
            },
        ).json()
        url = f"{base}/api/v1/products/{created['product_id']}"
        httpx.get(url, params={"min_position": created["position"]}).raise_for_status()
        for _ in range(40):  # each request on a new connection: both workers cache the page
            assert httpx.get(url).json()["price"] == 30

        changed = httpx.patch(url, headers=ops, json={"price": 35}).json()["position"]
        httpx.get(url, params={"min_position": changed}).raise_for_status()
        started, fresh = time.monotonic(), 0
        while fresh < 40:  # every worker, whichever made the change, evicts its copy
            fresh = fresh + 1 if httpx.get(url).json()["price"] == 35 else 0
            assert time.monotonic() - started < 5, "a worker kept serving the old page"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    assert code in (0, -signal.SIGTERM), log.read_text()


def test_several_workers_need_server_mode(tmp_path: Path):
    result = run("serve", "--workers", "2", "--data-dir", str(tmp_path), env={})

    assert result.exit_code == 2
    assert "--workers needs server mode" in result.output


def test_seed_makes_a_coherent_catalog_and_resumes(backend: str, container_for):
    container = container_for(backend)
    env = {"POLYSHOP_DATA_DIR": str(container.settings.data_dir)}
    if container.settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = container.settings.database_url

    first = run("seed", "--products", "30", "--batch", "7", env=env)
    second = run("seed", "--products", "45", env=env)
    again = run("seed", "--products", "45", env=env)

    assert "seeded 30 products" in first.output
    assert "seeded 15 products" in second.output
    assert "already holds 45" in again.output
    container.machinery.runner.catch_up("product_documents")
    listed, total = list_products(container.machinery.read_engine, Browse(), limit=100, offset=0)
    docs = [doc for _, doc in listed]
    assert total == 45
    assert len({d["id"] for d in docs}) == 45
    laptops = [d for d in docs if d["category"] == "electronics/laptops"]
    assert laptops
    assert all(d["brand"] in d["name"] for d in docs)
    assert all(1 <= len(d["variants"]) <= 6 for d in docs)
    # Each has a picture of its kind, stored where the shop serves it from.
    assert all(len(d["images"]) == 1 and d["images"][0]["alt"] == d["name"] for d in docs)
    assert len({d["images"][0]["url"] for d in docs}) > 10
    blobs = container.media.blobs
    for doc in docs[:5]:
        for rendition in doc["images"][0]["renditions"]:
            assert blobs.stat(rendition["url"].removeprefix("/media/")) is not None


def test_create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in(tmp_path: Path):
    data_dir = str(tmp_path / "shop")
    created = CliRunner().invoke(
        main,
        ["users", "create-admin", "Boss@Example.com", "--data-dir", data_dir],
        input="correct horse battery\n",
    )
    assert created.exit_code == 0, created.output
    assert "correct horse battery" not in created.output

    weak = CliRunner().invoke(
        main, ["users", "create-admin", "x@example.com", "--data-dir", data_dir], input="short\n"
    )
    taken = CliRunner().invoke(
        main,
        ["users", "create-admin", "boss@example.com", "--data-dir", data_dir],
        input="correct horse battery\n",
    )
    assert weak.exit_code == 1
    assert "password" in weak.output
    assert taken.exit_code == 1
    assert "set-role" in taken.output

    from fastapi.testclient import TestClient

    from polyshop.api.rest.app import create_app
    from polyshop.bootstrap import build
    from polyshop.config import Settings

    container = build(Settings(data_dir=Path(data_dir)))
    with TestClient(create_app(container, start_projections=False)) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"email": "boss@example.com", "password": "correct horse battery"},
        )
        assert login.status_code == 200
        assert login.json()["user"]["role"] == "admin"
        token = {"Authorization": f"Bearer {login.json()['token']}"}
        assert client.get("/api/v1/admin/projections", headers=token).status_code == 200


@pytest.mark.parametrize("stdin", ["empty", "closed", "blank line"])
def test_create_admin_with_no_password_says_so_and_changes_nothing(tmp_path: Path, stdin: str):
    data_dir = tmp_path / "shop"
    redirect = {"empty": "</dev/null", "closed": "<&-", "blank line": "<<< ''"}[stdin]
    command = f'"$POLYSHOP" users create-admin boss@example.com --data-dir "$DIR" {redirect}'

    result = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "POLYSHOP": str(POLYSHOP), "DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "no password given" in result.stderr
    assert "Traceback" not in result.stderr
    assert not data_dir.exists()  # refused before the shop was opened


def test_set_role_promotes_and_demotes(tmp_path: Path):
    data_dir = str(tmp_path / "shop")
    CliRunner().invoke(
        main,
        ["users", "create-admin", "ann@example.com", "--data-dir", data_dir],
        input="correct horse battery\n",
    )
    demoted = run("users", "set-role", "ann@example.com", "customer", "--data-dir", data_dir)
    missing = CliRunner().invoke(
        main, ["users", "set-role", "bob@example.com", "admin", "--data-dir", data_dir]
    )
    assert demoted.exit_code == 0
    assert "customer" in demoted.output
    assert missing.exit_code == 1


def test_recount_views_clears_the_viewed_together_graph(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    graph = container.recommender.graph
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    graph.add_co_views(CoViews([(a, b, 2), (b, a, 2)], {a: 2, b: 2}), until=datetime.now(UTC))
    assert graph.neighbors(a)["viewed"]
    env = {"POLYSHOP_DATA_DIR": str(container.settings.data_dir)}
    if container.settings.database_url:
        env["POLYSHOP_DATABASE_URL"] = container.settings.database_url

    result = run("recommendations", "recount-views", env=env)

    assert result.exit_code == 0, result.output
    assert graph.neighbors(a)["viewed"] == []
    assert graph.viewed_until() is None


#: The installed command, as an operator runs it.
POLYSHOP = Path(sys.executable).with_name("polyshop")
#: What help must not import: the drivers and frameworks the commands themselves need.
HEAVY = ("pydantic", "sqlalchemy", "fastapi", "psycopg", "redis", "tantivy", "duckdb")


def test_help_answers_at_once_without_importing_the_shop():
    started = time.monotonic()
    shown = subprocess.run([POLYSHOP, "--help"], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom polyshop.cli import main\ntry:\n    main(['serve', '--help'])\n"
            "except SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert shown.returncode == 0
    assert "serve" in shown.stdout
    assert elapsed < 1.5, f"polyshop --help took {elapsed:.2f} s"
    loaded = set(json.loads(imported.stdout.splitlines()[-1].replace("'", '"')))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert "polyshop.bootstrap" not in imported.stdout


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += _commands(command, (*path, name))
        else:
            paths.append((*path, name))
    return paths


@pytest.mark.parametrize("path", _commands(main), ids=" ".join)
def test_every_command_takes_dash_h(path: tuple[str, ...]):
    short = CliRunner().invoke(main, [*path, "-h"])
    long = CliRunner().invoke(main, [*path, "--help"])

    assert short.exit_code == 0, short.output
    assert short.output.startswith("Usage: ")
    assert short.output == long.output


def test_the_cli_offers_exactly_the_account_roles():
    assert set(ROLES) == {role.value for role in Role}


def test_one_version_everywhere(tmp_path: Path):
    with (Path(__file__).parents[2] / "pyproject.toml").open("rb") as file:
        declared = tomllib.load(file)["project"]["version"]
    shown = subprocess.run([POLYSHOP, "--version"], capture_output=True, text=True, timeout=60)
    container = build(Settings(data_dir=tmp_path / "var"))
    with TestClient(create_app(container, start_projections=False)) as client:
        documented = client.get("/openapi.json").json()["info"]["version"]

    assert shown.returncode == 0
    assert shown.stdout.strip() == f"polyshop {declared}"
    assert documented == declared
    assert polyshop.__version__ == declared
