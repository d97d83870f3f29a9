"""Liveness, readiness and metrics, at the root where orchestrators expect them."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from polyshop.api.rest.dependencies import ContainerDep
from polyshop.api.rest.problems import Problem

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


class ReplicaOut(BaseModel):
    name: str
    up: bool
    lag_bytes: int | None = Field(description="WAL the replica has still to replay.")
    lag_seconds: float | None = Field(
        description="0 when it has replayed everything, else seconds since the last "
        "transaction it replayed."
    )
    error: str | None


class ReadyOut(BaseModel):
    status: str = Field(
        description="`ready`, `degraded` (sessions, carts, analytics, media or a read replica "
        "down) or `unavailable`."
    )
    checks: dict[str, str] = Field(description="Each store: `ok` or `error: <kind>`.")
    replicas: list[ReplicaOut] = Field(
        default_factory=list, description="Each read replica, as last probed."
    )


@router.get(
    "/readyz",
    responses={
        200: {"model": ReadyOut},
        503: {"model": ReadyOut, "description": "A store the shop cannot serve without is down."},
    },
)
def readyz(container: ContainerDep) -> JSONResponse:
    """Readiness: every store the shop cannot serve without answers.

    Sessions and carts are reported but do not make the shop unready: without them it still
    browses and searches, so taking it out of the load balancer would only make things worse.
    """
    results = _run(container.readiness_checks)
    degradable = _run(container.degradable_checks)
    ready = all(v == "ok" for v in results.values())
    state = "unavailable" if not ready else "ready"
    if ready and any(v != "ok" for v in degradable.values()):
        state = "degraded"
    replicas = [
        ReplicaOut(
            name=r.name, up=r.up, lag_bytes=r.lag_bytes, lag_seconds=r.lag_seconds, error=r.error
        )
        for r in container.event_log.list_replicas()
    ]
    body = ReadyOut(status=state, checks={**results, **degradable}, replicas=replicas)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _run(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    return results


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "The Prometheus text exposition format."},
        401: {
            "description": "POLYSHOP_METRICS_REQUIRE_TOKEN is set and the request "
            "did not present the operator token as a bearer"
        },
    },
)
async def metrics(request: Request, container: ContainerDep) -> Response:
    """Prometheus metrics of this process. With POLYSHOP_METRICS_REQUIRE_TOKEN, only for
    `Authorization: Bearer <POLYSHOP_OPS_TOKEN>` (a scraper's bearer token)."""
    if container.settings.metrics_require_token:
        _require_ops_bearer(request, container.ops_token)
    payload = await run_in_threadpool(generate_latest, request.app.state.metrics_registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)


def _require_ops_bearer(request: Request, expected: str | None) -> None:
    """The operator token as a bearer, compared in constant time; anything else is 401
    (the metrics name every route and store: not for anyone who asks)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if (
        expected is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        raise Problem(
            401,
            "The metrics need the operator token: Authorization: Bearer <POLYSHOP_OPS_TOKEN>.",
            slug="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
