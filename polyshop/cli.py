"""`polyshop ...`: run the shop and operate it. Every command acts on the shop its settings
(and `--data-dir`) name, exactly as `serve` would.

Only click and the standard library are imported here: each command imports the shop when
it runs, so `polyshop --help` (or a typo) answers at once, not after seconds of importing
every driver.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TypedDict

import click

from polyshop.cli_support import (
    build_container,
    configure_logs,
    data_dir_option,
    demo_pictures_for,
    jsonable,
    load_settings,
    print_status,
    vars_of,
)

#: The account roles (`accounts.domain.Role`), spelled out so help needs no import.
ROLES = ("customer", "admin")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polyshop", prog_name="polyshop", message="%(prog)s %(version)s")
def main() -> None:
    """polyshop: an event-sourced shop. Settings come from POLYSHOP_* variables."""


DEMO_PRODUCTS = 10_000


class _Served(TypedDict):
    """The `uvicorn.run` options one process and many workers share, typed for its keywords."""

    host: str
    port: int
    log_config: None
    access_log: bool
    server_header: bool


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--no-seed", is_flag=True, help="Do not seed the demo catalog into an empty shop.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (server mode; embedded mode serves from one).",
)
@data_dir_option
def serve(
    host: str | None, port: int | None, no_seed: bool, workers: int, data_dir: Path | None
) -> None:
    """Run the shop: migrate, seed an empty catalog, start the projections, serve HTTP."""
    import uvicorn

    from polyshop.api.rest.app import create_app
    from polyshop.config import Mode
    from polyshop.demo import seeding

    settings = load_settings(data_dir, host=host, port=port)
    configure_logs(settings)
    if workers > 1 and settings.mode is not Mode.SERVER:
        raise click.UsageError(
            "--workers needs server mode (POLYSHOP_DATABASE_URL): in embedded mode one "
            "process writes the SQLite file and the search index"
        )
    container = build_container(settings)
    if not no_seed and seeding.catalog_is_empty(container.machinery.store.read_engine):
        pictures = demo_pictures_for(container)
        click.echo(f"seeding a demo catalog of {DEMO_PRODUCTS:,} products", err=True)
        seeding.seed(container.machinery.store, DEMO_PRODUCTS, batch=1000, pictures=pictures)
    click.echo(
        f"polyshop ({settings.mode.value} mode) on http://{settings.host}:{settings.port}"
        + (f", data in {settings.data_dir.resolve()}" if settings.mode.value == "embedded" else "")
        + (f", {workers} workers" if workers > 1 else ""),
        err=True,
    )
    served: _Served = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
    }
    if workers == 1:
        uvicorn.run(create_app(container), **served)
        return
    # Migrated and seeded: each worker builds its own container from the same settings.
    container.close()
    os.environ["POLYSHOP_DATA_DIR"] = str(settings.data_dir)
    uvicorn.run("polyshop.asgi:app_from_environment", factory=True, workers=workers, **served)


@main.group()
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@data_dir_option
def projections_status(as_json: bool, data_dir: Path | None) -> None:
    """Each projection's position, lag and state."""
    container = build_container(load_settings(data_dir))
    try:
        statuses = container.machinery.runner.status()
        replicas = container.event_log.list_replicas(probe=True)
    finally:
        container.close()
    if as_json:
        click.echo(json.dumps([jsonable(vars_of(s)) for s in statuses], indent=2))
        return
    print_status(statuses, replicas)


@projections.command("run")
@data_dir_option
def projections_run(data_dir: Path | None) -> None:
    """Run the projections without serving HTTP (server mode scales them apart from the API).

    Any number of these may run: each projection is active in one of them at a time.
    """
    settings = load_settings(data_dir)
    configure_logs(settings)
    container = build_container(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    container.machinery.runner.start()
    click.echo(f"running projections: {', '.join(container.machinery.runner.names)}", err=True)
    stop.wait()
    container.close()


@projections.command("rebuild")
@click.argument("name")
@click.option("--quiet", is_flag=True, help="Say nothing unless it fails (for a parent process).")
@data_dir_option
def projections_rebuild(name: str, quiet: bool, data_dir: Path | None) -> None:
    """Rebuild NAME from position 0 beside the serving copy, then swap it in."""
    settings = load_settings(data_dir)
    configure_logs(settings)
    container = build_container(settings)
    try:
        if name not in container.machinery.runner.names:
            raise click.ClickException(
                f"no projection {name!r}; known: {', '.join(container.machinery.runner.names)}"
            )
        started = time.monotonic()
        generation = container.machinery.runner.rebuild(
            name,
            on_progress=None
            if quiet
            else lambda p: click.echo(f"\r  at position {p}", nl=False, err=True),
        )
        if not quiet:
            click.echo(
                f"\n{name}: generation {generation} built and active "
                f"in {time.monotonic() - started:.1f} s",
                err=True,
            )
    finally:
        container.close()


@main.group()
def recommendations() -> None:
    """The product graph behind "you might also like"."""


@recommendations.command("recount-views")
@data_dir_option
def recommendations_recount_views(data_dir: Path | None) -> None:
    """Forget the viewed-together graph; the shop's co-view job counts every visit again
    from the analytics store, 48 windows of 30 minutes a run. (Bought-together is a
    projection: `projections rebuild bought_together`.)"""
    container = build_container(load_settings(data_dir))
    try:
        container.recommender.graph.reset_viewed()
    finally:
        container.close()
    click.echo("viewed-together graph cleared; the co-view job recounts it from the first view")


@main.command("seed")
@click.option(
    "--products",
    "total",
    type=click.IntRange(1, 10_000_000),
    required=True,
    help="How many demo products the catalog should hold.",
)
@click.option("--batch", type=click.IntRange(1, 20_000), default=2000, show_default=True)
@data_dir_option
def seed_command(total: int, batch: int, data_dir: Path | None) -> None:
    """Seed a realistic demo catalog up to N products; resumes where a run stopped."""
    from polyshop.demo import seeding

    settings = load_settings(data_dir)
    configure_logs(settings)
    container = build_container(settings)
    try:
        start = seeding.seeded_count(container.machinery.store.read_engine)
        if start >= total:
            click.echo(f"the catalog already holds {start:,} demo products", err=True)
            return
        pictures = demo_pictures_for(container)
        started = time.monotonic()
        created = seeding.seed(
            container.machinery.store,
            total,
            start=start,
            batch=batch,
            pictures=pictures,
            on_progress=lambda n: click.echo(f"\r  {n:,} / {total:,}", nl=False, err=True),
        )
        elapsed = time.monotonic() - started
        click.echo(
            f"\nseeded {created:,} products in {elapsed:.1f} s "
            f"({created / elapsed:,.0f}/s); projections follow",
            err=True,
        )
    finally:
        container.close()


@main.group()
def events() -> None:
    """Read the event log."""


@events.command("tail")
@click.option(
    "--from",
    "from_position",
    type=int,
    default=None,
    help="Start after this position (default: the last 10 events).",
)
@click.option("--follow/--no-follow", default=False, help="Keep printing new events.")
@data_dir_option
def events_tail(from_position: int | None, follow: bool, data_dir: Path | None) -> None:
    """Print events as JSON lines, in position order."""
    container = build_container(load_settings(data_dir))
    store = container.machinery.store
    try:
        position = from_position if from_position is not None else max(0, store.head() - 10)
        while True:
            token = store.notifier.token()
            batch = store.read_all(after=position, limit=1000)
            for event in batch:
                click.echo(
                    json.dumps(
                        jsonable(
                            {
                                "position": event.position,
                                "stream_id": event.stream_id,
                                "stream_type": event.stream_type,
                                "version": event.version,
                                "type": event.type,
                                "schema_version": event.schema_version,
                                "data": event.data,
                                "metadata": event.metadata.to_dict(),
                                "recorded_at": event.recorded_at,
                            }
                        )
                    )
                )
                position = event.position
            if not batch:
                if not follow:
                    break
                store.notifier.wait(token, 0.5 if store.is_settled else 0.01)
    except KeyboardInterrupt:
        pass
    finally:
        container.close()


@main.group()
def db() -> None:
    """The write database's schema."""


@db.command("upgrade")
@data_dir_option
def db_upgrade(data_dir: Path | None) -> None:
    """Migrate the database to this version's schema (serve does this on start)."""
    container = build_container(load_settings(data_dir))
    container.close()
    click.echo("schema is current")


@main.group()
def users() -> None:
    """Accounts: create admins, change roles."""


NOTHING_ON_STDIN = (
    "no password given: type it at a terminal, or pipe it on stdin, "
    "e.g. printf '%s\\n' \"$PASSWORD\" | polyshop users create-admin EMAIL"
)


def _read_password() -> str:
    """From stdin: typed twice at a terminal, or the first line of a pipe. Nothing there
    (stdin empty, closed or at its end) is said as such, before any account rule is."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise click.ClickException(NOTHING_ON_STDIN)
    if stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return str(password)
    password = stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException(NOTHING_ON_STDIN)
    return password


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@data_dir_option
def users_create_admin(email: str, name: str, data_dir: Path | None) -> None:
    """Create an admin account; the password is read from stdin (never an argument)."""
    from polyshop.accounts import commands as account_commands
    from polyshop.accounts.domain import AccountError, EmailTaken, Role

    password = _read_password()
    container = build_container(load_settings(data_dir))
    try:
        written = account_commands.register(
            container.machinery.store, email, password, name, Role.ADMIN
        )
    except AccountError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from exc
    except EmailTaken as exc:
        raise click.ClickException(
            f"{exc}; to make it an admin: polyshop users set-role {email} admin"
        ) from exc
    finally:
        container.close()
    click.echo(f"admin {written.user.email} created (id {written.user.id})")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@data_dir_option
def users_set_role(email: str, role: str, data_dir: Path | None) -> None:
    """Give an existing account the customer or admin role."""
    from polyshop.accounts import commands as account_commands
    from polyshop.accounts.domain import AccountError, Role

    container = build_container(load_settings(data_dir))
    try:
        written = account_commands.set_role(container.machinery.store, email, Role(role))
    except (AccountError, account_commands.UserNotFound) as exc:
        raise click.ClickException(f"no account {email}") from exc
    finally:
        container.close()
    click.echo(f"{written.user.email} is now {written.user.role.value}")


@main.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL): `polyshop graphql-schema > schema.graphql`."""
    from polyshop.api.graphql.schema import schema

    click.echo(schema.as_str())
