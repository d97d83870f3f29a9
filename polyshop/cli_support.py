"""What every `polyshop` command shares: its settings (the environment and `--data-dir`), the
shop built from them, and plain JSON output.

Like `cli`, this imports only click and the standard library at module level; the shop is
imported by the call that builds it, so help and typos never pay for it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from polyshop.config import Settings
    from polyshop.container import Container
    from polyshop.demo.images import DemoPictures
    from polyshop.eventstore.projections.ports import ProjectionStatus
    from polyshop.eventstore.replicas import ReplicaState

F = TypeVar("F", bound=Callable[..., Any])


def load_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    """The settings `serve` would read; a bad value is one line naming its variable, not a
    traceback."""
    from pydantic import ValidationError

    from polyshop.config import Settings

    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"POLYSHOP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from exc


def build_container(settings: Settings, *, migrate: bool = True) -> Container:
    """The shop those settings name; a store that cannot be reached or a schema this code
    does not know ends the command with status 2 and the reason."""
    from polyshop.bootstrap import StartupError, build
    from polyshop.eventstore.errors import SchemaMismatch

    try:
        return build(settings, migrate=migrate)
    except (StartupError, SchemaMismatch) as exc:
        click.echo(f"polyshop: {exc}", err=True)
        sys.exit(2)


def configure_logs(settings: Settings) -> None:
    """Structured logs as the settings ask (imported here: structlog is not needed for help)."""
    from polyshop.runtime.observability import configure_logging

    configure_logging(settings.log_level, settings.log_json)


def data_dir_option(command: F) -> F:
    """`--data-dir`, the same on every command, so each acts on the shop `serve` runs."""

    @click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Embedded mode's data directory (default ./var, or POLYSHOP_DATA_DIR).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def vars_of(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict (`dataclasses.asdict` would copy nested values)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


def jsonable(value: Any) -> Any:
    """Through JSON and back: times, decimals and ids become the strings `--json` prints."""
    return json.loads(json.dumps(value, default=str))


def demo_pictures_for(container: Container) -> DemoPictures:
    """The demo catalog's pictures, drawn on the first run (said, since it takes a while)
    and cached, with every file put in the shop's blob store."""
    from polyshop.demo.images import demo_pictures
    from polyshop.demo.seeding import store_pictures

    settings = container.settings
    cache = settings.demo_pictures_dir or settings.data_dir / "demo-pictures"
    if not (cache / "manifest.json").exists():
        click.echo("drawing the demo catalog's pictures (once; cached after)", err=True)
    pictures = demo_pictures(cache)
    store_pictures(container.media.blobs, pictures)
    return pictures


def print_status(statuses: list[ProjectionStatus], replicas: list[ReplicaState]) -> None:
    """`projections status` as a table: each read model, then each read replica."""
    click.echo(
        f"{'NAME':<24}{'GEN':>4}  {'STATE':<12}{'POSITION':>10}{'HEAD':>10}{'LAG':>9}{'LAG s':>9}"
    )
    for s in statuses:
        click.echo(
            f"{s.name:<24}{s.generation:>4}  {s.state:<12}{s.position:>10}{s.head:>10}"
            f"{s.lag_events:>9}{s.lag_seconds:>9.2f}"
        )
        if s.error:
            click.echo(f"    failed at position {s.failed_position}: {s.error}")
        if s.rebuilding_generation is not None:
            click.echo(
                f"    rebuilding generation {s.rebuilding_generation} "
                f"at position {s.rebuilding_position}"
            )
    for r in replicas:
        if r.up:
            click.echo(f"replica {r.name}: up, {r.lag_bytes} bytes, {r.lag_seconds:.2f} s behind")
        else:
            click.echo(f"replica {r.name}: DOWN ({r.error})")
