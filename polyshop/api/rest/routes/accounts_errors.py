"""The accounts service's refusals as problem documents (sessions, sign-up, login, profile;
an address refused at checkout too)."""

from __future__ import annotations

from polyshop.accounts.domain import AccountError, EmailTaken
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.api.rest.problems import Problem, unprocessable


def problem_of(exc: Exception) -> Problem | None:
    """The problem for a accounts refusal; None for what other handlers answer."""
    match exc:
        case AccountError():
            return unprocessable(exc.field, str(exc))
        case EmailTaken():
            return Problem(409, str(exc), slug="email-taken", title="Email taken")
        case InvalidCredentials():
            return Problem(401, "The email or password is wrong.", slug="invalid-credentials")
        case Throttled():
            return Problem(
                429,
                f"Too many attempts; retry in {exc.retry_after} s.",
                slug="login-throttled",
                headers={"Retry-After": str(exc.retry_after)},
                retry_after=exc.retry_after,
            )
    return None
