"""The entry point of worker processes: `polyshop serve --workers N`, or any process manager
pointed at `polyshop.asgi:app_from_environment` as an app factory (uvicorn `--factory`).

Each worker builds its own container from POLYSHOP_* variables: its own connection pools,
caches and cache invalidator, which follows the shared log, so a change made through one
worker evicts the pages every worker holds. Projections and periodic jobs take leases, so
one worker runs each and the others stand by to take over. Migrating the schema is not a
worker's job: it runs once, before the workers start.
"""

from __future__ import annotations

from fastapi import FastAPI

from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.config import Settings
from polyshop.runtime.observability import configure_logging


def app_from_environment() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(build(settings, migrate=False))
