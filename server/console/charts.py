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
MAX_BATCHES = 30  # bars in the wet weight chart: the latest ones
ROW_H = 24  # one bar's row
CHAR_W = 7.2  # average width of a label character in the console's 12 px font
MAX_LABEL_W = 300  # longer names are shortened, with the full name on hover
VALUE_W = 96  # room for the weight at the end of the longest bar
MAX_TICKS = 6  # dates under the phase chart


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


def _svg(title: str, desc: str, parts: list[str], height: float = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )


def wet_weights(batches: Sequence[tuple[str, Decimal]]) -> Markup:
    """Horizontal bars: wet weight in grams per harvest batch, in the order given, the latest
    :data:`MAX_BATCHES`. Each name is written out in full beside its bar (a harvest batch is
    named for its day and room: "HB-2026-12-04-Drying Room 1"), each weight at its bar's end,
    and the chart grows a row per batch, so one batch and thirty read alike."""
    if not batches:
        return Markup('<p class="muted">No harvests yet.</p>')
    shown = list(batches)[-MAX_BATCHES:]
    title = "Harvest wet weight per batch"
    if len(shown) < len(batches):
        title += f" (the latest {len(shown)} of {len(batches)})"
    label_w = min(MAX_LABEL_W, max(len(name) for name, _ in shown) * CHAR_W + 12)
    plot_x, plot_w = label_w, WIDTH - label_w - VALUE_W
    top = max(float(g) for _, g in shown) or 1.0
    height = TOP + ROW_H * len(shown) + 8
    parts = []
    for i, (name, grams) in enumerate(shown):
        y = TOP + ROW_H * i
        w = max(1.0, plot_w * float(grams) / top) if grams > 0 else 0.0
        fits = len(name) * CHAR_W + 12 <= label_w
        text = name if fits else name[: max(1, int((label_w - 12) / CHAR_W) - 1)] + "…"
        parts.append(
            f'<text x="{plot_x - 8}" y="{y + ROW_H / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{escape(name)}</title>{escape(text)}</text>"
            f'<rect x="{plot_x}" y="{y + 3:.1f}" width="{w:.1f}" height="{ROW_H - 6}" '
            f'fill="{BAR}"><title>{escape(name)}: {grams:f} g</title></rect>'
            f'<text x="{plot_x + w + 6:.1f}" y="{y + ROW_H / 2 + 4:.1f}">{_grams(grams)}</text>'
        )
    desc = "; ".join(f"{name}: {grams:f} g" for name, grams in shown)
    return _svg(title, desc, parts, height)


def _grams(grams: Decimal) -> str:
    return f"{grams:,f} g" if grams < 10_000 else f"{grams / 1000:,.2f} kg"


def phases(days: Sequence[DayCount]) -> Markup:
    """Steps: live plants per phase at the end of each day. Each day is a span of the width,
    so a single day is a line across the chart, not a dot; up to :data:`MAX_TICKS` dates are
    written under it, evenly spread, so a year reads as well as a week."""
    title = "Plants per phase over time"
    if not days:
        return Markup('<p class="muted">No plants yet.</p>')
    top = _nice_max(max(max(d.counts.values()) for d in days))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(days)

    def x(i: int) -> float:
        return LEFT + plot_w * i / n

    def y(count: int) -> float:
        return HEIGHT - BOTTOM - plot_h * count / top

    parts = _axis(top, "plants")
    for phase in PHASES:
        path = []
        for i, d in enumerate(days):
            level = y(d.counts[phase])
            path.append(f"{'M' if i == 0 else 'L'}{x(i):.1f},{level:.1f}")
            path.append(f"L{x(i + 1):.1f},{level:.1f}")
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{PHASE_COLOURS[phase]}" '
            f'stroke-width="2.5"><title>{phase}: {days[-1].counts[phase]} on '
            f"{days[-1].day.isoformat()}</title></path>"
        )
    spread = {round(k * (n - 1) / (MAX_TICKS - 1)) for k in range(MAX_TICKS)}
    ticks = sorted(spread) if n > 1 else [0]
    for i in ticks:
        # The first date starts at its day, the last ends at its day, the rest are centred:
        # no label runs off the chart.
        if i == 0:
            at, anchor = x(i), "start"
        elif i == n - 1:
            at, anchor = x(i + 1), "end"
        else:
            at, anchor = (x(i) + x(i + 1)) / 2, "middle"
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{HEIGHT - BOTTOM}" '
            f'y2="{HEIGHT - BOTTOM + 4}" stroke="#57606a"/>'
            f'<text x="{at:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}">'
            f"{days[i].day.isoformat()}</text>"
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
