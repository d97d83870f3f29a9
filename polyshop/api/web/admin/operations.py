"""Operations: the read models (position, lag, state, failures) with a rebuild button each,
and the event log browser (filter by stream prefix and type, newest first, follow live).

Both go through `EventLog`, the door the REST admin routes and the CLI use.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from polyshop.api.web.admin.access import AdminForm, AdminPage, AdminRefused
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.log_browser import LogFilter
from polyshop.eventstore.service import RebuildRunning, UnknownProjection

router = APIRouter(include_in_schema=False)

PROJECTIONS_PATH = "/admin/projections"
EVENTS_PATH = "/admin/events"
PAGE_SIZE = 50
#: Longest stream prefix or event type searched for (stream ids are at most 200).
MAX_FILTER = 200


@router.get(PROJECTIONS_PATH)
def projections_page(request: Request, admin: AdminPage, rebuilt: str = "") -> HTMLResponse:
    """Every read model's position, lag and state; `rebuilt` names one just started."""
    log = admin_pages(request).storefront.container.event_log
    statuses = log.list_projections()
    started = rebuilt if rebuilt in {s.name for s in statuses} else ""
    return admin_pages(request).render(
        request,
        "projections.html",
        admin,
        projections=statuses,
        rebuilding=log.rebuilding(),
        started=started,
    )


@router.post(PROJECTIONS_PATH + "/{name}/rebuild")
def rebuild(request: Request, name: str, post: AdminForm) -> Response:
    """Start rebuilding read model `name` beside the serving copy; back to the list."""
    log = admin_pages(request).storefront.container.event_log
    try:
        log.start_rebuild(name)
    except UnknownProjection:
        raise AdminRefused(
            404, "No such read model", "There is no read model by that name."
        ) from None
    except RebuildRunning:
        raise AdminRefused(
            409,
            "Already rebuilding",
            f"{name} is being rebuilt already; its progress shows on the projections page.",
        ) from None
    return RedirectResponse(f"{PROJECTIONS_PATH}?rebuilt={name}", status_code=303)


@router.get(EVENTS_PATH)
def events_page(
    request: Request,
    admin: AdminPage,
    stream: str = "",
    type: str = "",
    before: str = "",
    live: str = "",
) -> HTMLResponse:
    """Events newest first, filtered by stream prefix and type; `before` pages back."""
    where = LogFilter(
        stream_prefix=stream.strip()[:MAX_FILTER],
        event_type=type.strip()[:MAX_FILTER],
        before=ascii_int(before, 19),
    )
    log = admin_pages(request).storefront.container.event_log
    page = log.browse(where, PAGE_SIZE)
    params = {"stream": where.stream_prefix, "type": where.event_type}
    return admin_pages(request).render(
        request,
        "events.html",
        admin,
        page=page,
        where=where,
        params=params,
        live=live == "1" and where.before is None,
        shown=[(event, pretty(event)) for event in page.events],
    )


def pretty(event: RecordedEvent) -> Markup:
    """The event's data as indented JSON, escaped for a `<pre>`."""
    text = orjson.dumps(event.data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return Markup.escape(text)
