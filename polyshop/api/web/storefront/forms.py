"""Form posts of the storefront: read once, CSRF-checked before anything else happens.

A refused post (no token, a token of another cookie, a page older than the cookie) is a 403
page that says how to go on; nothing changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from polyshop.api.web.storefront.pages import storefront_of
from polyshop.api.web.storefront.security import CSRF_FIELD, CsrfRefused

#: Longest value of any storefront form field; longer is refused by the field's own rules.
MAX_FIELD = 2000


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the visitor's cookie."""
    form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FIELD * 4)
    submitted = form.get(CSRF_FIELD)
    storefront_of(request).csrf.check(request, submitted if isinstance(submitted, str) else None)
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


def text(form: FormData, name: str, limit: int = 200) -> str:
    """A text field, stripped and cut at `limit` characters ("" when absent)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def ascii_int(value: str | None, max_digits: int) -> int | None:
    """`value` as a whole number when it is 1 to `max_digits` ASCII digits, else None: a
    superscript or another script's digit passes `str.isdigit` but not `int`."""
    if not value or len(value) > max_digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def install(app: FastAPI) -> None:
    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused) -> HTMLResponse:
        storefront = storefront_of(request)
        return await run_in_threadpool(
            storefront.render,
            request,
            "message.html",
            403,
            title="This form has expired",
            message="The page you sent this from is too old, or came from another site. "
            "Nothing was changed: go back, reload the page and try again.",
        )
