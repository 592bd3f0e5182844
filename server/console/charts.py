"""The console's two charts, as Vega-Lite specs built from the data (pure functions:
:func:`wet_weights_chart`, :func:`phases_chart`) and rendered to inline SVG on the server
(:func:`wet_weights`, :func:`phases`; see :mod:`server.console.vega`): no chart script in the
browser.

Each is an ``<svg class="chart" role="img">`` with a ``<title>`` and a ``<desc>`` that says in
words what it shows, for screen readers, and in place of the chart if it cannot be drawn.
Sizes are in pixels of the chart's own ``viewBox`` (:data:`WIDTH` wide); the page scales it to
its width (``svg.chart`` in ``static/console.css``).
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from server.console.queries.history import PHASES, DayCount
from server.console.vega import Chart, render

WIDTH = 880  # the whole chart, labels included (autosize fit-x)
PHASE_HEIGHT = 240  # the phase chart's plot
PHASE_COLOURS = {"immature": "#8c959f", "vegetative": "#1f883d", "flowering": "#8250df"}
BAR = "#0969da"
INK, MUTED, LINE = "#1b1f23", "#57606a", "#d0d7de"  # the console's --ink, --muted, --line
# The console's font (static/console.css) in the browser. vl-convert knows no system-ui and
# measures labels in its own sans-serif (Liberation Sans, Arial's widths), fast; measuring in a
# system font such as DejaVu Sans made each chart 5x slower to draw. A browser's font may be
# ~10% wider (DejaVu Sans, Debian's), hence the room left around labels (PAD, legend spacing)
# and "overflow: visible" on svg.chart.
FONT = "system-ui, sans-serif"
PAD = 8  # around the chart
SLACK = 0.12  # a label may be this much wider in the browser than where it was measured
MAX_BATCHES = 30  # bars in the wet weight chart: the latest ones
ROW_H = 24  # one bar's row
MAX_LABEL_W = 300  # longer names are shortened (…), with the full name on hover
MAX_TICKS = 6  # dates under the phase chart


def _base(height: object) -> dict[str, Any]:
    """What both specs share: the console's font and colours, the whole chart :data:`WIDTH`
    wide with every label inside it, no frame, no background (the card's shows)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": WIDTH,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "padding": PAD,
        "background": None,
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {"aria": False, "labelFontSize": 12, "labelColor": INK, "titleColor": INK},
            "legend": {
                "aria": False,
                "labelFontSize": 12,
                "labelColor": INK,
                "columnPadding": 24,
            },
            "title": {"aria": False},
            "text": {"fontSize": 12, "color": INK},
        },
    }


def wet_weights_chart(batches: Sequence[tuple[str, Decimal]]) -> Chart | None:
    """Horizontal bars: wet weight in grams per harvest batch, in the order given, the latest
    :data:`MAX_BATCHES`; None without batches. Each name is written beside its bar (a harvest
    batch is named for its day and room: "HB-2026-12-04-Drying Room 1"; past
    :data:`MAX_LABEL_W` pixels shortened, in full on hover), each weight at its bar's end, and
    the chart grows a row per batch, so one batch and thirty read alike. One row per batch
    even when two licensees' batches share a name."""
    if not batches:
        return None
    shown = list(batches)[-MAX_BATCHES:]
    title = "Harvest wet weight per batch"
    if len(shown) < len(batches):
        title += f" (the latest {len(shown)} of {len(batches)})"
    rows = [
        {
            "row": i,
            "name": name,
            "grams": float(grams),
            "weight": _grams(grams),
            "exact": f"{name}: {grams:f} g",
        }
        for i, (name, grams) in enumerate(shown)
    ]
    spec = _base({"step": ROW_H})
    # Names stand left of the plot, right-aligned: room for them to be a little wider here.
    spec["padding"] = {
        "left": PAD + round(SLACK * MAX_LABEL_W),
        "right": 2 * PAD,
        "top": PAD,
        "bottom": PAD,
    }
    spec |= {
        "data": {"values": rows},
        "encoding": {
            "y": {"field": "row", "type": "ordinal", "axis": None},
            "x": {"field": "grams", "type": "quantitative", "axis": None},
        },
        "layer": [
            {
                "mark": {"type": "bar", "color": BAR, "height": {"band": 0.75}},
                "encoding": {"description": {"field": "exact"}},
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 6, "aria": False},
                "encoding": {"text": {"field": "weight"}},
            },
            {
                "mark": {"type": "text", "align": "right", "dx": -8, "limit": MAX_LABEL_W},
                "encoding": {
                    "x": {"datum": 0, "type": "quantitative"},
                    "text": {"field": "name"},
                    "description": {"field": "name"},
                },
            },
        ],
    }
    if len(shown) < len(batches):
        spec["title"] = {
            "text": f"The latest {len(shown)} of {len(batches)} harvest batches",
            "anchor": "start",
            "fontSize": 12,
            "fontWeight": "normal",
            "color": MUTED,
        }
    desc = "; ".join(f"{name}: {grams:f} g" for name, grams in shown)
    return Chart(title, desc, spec)


def wet_weights(batches: Sequence[tuple[str, Decimal]]) -> Markup:
    """:func:`wet_weights_chart` drawn, or "No harvests yet."."""
    chart = wet_weights_chart(batches)
    if chart is None:
        return Markup('<p class="muted">No harvests yet.</p>')
    return render(chart)


def _grams(grams: Decimal) -> str:
    return f"{grams:,f} g" if grams < 10_000 else f"{grams / 1000:,.2f} kg"


def _noon(day: date) -> float:
    """Milliseconds since the epoch at noon UTC of ``day`` (a date): where its date label
    sits, in the middle of the day's span."""
    return datetime.combine(day, time(12), tzinfo=UTC).timestamp() * 1000


def phases_chart(days: Sequence[DayCount]) -> Chart | None:
    """Steps: live plants per phase at the end of each day; None without days. Each day is a
    span of the width (the line steps at midnight and the last day runs to the next one), so
    a single day is a line across the chart, not a dot; up to :data:`MAX_TICKS` dates are
    written under it, evenly spread and centred on their day, so a year reads as well as a
    week. Days are dates, drawn on a UTC scale: no zone moves them."""
    if not days:
        return None
    first, last = days[0].day, days[-1].day
    end = last + timedelta(days=1)
    now = days[-1].counts
    tips = {p: f"{p}: {now[p]} on {last.isoformat()}" for p in PHASES}  # hover on each line
    # Each count holds from its day's start to the next day's; the last to the day after.
    steps = [(d.day, d.counts) for d in days] + [(end, now)]
    points = [
        {"day": day.isoformat(), "phase": p, "plants": counts[p], "tip": tips[p]}
        for day, counts in steps
        for p in PHASES
    ]
    n = len(days)
    ticks = sorted({round(k * (n - 1) / (MAX_TICKS - 1)) for k in range(MAX_TICKS)})
    spec = _base(PHASE_HEIGHT)
    spec |= {
        "data": {"values": points},
        "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2.5},
        "encoding": {
            "x": {
                "field": "day",
                "type": "temporal",
                "scale": {"type": "utc", "domain": [first.isoformat(), end.isoformat()]},
                "axis": {
                    "title": None,
                    "values": [_noon(days[i].day) for i in ticks],
                    "format": "%Y-%m-%d",
                    "labelFlush": 40,
                    "labelOverlap": False,
                    "grid": False,
                    "domainColor": MUTED,
                    "tickColor": MUTED,
                },
            },
            "y": {
                "field": "plants",
                "type": "quantitative",
                # Never less than 0-1: with no plants the lines lie on the floor, not midway.
                "scale": {"domain": {"unionWith": [0, 1]}},
                "axis": {
                    "title": "plants",
                    "tickMinStep": 1,
                    "format": ",d",
                    "labelExpr": "datum.value % 1 ? '' : datum.label",  # whole plants only
                    "gridColor": LINE,
                    "domain": False,
                    "ticks": False,
                },
            },
            "color": {
                "field": "phase",
                "type": "nominal",
                "scale": {"domain": list(PHASES), "range": [PHASE_COLOURS[p] for p in PHASES]},
                "legend": {
                    "orient": "bottom",
                    "direction": "horizontal",
                    "title": None,
                    "symbolType": "stroke",
                    "symbolStrokeWidth": 4,
                },
            },
            "description": {"field": "tip"},
        },
    }
    desc = f"On {last.isoformat()}: " + ", ".join(f"{now[p]} {p}" for p in PHASES)
    return Chart("Plants per phase over time", desc, spec)


def phases(days: Sequence[DayCount]) -> Markup:
    """:func:`phases_chart` drawn, or "No plants yet."."""
    chart = phases_chart(days)
    if chart is None:
        return Markup('<p class="muted">No plants yet.</p>')
    return render(chart)
