"""The admin page's SVG charts, checked as XML: geometry follows the values, text is
escaped, and no input (empty, all zero, not a number) breaks a chart. Plus the page's own
pure parts: query parsing, the post-login redirect, and escaping in the rendered page."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from polyshop.analytics.domain import Trend, Window
from polyshop.analytics.service import Funnel, Trending
from polyshop.api.web import admin_analytics, charts

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed, or this raises


def bars(svg: str) -> list[ET.Element]:
    return [r for r in parse(svg).iter(f"{SVG}rect") if r.get("class") == "bar"]


def texts(svg: str, cls: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}text") if t.get("class") == cls]


def test_bar_heights_are_proportional_to_values():
    frame = charts.Frame()
    svg = charts.bar_chart([("a", 1), ("b", 2), ("c", 4)], title="t", frame=frame)
    heights = [float(r.get("height", "")) for r in bars(svg)]
    assert heights[2] == pytest.approx(frame.plot_height)
    assert heights == pytest.approx([frame.plot_height / 4, frame.plot_height / 2, heights[2]])
    for rect in bars(svg):  # every bar stands on the baseline
        top = float(rect.get("y", "")) + float(rect.get("height", ""))
        assert top == pytest.approx(frame.baseline)


def test_bars_share_the_width_and_do_not_overlap():
    svg = charts.bar_chart([(str(i), i + 1) for i in range(10)], title="t")
    xs = [float(r.get("x", "")) for r in bars(svg)]
    widths = [float(r.get("width", "")) for r in bars(svg)]
    assert xs == sorted(xs)
    assert all(x + w <= nxt for x, w, nxt in zip(xs, widths, xs[1:], strict=False))


def test_axis_labels_name_the_top_value_and_the_first_and_last_bucket():
    svg = charts.bar_chart([("09:00", 3), ("10:00", 1234), ("11:00", 0)], title="Views")
    assert texts(svg, "y-max") == ["1,234"]
    assert texts(svg, "y-min") == ["0"]
    assert texts(svg, "x-first") == ["09:00"]
    assert texts(svg, "x-last") == ["11:00"]
    assert len(bars(svg)) == 2  # a zero bar is not drawn


def test_one_point_has_no_separate_last_label():
    svg = charts.bar_chart([("only", 5)], title="t")
    assert texts(svg, "x-first") == ["only"]
    assert texts(svg, "x-last") == []


def test_formatter_labels_the_axis():
    svg = charts.bar_chart([("a", 12.5), ("b", 3)], title="Revenue", fmt=charts.money)
    assert texts(svg, "y-max") == ["12.50"]


def test_line_chart_heights_are_proportional_to_values():
    frame = charts.Frame()
    svg = charts.line_chart([("a", 0), ("b", 5), ("c", 10)], title="t", frame=frame)
    polyline = next(parse(svg).iter(f"{SVG}polyline"))
    pairs = [p.split(",") for p in polyline.get("points", "").split()]
    xs = [float(x) for x, _ in pairs]
    ys = [frame.baseline - float(y) for _, y in pairs]
    assert ys == pytest.approx([0, frame.plot_height / 2, frame.plot_height])
    assert xs == pytest.approx([frame.left, frame.left + frame.plot_width / 2, 640 - frame.right])


@pytest.mark.parametrize(
    "draw",
    [
        lambda points: charts.bar_chart(points, title=EVIL),
        lambda points: charts.line_chart(points, title=EVIL),
        lambda points: charts.hbar_chart(points, title=EVIL, notes=[EVIL]),
        lambda points: charts.series_chart(points, title=EVIL),
    ],
)
def test_labels_and_titles_are_escaped(draw):
    svg = draw([(EVIL, 1), ('" onload="x', 2)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert '" onload="' not in svg
    parse(svg)


def test_meter_escapes_its_label_and_fills_in_proportion():
    svg = charts.meter(30, 120, label=EVIL, width=160)
    assert "<script>" not in svg
    (bar,) = bars(svg)
    assert float(bar.get("width", "")) == pytest.approx(40)


@pytest.mark.parametrize(
    "draw",
    [
        lambda points: charts.bar_chart(points, title="t"),
        lambda points: charts.line_chart(points, title="t"),
        lambda points: charts.hbar_chart(points, title="t"),
        lambda points: charts.series_chart(points, title="t"),
    ],
)
def test_empty_series_renders_an_empty_state(draw):
    svg = draw([])
    assert texts(svg, "empty") == ["No data for this range"]
    assert bars(svg) == []


@pytest.mark.parametrize("values", [[0, 0, 0], [math.nan, math.inf, -5]])
def test_zero_or_meaningless_values_draw_flat_without_dividing_by_zero(values):
    points = [(str(i), v) for i, v in enumerate(values)]
    assert bars(charts.bar_chart(points, title="t")) == []
    line = next(parse(charts.line_chart(points, title="t")).iter(f"{SVG}polyline"))
    heights = {float(y) for _, y in (p.split(",") for p in line.get("points", "").split())}
    assert heights == {charts.Frame().baseline}
    funnel = charts.hbar_chart(points, title="t")
    assert {b.get("width") for b in bars(funnel)} == {"0"}
    assert bars(charts.meter(0, 0, label="none"))[0].get("width") == "0"


def test_long_series_become_a_line():
    points = [(str(i), i % 7) for i in range(charts.MAX_BARS + 1)]
    svg = charts.series_chart(points, title="t")
    assert bars(svg) == []
    assert len(list(parse(svg).iter(f"{SVG}polyline"))) == 1


def test_funnel_shows_conversion_rates():
    svg = admin_analytics.funnel_chart(Funnel(views=200, cart_adds=50, orders=10))
    assert "25.0% of views" in svg
    assert "20.0% of cart additions" in svg
    assert "n/a of views" in admin_analytics.funnel_chart(Funnel(0, 0, 0))


# --- the page's pure parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "status", "fragment"),
    [
        (admin_analytics.Filters(bucket="week"), 422, "bucket"),
        (admin_analytics.Filters(start="yesterday"), 422, "start"),
        (admin_analytics.Filters(start="2025-05-02", end="2025-05-01"), 422, "before end"),
        (admin_analytics.Filters(bucket="minute", start="2020-01-01"), 422, "bucket=day"),
        (admin_analytics.Filters(end="0001-01-01"), 422, "range"),
        (admin_analytics.Filters(end="9999-12-31T23:59"), 422, "range"),
        (admin_analytics.Filters(product="not-a-product"), 404, "No product"),
    ],
)
def test_bad_queries_become_page_errors(filters, status, fragment):
    with pytest.raises(admin_analytics.PageError) as raised:
        admin_analytics.parse_selection(filters, NOW)
    assert raised.value.status == status
    assert fragment in raised.value.message


def test_a_good_query_selects_product_and_range():
    product = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    filters = admin_analytics.Filters(product=product, bucket="day", start="2025-04-01T00:00Z")
    selection = admin_analytics.parse_selection(filters, NOW)
    assert selection.product_id == product
    assert selection.rng.start == datetime(2025, 4, 1, tzinfo=UTC)
    assert selection.rng.end == datetime(2025, 5, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/admin/analytics?product=p&bucket=day", "/admin/analytics?product=p&bucket=day"),
        ("https://evil.example/admin/analytics", "/admin/analytics"),
        ("//evil.example/admin/analytics", "/admin/analytics"),
        ("/\\evil.example", "/admin/analytics"),
        ("/api/v1/me", "/admin/analytics"),
        ("", "/admin/analytics"),
    ],
)
def test_after_login_only_the_analytics_page_is_a_target(given, expected):
    assert admin_analytics.safe_next(given) == expected


def test_form_parsing_decodes_fields_and_refuses_floods():
    body = b"email=a%40b.example&password=p%26w+x&next=%2Fadmin%2Fanalytics"
    assert admin_analytics.parse_form(body) == {
        "email": "a@b.example",
        "password": "p&w x",
        "next": "/admin/analytics",
    }
    assert admin_analytics.parse_form(b"&".join([b"a=1"] * 50)) is None


def test_rendered_page_escapes_product_names_and_errors():
    trending = Trending(
        Window.HOUR,
        NOW - timedelta(hours=1),
        NOW,
        [(Trend("p1", 120, 100), {"id": "p1", "name": EVIL, "brand": "A & B"})],
    )
    filters = admin_analytics.Filters(product='"><script>x</script>')
    page = admin_analytics.Page(
        422,
        error=f"bucket: {EVIL}",
        filters=filters,
        trending=[admin_analytics.trending_view(trending, filters)],
    )
    response = admin_analytics.render(page)
    html = bytes(response.body).decode()
    assert response.status_code == 422
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "+20.0%" in html
    assert response.headers["cache-control"] == "no-store"


def test_login_page_keeps_the_401_challenge_and_the_way_back():
    page = admin_analytics.Page(
        401,
        login=admin_analytics.LoginForm("Sign in.", next="/admin/analytics?product=p"),
        headers={"WWW-Authenticate": 'Bearer realm="shop"'},
    )
    response = admin_analytics.render(page)
    html = bytes(response.body).decode()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="shop"'
    assert 'action="/admin/login"' in html
    assert 'value="/admin/analytics?product=p"' in html
