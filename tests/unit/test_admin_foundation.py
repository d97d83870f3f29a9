"""The admin's pure rules: where sign-in may send a browser, and which nav entries show."""

from __future__ import annotations

import pytest

from polyshop.api.web.admin import nav
from polyshop.api.web.admin.access import safe_next


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/admin/orders?status=paid", "/admin/orders?status=paid"),
        ("/admin", "/admin"),
        ("/admin/analytics?product=p", "/admin/analytics?product=p"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin\\@evil.example", "/admin"),
        ("/administrator", "/admin"),
        ("/admin/login?next=/admin", "/admin"),
        ("/api/v1/me", "/admin"),
        ("", "/admin"),
        ("/admin/\x00", "/admin"),
    ],
)
def test_sign_in_sends_a_browser_only_to_an_admin_page(given: str, expected: str):
    assert safe_next(given) == expected


def test_the_nav_shows_served_pages_only_and_marks_the_section_of_a_path():
    served = nav.served(nav.NAV, ["/admin", "/admin/projections", "/admin/analytics"])

    assert [entry.label for entry in served] == ["Dashboard", "Operations", "Analytics"]
    assert nav.current(served, "/admin") == "/admin"
    assert nav.current(served, "/admin/events") == "/admin/projections"  # Operations
    assert nav.current(served, "/admin/analytics") == "/admin/analytics"
    assert nav.current(served, "/shop") is None
