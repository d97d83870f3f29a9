"""Server-rendered HTML pages (Jinja2 templates, inline SVG charts) for people in a browser,
beside the JSON API in `polyshop.api.rest`; they reuse its dependencies and admin check."""
