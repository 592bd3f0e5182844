"""Charts as inline SVG, drawn on the server: no script, no library, no CDN.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in words
what it shows, and a table-like text fallback in ``<desc>`` for screen readers. Sizes are in
SVG user units (the viewBox); the page scales the chart to its width.
"""

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from server.console.queries.history import PHASES, DayCount

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56
PHASE_COLOURS = {"immature": "#8c959f", "vegetative": "#1f883d", "flowering": "#8250df"}
BAR = "#0969da"


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value:
        step /= 10
    for m in (1, 2, 5, 10):
        if step * m >= value:
            return step * m
    return step * 10


def _axis(top: float, unit: str) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        v = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        label = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(unit)}</text>'
    )
    return parts


def _svg(title: str, desc: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )


def wet_weights(batches: Sequence[tuple[str, Decimal]]) -> Markup:
    """Bars: wet weight in grams per harvest batch, in the order given."""
    title = "Harvest wet weight per batch"
    if not batches:
        return Markup('<p class="muted">No harvests yet.</p>')
    top = _nice_max(float(max(g for _, g in batches)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(batches)
    bar_w = max(2.0, min(60.0, slot * 0.7))
    parts = _axis(top, "grams wet")
    for i, (name, grams) in enumerate(batches):
        h = plot_h * float(grams) / top
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = HEIGHT - BOTTOM - h
        label = escape(name if len(name) <= 14 else name[:13] + "…")
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(name)}: {grams:f} g</title></rect>"
            f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
            f"{label}</text>"
        )
    desc = "; ".join(f"{name}: {grams:f} g" for name, grams in batches)
    return _svg(title, desc, parts)


def phases(days: Sequence[DayCount]) -> Markup:
    """Lines: live plants per phase at the end of each day."""
    title = "Plants per phase over time"
    if not days:
        return Markup('<p class="muted">No plants yet.</p>')
    top = _nice_max(max(max(d.counts.values()) for d in days))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(days) - 1)
    parts = _axis(top, "plants")
    for phase in PHASES:
        points = " ".join(
            f"{LEFT + step * i:.1f},{HEIGHT - BOTTOM - plot_h * d.counts[phase] / top:.1f}"
            for i, d in enumerate(days)
        )
        colour = PHASE_COLOURS[phase]
        if len(days) == 1:
            cx, cy = points.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>')
        else:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
            )
    for i in sorted({0, len(days) - 1}):
        parts.append(
            f'<text x="{LEFT + step * i:.1f}" y="{HEIGHT - BOTTOM + 14}" '
            f'text-anchor="{"start" if i == 0 else "end"}">{days[i].day.isoformat()}</text>'
        )
    for j, phase in enumerate(PHASES):
        lx = LEFT + j * 130
        parts.append(
            f'<rect x="{lx}" y="{HEIGHT - 22}" width="14" height="4" '
            f'fill="{PHASE_COLOURS[phase]}"/><text x="{lx + 20}" y="{HEIGHT - 16}">{phase}</text>'
        )
    last = days[-1]
    desc = f"On {last.day.isoformat()}: " + ", ".join(f"{last.counts[p]} {p}" for p in PHASES)
    return _svg(title, desc, parts)
