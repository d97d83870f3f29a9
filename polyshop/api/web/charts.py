"""Charts as inline SVG, drawn on the server.

The admin pages must work offline and without JavaScript (no chart library, no CDN), so a
chart is a plain SVG string built here. The functions are pure, from (label, value) points
to markup, which lets tests check the geometry without a browser.

Labels carry user data (product names, and whatever a caller put in a query string), so
every element is built with `Markup(<literal>).format(...)`, which escapes each argument
that is not markup already; the result is `Markup`, which the template inserts as it is.

Values are counts and sums: a chart draws nothing below zero, and treats a value that is
no finite number as zero rather than failing the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

#: One bar or line vertex: the label shown for it (a bucket time, a product name) and its value.
Point = tuple[str, float]
Formatter = Callable[[float], str]

BAR_COLOR = "#3b6fd6"
LINE_COLOR = "#c2562b"
TRACK_COLOR = "#e6e9ef"
AXIS_COLOR = "#8a93a3"
TEXT_COLOR = "#3d4452"
#: Up to this many points a series is drawn as bars; past it a bar would be narrower than two
#: pixels (a line, drawn as one polyline, says the same in a fraction of the bytes).
MAX_BARS = 240
#: Up to this many points a line chart marks each vertex (with a hover title); past it the
#: marks would blur into the line and only weigh down the page.
MAX_MARKED_VERTICES = 60


def number(value: float) -> str:
    """A count as an integer with thousands separators, anything else with two decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def percent(ratio: float | None) -> str:
    """A ratio as a percentage; None (nothing to divide by) as 'n/a'."""
    return "n/a" if ratio is None else f"{ratio * 100:.1f}%"


def money(value: float) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True, slots=True)
class Frame:
    """The outer size of a chart and the margins that hold its axis labels."""

    width: int = 640
    height: int = 180
    left: int = 80
    right: int = 12
    top: int = 14
    bottom: int = 24

    @property
    def plot_width(self) -> float:
        return float(self.width - self.left - self.right)

    @property
    def plot_height(self) -> float:
        return float(self.height - self.top - self.bottom)

    @property
    def baseline(self) -> float:
        return float(self.height - self.bottom)


def series_chart(
    points: Sequence[Point], *, title: str, fmt: Formatter = number, frame: Frame | None = None
) -> Markup:
    """A series per time bucket: bars while they are wide enough to see, else a line."""
    if len(points) > MAX_BARS:
        return line_chart(points, title=title, fmt=fmt, frame=frame)
    return bar_chart(points, title=title, fmt=fmt, frame=frame)


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    fmt: Formatter = number,
    frame: Frame | None = None,
    color: str = BAR_COLOR,
) -> Markup:
    """Vertical bars, one per point, scaled so the largest value fills the plot height.
    Zero bars are left out: on a long, sparse series they would be most of the page."""
    frame = frame or Frame()
    if not points:
        return _svg(frame, title, _empty(frame))
    values = [_clean(v) for _, v in points]
    top = max(values)
    slot = frame.plot_width / len(points)
    gap = slot * 0.2 if slot >= 4 else 0.0
    bars = _join(
        _BAR.format(
            _n(frame.left + i * slot + gap / 2),
            _n(frame.baseline - _height(value, top, frame)),
            _n(max(slot - gap, 0.5)),
            _n(_height(value, top, frame)),
            label,
            fmt(value),
        )
        for i, ((label, _), value) in enumerate(zip(points, values, strict=True))
        if value > 0
    )
    group = Markup('<g fill="{}">{}</g>').format(color, bars)
    return _svg(frame, title, _axes(frame, points, top, fmt) + group)


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    fmt: Formatter = number,
    frame: Frame | None = None,
    color: str = LINE_COLOR,
) -> Markup:
    """A line through the points, spread evenly across the plot, over a light area fill
    (the fill only while the series is short enough for bars)."""
    frame = frame or Frame()
    if not points:
        return _svg(frame, title, _empty(frame))
    values = [_clean(v) for _, v in points]
    top = max(values)
    if len(points) > 1:
        step = frame.plot_width / (len(points) - 1)
        xs = [frame.left + i * step for i in range(len(points))]
    else:
        xs = [frame.left + frame.plot_width / 2]
    ys = [frame.baseline - _height(v, top, frame) for v in values]
    line = " ".join(f"{_n(x)},{_n(y)}" for x, y in zip(xs, ys, strict=True))
    shapes = [
        Markup(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
            'stroke-linejoin="round"/>'
        ).format(line, color)
    ]
    if len(points) <= MAX_BARS:  # the fill would repeat every point of a long series
        area = f"{_n(xs[0])},{_n(frame.baseline)} {line} {_n(xs[-1])},{_n(frame.baseline)}"
        shapes.insert(
            0, Markup('<polygon points="{}" fill="{}" fill-opacity="0.12"/>').format(area, color)
        )
    if len(points) <= MAX_MARKED_VERTICES:
        shapes += [
            Markup('<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>').format(
                _n(x), _n(y), color, label, fmt(v)
            )
            for (label, _), v, x, y in zip(points, values, xs, ys, strict=True)
        ]
    return _svg(frame, title, _axes(frame, points, top, fmt) + _join(shapes))


def hbar_chart(
    points: Sequence[Point],
    *,
    title: str,
    notes: Sequence[str] = (),
    fmt: Formatter = number,
    width: int = 640,
    row_height: int = 30,
    label_width: int = 130,
    color: str = BAR_COLOR,
) -> Markup:
    """Horizontal bars, one row per point: label, bar, then value and note (such as a
    conversion rate). A funnel is this with its steps in order."""
    height = max(len(points), 1) * row_height + 8
    frame = Frame(width=width, height=height, left=label_width, right=190, top=4, bottom=4)
    if not points:
        return _svg(frame, title, _empty(frame))
    values = [_clean(v) for _, v in points]
    top = max(values)
    rows = []
    for i, ((label, _), value) in enumerate(zip(points, values, strict=True)):
        y = frame.top + i * row_height
        note = notes[i] if i < len(notes) else ""
        text = fmt(value) + (f" · {note}" if note else "")
        rows.append(
            _HBAR_ROW.format(
                label_x=frame.left - 8,
                text_y=_n(y + row_height / 2 + 4),
                left=frame.left,
                bar_y=_n(y + 5),
                track=_n(frame.plot_width),
                length=_n(value / top * frame.plot_width if top > 0 else 0.0),
                thickness=_n(row_height - 10),
                track_color=TRACK_COLOR,
                color=color,
                value_x=_n(frame.left + frame.plot_width + 8),
                label=label,
                text=text,
            )
        )
    return _svg(frame, title, _join(rows))


def meter(
    value: float, maximum: float, *, label: str, width: int = 160, height: int = 12
) -> Markup:
    """One horizontal bar for a table row: `value` against `maximum` (the column's top)."""
    value, maximum = _clean(value), _clean(maximum)
    length = min(value / maximum, 1.0) * width if maximum > 0 else 0.0
    return Markup(
        '<svg class="meter" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" role="img" aria-label="{label}"><title>{label}</title>'
        '<rect width="{w}" height="{h}" rx="2" fill="{track}"/>'
        '<rect class="bar" width="{length}" height="{h}" rx="2" fill="{color}"/></svg>'
    ).format(w=width, h=height, label=label, track=TRACK_COLOR, length=_n(length), color=BAR_COLOR)


_BAR = Markup('<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>')
_HBAR_ROW = Markup(
    '<text x="{label_x}" y="{text_y}" text-anchor="end">{label}</text>'
    '<rect x="{left}" y="{bar_y}" width="{track}" height="{thickness}" fill="{track_color}"/>'
    '<rect class="bar" x="{left}" y="{bar_y}" width="{length}" height="{thickness}" '
    'fill="{color}"><title>{label}: {text}</title></rect>'
    '<text x="{value_x}" y="{text_y}">{text}</text>'
)


def _svg(frame: Frame, title: str, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'font-family="system-ui, sans-serif" font-size="11" fill="{ink}">'
        "<title>{title}</title>{body}</svg>"
    ).format(w=frame.width, h=frame.height, title=title, ink=TEXT_COLOR, body=body)


def _axes(frame: Frame, points: Sequence[Point], top: float, fmt: Formatter) -> Markup:
    """The y axis and baseline, the top value and zero on the left, the first and last
    point's labels below."""
    axes = Markup(
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="{axis}"/>'
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{axis}"/>'
        '<line x1="{left}" y1="{top}" x2="{right}" y2="{top}" stroke="{grid}" '
        'stroke-dasharray="3 3"/>'
        '<text class="y-max" x="{label_x}" y="{max_y}" text-anchor="end">{max}</text>'
        '<text class="y-min" x="{label_x}" y="{base}" text-anchor="end">{min}</text>'
        '<text class="x-first" x="{left}" y="{x_y}">{first}</text>'
    ).format(
        left=frame.left,
        top=frame.top,
        base=_n(frame.baseline),
        right=_n(frame.left + frame.plot_width),
        axis=AXIS_COLOR,
        grid=TRACK_COLOR,
        label_x=frame.left - 6,
        max_y=frame.top + 4,
        max=fmt(top),
        min=fmt(0),
        x_y=frame.height - 6,
        first=points[0][0],
    )
    if len(points) == 1:
        return axes
    return axes + Markup('<text class="x-last" x="{}" y="{}" text-anchor="end">{}</text>').format(
        _n(frame.left + frame.plot_width), frame.height - 6, points[-1][0]
    )


def _empty(frame: Frame) -> Markup:
    return Markup(
        '<rect x="0" y="0" width="{w}" height="{h}" fill="none" stroke="{line}"/>'
        '<text class="empty" x="{x}" y="{y}" text-anchor="middle">No data for this range</text>'
    ).format(
        w=frame.width,
        h=frame.height,
        line=TRACK_COLOR,
        x=_n(frame.width / 2),
        y=_n(frame.height / 2 + 4),
    )


def _join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


def _height(value: float, top: float, frame: Frame) -> float:
    return value / top * frame.plot_height if top > 0 else 0.0


def _clean(value: float) -> float:
    number = float(value)
    return number if math.isfinite(number) and number > 0 else 0.0


def _n(value: float) -> str:
    """A coordinate: two decimals at most, no exponent, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
