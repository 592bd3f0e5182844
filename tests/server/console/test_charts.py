"""The console's charts: Vega-Lite specs built from the data, drawn on the server by
vl-convert into SVG a screen reader can read and a person can hover; words instead of a chart
when the renderer fails, never a broken page."""

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from schemas.clock import ManualClock
from server.api.app import create_app
from server.config import ServerSettings
from server.console import charts, vega
from server.console.queries.history import PHASES, DayCount

LONG = "HB-2026-12-04-Drying Room 1 (north building, second shelf, by the dehumidifier)"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test draws its charts anew (the cache is per process)."""
    vega._svg.cache_clear()
    yield
    vega._svg.cache_clear()


def test_the_wet_weight_spec_holds_the_latest_thirty_batches_with_exact_weights() -> None:
    batches = [(f"HB-{i}", Decimal(f"{i}.05")) for i in range(40)]
    chart = charts.wet_weights_chart(batches)
    assert chart is not None
    rows = chart.spec["data"]["values"]
    assert [r["name"] for r in rows] == [f"HB-{i}" for i in range(10, 40)]
    assert rows[0]["exact"] == "HB-10: 10.05 g"
    assert rows[-1]["weight"] == "39.05 g"
    assert chart.title == "Harvest wet weight per batch (the latest 30 of 40)"
    assert chart.desc.startswith("HB-10: 10.05 g; HB-11: 11.05 g")
    assert charts.wet_weights_chart([]) is None


def test_the_phase_spec_steps_each_day_and_holds_the_last_to_the_next_day() -> None:
    days = [
        DayCount(date(2026, 12, 3), {"immature": 6, "vegetative": 0, "flowering": 1}),
        DayCount(date(2026, 12, 4), {"immature": 6, "vegetative": 0, "flowering": 3}),
    ]
    chart = charts.phases_chart(days)
    assert chart is not None
    flowering = [
        (p["day"], p["plants"]) for p in chart.spec["data"]["values"] if p["phase"] == "flowering"
    ]
    assert flowering == [("2026-12-03", 1), ("2026-12-04", 3), ("2026-12-05", 3)]
    assert chart.spec["mark"]["interpolate"] == "step-after"
    colour = chart.spec["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == charts.PHASE_COLOURS
    assert chart.desc == "On 2026-12-04: 6 immature, 0 vegetative, 3 flowering"
    assert charts.phases_chart([]) is None


def test_with_no_plants_left_the_lines_lie_on_the_floor_and_count_whole_plants() -> None:
    for top in (0, 1):
        days = [DayCount(date(2026, 12, 4), {"immature": top, "vegetative": 0, "flowering": 0})]
        svg = str(charts.phases(days))
        floor = float(re.findall(r'<path class="background" d="M0,0h[\d.]+v([\d.]+)h', svg)[0])
        lines = re.findall(
            r'<path d="M0,([\d.]+)L[^"]*" stroke="#[0-9a-f]{6}" stroke-width="2.5"', svg
        )
        assert [float(y) for y in lines][1:] == [floor, floor]  # vegetative, flowering: none
        assert re.findall(r">(\d+)</text>", svg) == ["0", "1"]  # no "0.5", no "1" twice


def test_a_long_batch_name_is_shortened_beside_its_bar_and_whole_on_hover() -> None:
    svg = str(charts.wet_weights([(LONG, Decimal("1530.45")), ("HB-2", Decimal("80"))]))
    [(title, shown)] = re.findall(r"<text [^>]*><title>([^<]*)</title>([^<]*…)</text>", svg)
    assert title == LONG
    assert LONG.startswith(shown.removesuffix("…"))
    assert len(shown) < len(LONG)
    assert "<title>HB-2</title>HB-2</text>" in svg  # a short name is whole
    assert f"<title>{LONG}: 1530.45 g</title>" in svg  # the bar's hover: name and exact weight
    assert ">1,530.45 g</text>" in svg  # at the bar's end


def test_each_phase_line_says_its_count_on_hover_and_has_its_colour() -> None:
    days = [DayCount(date(2026, 12, 4), {"immature": 6, "vegetative": 0, "flowering": 3})]
    svg = str(charts.phases(days))
    for phase, colour in charts.PHASE_COLOURS.items():
        count = days[0].counts[phase]
        assert re.search(
            rf'stroke="{colour}" stroke-width="2.5"><title>{phase}: {count} on 2026-12-04</title>',
            svg,
        )
        assert f">{phase}</text>" in svg  # the legend
    assert 'fill="#0969da"' in str(charts.wet_weights([("HB-1", Decimal("1"))]))


def test_a_name_that_looks_like_markup_is_drawn_as_written() -> None:
    name = 'HB-1 role="x" d="1.23456" & <b>'
    svg = str(charts.wet_weights([(name, Decimal("5"))]))
    assert '>HB-1 role="x" d="1.23456" &amp; &lt;b&gt;</text>' in svg
    assert "<b>" not in svg


def test_a_chart_is_an_image_with_a_title_and_its_words_for_screen_readers() -> None:
    svg = str(charts.wet_weights([("HB-<1>", Decimal("80"))]))
    assert svg.startswith('<svg class="chart" role="img" viewBox="0 0 880 ')
    head = "<title>Harvest wet weight per batch</title><desc>HB-&lt;1&gt;: 80 g</desc>"
    assert svg.index(head) == svg.index(">") + 1  # the svg's first children
    assert "aria-label" not in svg  # the parts are not read out one by one
    assert "<1>" not in svg


def test_when_the_renderer_fails_the_page_gets_the_words(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise ValueError("Vega-Lite to SVG conversion failed")

    monkeypatch.setattr(vega, "draw", broken)
    with caplog.at_level(logging.ERROR, logger="server.console.vega"):
        shown = str(charts.wet_weights([("HB-<1>", Decimal("1530.45"))]))
    assert shown == (
        '<p class="chart-words">Harvest wet weight per batch: HB-&lt;1&gt;: 1530.45 g</p>'
    )
    assert "could not be drawn" in caplog.text
    assert "Vega-Lite to SVG conversion failed" in caplog.text


def test_the_same_chart_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = []
    real = vega.draw

    def counting(spec: Any, **kwargs: Any) -> str:
        drawn.append(spec)
        return real(spec, **kwargs)

    monkeypatch.setattr(vega, "draw", counting)
    days = [
        DayCount(date(2026, 12, 4) + timedelta(days=i), dict.fromkeys(PHASES, i)) for i in range(3)
    ]
    first = str(charts.phases(days))
    assert str(charts.phases(days)) == first
    assert len(drawn) == 1
    charts.phases(days[:2])  # other data: drawn again
    assert len(drawn) == 2


def test_warming_up_starts_one_renderer_thread_and_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    thread = vega.warm_up()
    assert thread is not None
    assert vega.warm_up() is thread  # once per process
    thread.join(60)
    assert not thread.is_alive()

    def broken(*args: Any, **kwargs: Any) -> str:
        raise ValueError("no renderer")

    monkeypatch.setattr(vega, "draw", broken)
    with caplog.at_level(logging.ERROR, logger="server.console.vega"):
        vega._warm()  # what the thread runs
    assert "warming up the chart renderer failed" in caplog.text


def test_the_app_warms_the_renderer_as_it_starts(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, clock: ManualClock
) -> None:
    started = []
    monkeypatch.setattr(vega, "warm_up", lambda: started.append("warm-up"))
    app = create_app(ServerSettings(), engine, clock=clock)
    assert started == []
    with TestClient(app):
        assert started == ["warm-up"]


def test_charts_are_drawn_in_a_process_of_their_own() -> None:
    # vl-convert holds the GIL while it draws: drawn in the server's process, it would stall
    # the ingest's acks. The engine must live in the renderer's child process.
    script = (
        "import sys\n"
        "from server import vegadraw\n"
        'svg = vegadraw.RENDERER.draw(\'{"data":{"values":[{"n":1}]},"mark":"bar"}\')\n'
        "print(svg.startswith('<svg'), 'vl_convert' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert out == ["True", "False"]  # drawn, and not by this process
