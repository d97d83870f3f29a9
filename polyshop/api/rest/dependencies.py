"""Typed dependency aliases, so routes declare what they need in their signatures."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from polyshop.api.rest.problems import Problem
from polyshop.container import Container
from polyshop.eventstore.projections.runner import ProjectionRunner


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]

_bearer = HTTPBearer(auto_error=False)


def require_operator(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Operator endpoints: a bearer token equal to the configured ops token."""
    if credentials is None:
        raise Problem(
            401,
            "This endpoint needs an operator bearer token.",
            slug="unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = container.ops_token
    if expected is None or not hmac.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise Problem(403, "The token does not grant operator access.", slug="forbidden")


OperatorDep = Annotated[None, Depends(require_operator)]


def wait_for_read_model(
    runner: ProjectionRunner, projection: str, min_position: int | None, timeout: float
) -> None:
    """Honour `min_position`: answer only once the read model has caught up, else 504."""
    if min_position is None or min_position <= 0:
        return
    if not runner.wait_for(projection, min_position, timeout):
        raise Problem(
            504,
            f"The {projection} read model has not reached position {min_position} "
            f"within {timeout:g} s; retry shortly.",
            slug="read-model-behind",
            title="Read model behind",
            min_position=min_position,
            position=runner.position(projection),
        )
