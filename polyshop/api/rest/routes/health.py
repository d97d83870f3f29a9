"""Liveness, readiness and metrics, at the root where orchestrators expect them."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from polyshop.api.rest.dependencies import ContainerDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
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
    return JSONResponse(
        {"status": state, "checks": {**results, **degradable}},
        status_code=200 if ready else 503,
    )


def _run(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    return results


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    payload = await run_in_threadpool(generate_latest, request.app.state.metrics_registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
