"""Brings the write database to the code's schema, or refuses when the database is ahead."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from polyshop.eventstore.errors import SchemaMismatch

_HERE = Path(__file__).parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str | None = None) -> str:
    """Migrate to head (or to `target`, an older revision, as upgrade tests start from);
    raise SchemaMismatch if the database has a revision this code lacks."""
    config = _config()
    script = ScriptDirectory.from_config(config)
    head = target or script.get_current_head()
    assert head is not None  # the migrations ship with the package: there is always a head
    current = current_revision(engine)
    if not _known(script, current):
        raise SchemaMismatch(
            f"the database is at schema revision {current!r}, which this version of polyshop "
            f"does not know (its newest is {head!r}); run a newer polyshop or restore a backup"
        )
    if current != head:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, head)
    return head


def _known(script: ScriptDirectory, revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False
