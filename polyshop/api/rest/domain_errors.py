"""Domain exceptions as problem documents, in one place rather than a try/except per route."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from polyshop.api.rest.problems import problem_response
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.ttlstore.errors import StoreUnavailable

#: Seconds a client should wait after the database dropped its request.
DATABASE_RETRY_AFTER = 1


def _handle(exc: Exception) -> JSONResponse:
    match exc:
        case ConcurrencyConflict():
            return problem_response(
                409, "The order changed meanwhile; retry.", slug="concurrent-change"
            )
        case DataError():
            # The last line of defence: a value the database refuses (its transaction has
            # rolled back, so nothing was written). Inputs are validated before this.
            return problem_response(
                422,
                "The request holds a value the database cannot store.",
                slug="unstorable-value",
            )
        case OperationalError() | PoolTimeout():
            # The database dropped the connection (a restart, a failover, a terminated
            # session) or the pool had none free in time: nothing half written (the
            # transaction rolled back), and the pool reconnects by itself.
            return problem_response(
                503,
                "The database is unavailable for a moment; nothing was changed. Retry shortly.",
                slug="database-unavailable",
                headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
            )
        case StoreUnavailable():
            return problem_response(
                503,
                "Sessions and carts are unavailable for a moment; browsing still works. "
                "Retry shortly.",
                slug="session-store-unavailable",
                headers={"Retry-After": str(StoreUnavailable.retry_after_seconds)},
            )
    raise exc


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    return _handle(exc)


def install(app: FastAPI) -> None:
    for exception in (
        ConcurrencyConflict,
        DataError,
        OperationalError,
        PoolTimeout,
        StoreUnavailable,
    ):
        app.add_exception_handler(exception, _on_domain_error)
