"""Vega-Lite specs rendered to inline SVG on the server, by ``vl-convert-python``: the console
ships no chart script, and nothing comes from a CDN (vl-convert carries Vega and Vega-Lite in
its own binary and fetches nothing: specs carry their data inline and no base URL is allowed).

:func:`render` turns a :class:`Chart` (a title, a description in words and a spec) into an
``<svg class="chart" role="img">`` whose ``<title>`` and ``<desc>`` are the chart's, so a
screen reader reads the words; each mark that has a Vega-Lite ``description`` also gets it as
a ``<title>``, which a browser shows on hover. Vega escapes every text it draws.

Cost (``docs/performance.md``): the first render starts vl-convert's JavaScript engine
(~1.2 s); later ones take ~20-80 ms. vl-convert 1.9 holds the GIL while it renders, so it runs
in a child process of its own (:mod:`server.vegadraw`), and this process only waits on a pipe:
the ingest worker's acks are not held up. :func:`warm_up` starts that child at start-up, and
an LRU cache of the SVG keyed by the spec's JSON draws the same data once.

Failure: if vl-convert raises (a bad spec, a broken install), :func:`render` logs the error
and returns the description in words instead of a chart; the page still renders.
"""

import functools
import json
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from server import vegadraw

log = logging.getLogger(__name__)

CACHE_SIZE = 16  # distinct charts kept (a few pages x a few licensee views)
_ROOT = re.compile(r"^<svg ([^>]*)>")
_TAG = re.compile(r"<[^>]+>")
_LABELLED = re.compile(r'<(\w+) ([^>]*?)aria-label="([^"]*)"([^>]*?)(/?)>')
_ARIA = re.compile(r' (?:role|aria-roledescription|aria-hidden)="[^"]*"')
_GEOMETRY = re.compile(r' (d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"')
_LONG_NUMBER = re.compile(r"-?\d+\.\d{2,}")


@dataclass(frozen=True, slots=True)
class Chart:
    """What :func:`render` draws: ``title`` and ``desc`` (plain text, escaped here) name the
    chart and say in words what it shows; ``spec`` is the Vega-Lite spec, data inline."""

    title: str
    desc: str
    spec: dict[str, Any]


def render(chart: Chart) -> Markup:
    """``chart`` as inline SVG; its description in a paragraph if vl-convert fails."""
    try:
        svg = _svg(json.dumps(chart.spec, sort_keys=True, separators=(",", ":")))
    except Exception:  # whatever the renderer raises, the page shows the words
        log.exception("chart %r could not be drawn; its description is shown", chart.title)
        return Markup('<p class="chart-words">{}: {}</p>').format(chart.title, chart.desc)
    head = Markup("<title>{}</title><desc>{}</desc>").format(chart.title, chart.desc)
    return Markup(svg.replace(">", ">" + str(head), 1))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _svg(spec_json: str) -> str:
    """The SVG of a spec (as JSON, the cache's key), tidied: the root made the console's
    ``<svg class="chart" role="img">``; each mark's ``aria-label`` (its ``description``) made
    a ``<title>`` child; the ARIA roles of the parts dropped (a ``role="img"`` has no parts
    for a screen reader); coordinates rounded to one decimal (a tenth of a pixel)."""
    return _tidy(draw(spec_json))


def draw(spec_json: str) -> str:
    """vl-convert's SVG of a spec, from the renderer process (the seam tests replace)."""
    return vegadraw.RENDERER.draw(spec_json)


def _tidy(raw: str) -> str:
    root = _ROOT.match(raw)
    if root is None:
        raise ValueError(f"vl-convert's output does not start with <svg: {raw[:80]!r}")
    attrs = dict(re.findall(r'([\w:-]+)="([^"]*)"', root[1]))
    # Only tags are touched: a batch name drawn as text may hold anything but "<" and "&".
    body = _TAG.sub(_tidy_tag, raw[root.end() :])
    return (
        f'<svg class="chart" role="img" viewBox="{attrs["viewBox"]}" width="{attrs["width"]}" '
        f'height="{attrs["height"]}" xmlns="http://www.w3.org/2000/svg">{body}'
    )


def _tidy_tag(m: re.Match[str]) -> str:
    tag = _LABELLED.sub(_titled, m[0])
    return _GEOMETRY.sub(_shortened, _ARIA.sub("", tag))


def _shortened(m: re.Match[str]) -> str:
    return f' {m[1]}="{_LONG_NUMBER.sub(_tenth, m[2])}"'


def _tenth(m: re.Match[str]) -> str:
    return f"{float(m[0]):.1f}"


def _titled(m: re.Match[str]) -> str:
    tag, before, label, after, closed = m.groups()
    attrs = (before.rstrip() + after).strip()
    title = f"<title>{label}</title>"  # escaped by Vega, as an attribute value
    return f"<{tag} {attrs}>{title}</{tag}>" if closed else f"<{tag} {attrs}>{title}"


WARM_UP = Chart(
    "warm-up",
    "one bar",
    {"data": {"values": [{"n": 1}]}, "mark": "bar", "encoding": {"x": {"field": "n"}}},
)
_warming = threading.Lock()
_warmed: list[threading.Thread] = []


def warm_up() -> threading.Thread | None:
    """Start the renderer process and its engine from a daemon thread, once per process
    (later calls return the same thread), so the first page with a chart does not wait
    ~1.2 s for it. Never raises: a failed warm-up is logged (None if the thread could not even
    start), and the first chart then pays for the start, or shows its words."""
    with _warming:
        if not _warmed:
            thread = threading.Thread(target=_warm, name="chart-warm-up", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no thread to be had: the first chart starts the renderer
                log.exception("could not start warming up the chart renderer")
                return None
            _warmed.append(thread)
        return _warmed[0]


def _warm() -> None:
    try:
        draw(json.dumps(WARM_UP.spec))
    except Exception:  # the pages still render: each chart falls back on its own
        log.exception("warming up the chart renderer failed")
