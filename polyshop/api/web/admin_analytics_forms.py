"""The admin analytics page's input: its query and its login form, read and checked.

Pure functions over strings (and a request's headers), so each rule is tested without a
server: a bad query is a `PageError` naming the field and the status the page answers with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

from polyshop.analytics.domain import Bucket, RangeError, TimeRange
from polyshop.api.rest.problems import clip
from polyshop.catalog.domain import is_product_id

PAGE_PATH = "/admin/analytics"
LOGIN_PATH = "/admin/login"
#: Longer query values are no product id or time anyone typed; refuse them before parsing.
MAX_PARAM_LENGTH = 64
#: The login form has three fields; a body with many more is no browser's.
MAX_FORM_FIELDS = 10


class PageError(Exception):
    """A request the page cannot answer as asked: shown on the page with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Filters:
    """The query as given (blank when absent), echoed back into the form."""

    product: str = ""
    bucket: str = Bucket.HOUR.value
    start: str = ""
    end: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    product_id: str | None
    rng: TimeRange


def parse_selection(filters: Filters, now: datetime) -> Selection:
    """The product and time range asked for; PageError (422, 404) names what is wrong."""
    try:
        bucket = Bucket(filters.bucket)
    except ValueError:
        raise PageError(422, "bucket: must be one of minute, hour, day.") from None
    start, end = _instant("start", filters.start), _instant("end", filters.end)
    try:
        rng = TimeRange.of(start, end, bucket, now)
    except RangeError as exc:
        raise PageError(422, f"{exc.field}: {exc}.") from None
    except (OverflowError, OSError, ValueError):
        raise PageError(422, "start, end: the range reaches past the dates we can count.") from None
    product = filters.product or None
    if product is not None and not is_product_id(product):
        raise PageError(404, f"No product {clip(product)!r}.")
    return Selection(product, rng)


def parse_form(body: bytes) -> dict[str, str] | None:
    """An urlencoded form's first value per field (python-multipart is not installed, and a
    login form needs no more); None for a body with more fields than any form of ours."""
    try:
        fields = parse_qs(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:
        return None
    return {name: values[0] for name, values in fields.items()}


def same_origin(request: Request) -> bool:
    """A form post from another site (login CSRF: signing a victim into an attacker's
    account) carries that site's Origin; browsers send Origin on every cross-site POST.
    Requests without one (scripts, old clients) cannot be cross-site form posts."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def safe_next(value: str) -> str:
    """Where to go after signing in: the analytics page with the query it was opened with,
    and nowhere else (an open redirect would hand a phishing link our domain)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != PAGE_PATH:
        return PAGE_PATH
    return PAGE_PATH + (f"?{parts.query}" if parts.query else "")


def _instant(name: str, value: str) -> datetime | None:
    if not value:
        return None
    if len(value) > MAX_PARAM_LENGTH:
        raise PageError(422, f"{name}: is too long for a date-time.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise PageError(
            422, f"{name}: {value!r} is not an ISO 8601 date-time like 2025-05-01T12:00."
        ) from None
