"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

Each chart is an `<svg role="img">` with a title and a description, and every bar or point
carries its numbers (`data-*` and a `<title>` shown on hover), so the page, its tests and a
screen reader see the same figures. Time runs left to right in both languages.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 44
COLORS = {
    "approved": "#1b7f3b",
    "held": "#b26a00",
    "spam": "#6b3fa0",
    "rejected": "#b3261e",
    "reported": "#0b5cab",
    "pending": "#5f6b73",
    "reviewed": "#8aa4bf",
    "overturned": "#b3261e",
    "queue": "#0b5cab",
    "age": "#b26a00",
    "reports": "#0b5cab",
}


def _nice_max(value: float, counts: bool = True) -> float:
    """A round top for the axis at or above `value` (for counts: quarters are whole numbers)."""
    if counts:
        tops = sorted(m * 10**k for k in range(10) for m in (4, 8, 20))
        return next((t for t in tops if t >= value), tops[-1])
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 < value:
        step *= 10
    for m in (1, 2, 5, 10):
        if value <= step * m:
            return step * m
    return step * 10  # pragma: no cover - the loop always returns


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _frame(
    chart_id: str, title: str, desc: str, top: float, unit: str, body: list[Markup]
) -> Markup:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        Markup(
            '<svg class="chart" id="{}" role="img" aria-labelledby="{}-t {}-d" '
            'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet" '
            'xmlns="http://www.w3.org/2000/svg" direction="ltr">'
        ).format(chart_id, chart_id, chart_id, WIDTH, HEIGHT),
        Markup('<title id="{}-t">{}</title><desc id="{}-d">{}</desc>').format(
            chart_id, title, chart_id, desc
        ),
    ]
    for i in range(5):  # grid lines and the value axis
        v = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            Markup(
                '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="grid"/>'
                '<text x="{}" y="{:.1f}" class="axis" text-anchor="end">{}</text>'
            ).format(LEFT, WIDTH - RIGHT, y, y, LEFT - 4, y + 4, _fmt(v) + unit)
        )
    parts.extend(body)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _x_labels(labels: Sequence[str], slot: float) -> list[Markup]:
    out = []
    every = max(1, len(labels) // 10)
    for i, label in enumerate(labels):
        if i % every and i != len(labels) - 1:
            continue
        x = LEFT + slot * (i + 0.5)
        out.append(
            Markup('<text x="{:.1f}" y="{}" class="axis" text-anchor="middle">{}</text>').format(
                x, HEIGHT - BOTTOM + 16, label
            )
        )
    return out


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
) -> Markup:
    """Bars per label, stacked by series (key, shown name, values per label)."""
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, slot * 0.7)
    body: list[Markup] = []
    for i, label in enumerate(labels):
        y: float = TOP + plot_h
        for key, name, values in series:
            v = values[i]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            body.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" '
                    'data-label="{}" data-series="{}" data-value="{}">'
                    "<title>{}: {} {}</title></rect>"
                ).format(
                    LEFT + slot * i + (slot - bar) / 2,
                    y,
                    bar,
                    h,
                    COLORS.get(key, "#5f6b73"),
                    label,
                    key,
                    _fmt(v),
                    label,
                    name,
                    _fmt(v),
                )
            )
    body += _x_labels(labels, slot)
    return _caption(title) + _frame(chart_id, title, desc, top, "", body) + legend(series)


def line(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    key: str,
    name: str,
    values: Sequence[float],
    unit: str = "",
    counts: bool = True,
) -> Markup:
    """One series as a line with a dot per label."""
    top = _nice_max(max(values, default=0), counts)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    pts = [(LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * v / top) for i, v in enumerate(values)]
    body: list[Markup] = []
    if pts:
        body.append(
            Markup('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>').format(
                COLORS.get(key, "#0b5cab"), " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            )
        )
    for (x, y), label, v in zip(pts, labels, values, strict=True):
        body.append(
            Markup(
                '<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}" data-label="{}" data-series="{}" '
                'data-value="{}"><title>{}: {} {}{}</title></circle>'
            ).format(
                x, y, COLORS.get(key, "#0b5cab"), label, key, _fmt(v), label, name, _fmt(v), unit
            )
        )
    body += _x_labels(labels, slot)
    return (
        _caption(title)
        + _frame(chart_id, title, desc, top, unit, body)
        + legend([(key, name, values)])
    )


def _caption(title: str) -> Markup:
    return Markup("<figcaption>{}</figcaption>").format(title)


def legend(series: Sequence[tuple[str, str, Sequence[float]]]) -> Markup:
    items = [
        Markup('<li><span class="swatch" style="background:{}"></span>{}</li>').format(
            COLORS.get(key, "#5f6b73"), name
        )
        for key, name, _ in series
    ]
    return Markup('<ul class="legend">{}</ul>').format(Markup("").join(items))


__all__ = ["escape", "legend", "line", "stacked_bars"]
