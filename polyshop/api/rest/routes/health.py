"""Liveness, readiness and metrics, at the root where orchestrators expect them."""

from __future__ import annotations

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
    """Readiness: every configured store answers."""
    results: dict[str, str] = {}
    for name, check in container.readiness_checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    payload = await run_in_threadpool(generate_latest, request.app.state.metrics_registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
