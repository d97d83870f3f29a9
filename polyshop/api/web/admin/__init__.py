"""The admin: server-rendered pages for running the shop, on the same services as REST.

Extension points (see `nav`, `access`, `pages`): a page is a route on its own
`APIRouter` that takes `AdminPage` (GET) or `AdminForm` (POST) and answers
`admin_pages(request).render(request, "x.html", admin, ...)`; its template extends
`layout.html`; its nav entry is one line in `nav.NAV`; its router one line in `router`.
"""
