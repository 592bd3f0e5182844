"""The console's data queries on SQLite and PostgreSQL: what each page would show."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from schemas.clock import SYSTEM_CLOCK, local_day
from schemas.describe import describe_payload
from server.console import charts
from server.console.queries import feed, history, inventory, reports, tags, trail
from tests.pinned import START
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.server.console.day import PLANTS, floor_day, send
from tests.server.floor import Station, batch_created, tags_received, uid

EVERYONE = feed.FeedFilter()


def test_the_feed_shows_newest_first_with_outcomes_and_reasons(engine: Engine) -> None:
    floor_day(engine)
    rows = feed.recent(engine, [LICENCE], EVERYONE)[:8]  # the floor day, after the roster
    newest = rows[0]
    assert (newest.station_id, newest.operator_id, newest.outcome) == (
        "veg-1",
        "sam.ortiz",
        "rejected",
    )
    assert newest.summary == "Started batch B-2: 150 Blue Dream (clone) in Veg Room 1"
    assert [v.rule_id for v in newest.violations] == ["BATCH-MAX-100"]
    assert "at most 100" in newest.violations[0].message
    assert rows[-1].summary.startswith("Received plant tags 1A4FF0100000022000000001 to")
    assert rows[1].summary == f"Harvested {PLANTS[2]} into HB-1, 530.1 g wet"


def test_the_feed_filters_by_station_and_operator_and_licence(engine: Engine) -> None:
    floor_day(engine)
    send(engine, Station("other-1", OTHER_LICENCE), tags_received(900, 901))
    by_station = feed.recent(engine, [LICENCE], feed.FeedFilter(station="veg-1"))
    assert [r.kind for r in by_station] == ["plant_batch.created"]
    by_operator = feed.recent(engine, [LICENCE], feed.FeedFilter(operator="maria.lopez"))
    assert len(by_operator) == 7
    assert {r.station_id for r in by_operator} == {"harvest-1"}
    assert {r.licence for r in feed.recent(engine, [LICENCE], EVERYONE)} == {LICENCE}
    both = feed.recent(engine, [LICENCE, OTHER_LICENCE], EVERYONE)
    assert {r.licence for r in both} == {LICENCE, OTHER_LICENCE}
    choices = feed.choices(engine, [LICENCE])
    assert choices.stations == ["console", "harvest-1", "veg-1"]  # console: the roster
    assert choices.operators == ["a.chen", "maria.lopez", "sam.ortiz", "seedtrace@server"]


def test_after_gives_only_newer_rows_oldest_first(engine: Engine) -> None:
    before = feed.last_position(engine)  # the roster's events
    assert feed.after(engine, [LICENCE], EVERYONE, before) == []
    stations = floor_day(engine)
    mark = feed.last_position(engine)
    assert feed.after(engine, [LICENCE], EVERYONE, mark) == []
    send(engine, stations["harvest"], batch_created("B-3", 5))
    send(engine, stations["veg"], batch_created("B-4", 5), operator_id="sam.ortiz")
    new = feed.after(engine, [LICENCE], EVERYONE, mark)
    assert [r.summary.split(":")[0] for r in new] == ["Started batch B-3", "Started batch B-4"]
    only_veg = feed.after(engine, [LICENCE], feed.FeedFilter(station="veg-1"), mark)
    assert [r.station_id for r in only_veg] == ["veg-1"]


def test_inventory_counts_plants_by_room_and_phase_and_batches_against_the_limit(
    engine: Engine,
) -> None:
    floor_day(engine)
    inv = inventory.inventory(engine, [LICENCE])
    rooms = {(r.location, r.phase): r.plants for r in inv.rooms}
    # 12 clones, 6 tagged (flowering, in Flower 1), 3 of those harvested.
    assert rooms == {("Veg Room 1", "immature"): 6, ("Flower 1", "flowering"): 3}
    assert inv.phase_totals == {"immature": 6, "vegetative": 0, "flowering": 3}
    [b1] = inv.batches  # B-2 was rejected: it does not exist
    assert (b1.batch_id, b1.immature, b1.tagged, b1.level) == ("B-1", 6, 6, "ok")
    [hb] = inv.harvests
    assert (hb.name, hb.plants) == ("HB-1", 3)
    assert hb.wet_grams == Decimal("1530.45")
    assert hb.dry_grams is None
    assert hb.net_due_at is None  # NET-WEIGHT-60D is California's, and LICENCE is in Oregon


def test_a_california_harvest_batch_has_its_net_weight_due_in_60_days(engine: Engine) -> None:
    floor_day(engine, OTHER_LICENCE)
    [hb] = inventory.inventory(engine, [OTHER_LICENCE]).harvests
    assert hb.net_due_at == hb.first_harvest_at + timedelta(days=60)


def test_a_batch_near_the_limit_is_flagged(engine: Engine) -> None:
    send(engine, Station(), batch_created("B-95", 95))
    [b] = inventory.inventory(engine, [LICENCE]).batches
    assert (b.immature, b.level) == (95, "near")


def test_tag_stock_says_how_many_days_are_left(engine: Engine) -> None:
    floor_day(engine)  # 50 received, 6 assigned today
    [plant] = tags.stock(engine, [LICENCE], datetime.now(UTC))
    assert (plant.tag_type, plant.available, plant.assigned, plant.used_in_window) == (
        "plant",
        44,
        6,
        6,
    )
    assert plant.per_day == Decimal(6) / 30
    assert plant.days_left == 220  # 44 / (6 / 30)
    assert not plant.low
    # Thirty-one days later nothing was used in the window: no rate, no estimate.
    [later] = tags.stock(engine, [LICENCE], datetime.now(UTC) + timedelta(days=31))
    assert later.days_left is None


def test_tag_stock_is_low_when_it_runs_out_soon(engine: Engine) -> None:
    station = Station()
    send(engine, station, tags_received(1, 10))
    send(engine, station, batch_created("B-1", 20))
    from tests.server.floor import tagged

    send(engine, station, tagged("B-1", [uid(n) for n in range(1, 10)]))
    [t] = tags.stock(engine, [LICENCE], datetime.now(UTC))
    assert (t.available, t.days_left, t.low) == (1, 3, True)


def test_the_audit_trail_of_a_plant_lists_every_event_that_touched_it(engine: Engine) -> None:
    floor_day(engine)
    entries = trail.entries(engine, [LICENCE], PLANTS[0])
    assert [e.event.kind for e in entries] == [
        "tags.received",  # its UID came in a roll: first..last covers it
        "plants.tagged",
        "plants.phase_changed",
        "plant.harvested",
    ]
    assert trail.entries(engine, [OTHER_LICENCE], PLANTS[0]) == []
    assert [e.event.kind for e in trail.entries(engine, [LICENCE], "B-2")] == [
        "plant_batch.created"
    ]
    assert trail.entries(engine, [LICENCE], "%") == []  # LIKE wildcards are literal


def test_corrections_sit_beside_the_event_they_correct() -> None:
    def row(position: int, event_id: str, corrects: str | None = None) -> feed.FeedRow:
        at = datetime(2026, 11, 24, tzinfo=UTC)
        return feed.FeedRow(
            position,
            event_id,
            LICENCE,
            "s",
            "op",
            None,
            "k",
            at,
            at,
            "accepted",
            "x",
            corrects=corrects,
        )

    entries = trail.pair([row(1, "a"), row(2, "b"), row(3, "c", corrects="a")])
    assert [e.event.event_id for e in entries] == ["a", "b"]
    assert [c.event_id for c in entries[0].corrections] == ["c"]


def test_describe_handles_every_shape_it_may_meet() -> None:
    assert describe_payload({"kind": "no.such.kind"}) == "no.such.kind"
    assert describe_payload({"kind": "plant.harvested"}) == "plant.harvested"  # missing fields
    correction = describe_payload(
        {
            "kind": "record.corrected",
            "corrects": "e-1",
            "reason": "wrong scale",
            "replacement": {"kind": "tag.retired", "uid": "U1", "reason": "damaged"},
        }
    )
    assert correction == "Correction of e-1: Retired tag U1 (damaged) (wrong scale)"


def test_seeds_count_as_immature_plants_once_germinated(engine: Engine) -> None:
    """150 seeds are no plants: the batch shows 0 of 100 and its 150 seeds; once 40 come up
    (the feed says so) it shows 40 of 100, in its room and in the chart's immature count."""
    station = Station("veg-1")
    send(engine, station, {**batch_created("B-S", 150), "origin": "seed"})
    [b] = inventory.inventory(engine, [LICENCE]).batches
    assert (b.batch_id, b.immature, b.unsprouted) == ("B-S", 0, 150)
    germinated = {"kind": "plant_batch.germinated", "batch_id": "B-S", "count": 40}
    assert send(engine, station, germinated).outcome.value == "accepted"
    inv = inventory.inventory(engine, [LICENCE])
    [b] = inv.batches
    assert (b.immature, b.unsprouted, b.level) == (40, 110, "ok")
    assert {(r.location, r.phase): r.plants for r in inv.rooms} == {("Veg Room 1", "immature"): 40}
    newest = feed.recent(engine, [LICENCE], EVERYONE)[0]
    assert newest.summary == "40 seeds or cultures of batch B-S became plants"
    now = datetime.now(UTC)
    [*_, today] = history.phases_over_time(engine, [LICENCE], now)
    assert today.counts == {"immature": 40, "vegetative": 0, "flowering": 0}


def test_plants_per_phase_over_time_ends_with_today(engine: Engine) -> None:
    floor_day(engine)  # stamped by the system clock
    now = datetime.now(UTC)
    today = local_day(now, "America/Los_Angeles")  # the licensee's day, not the UTC one
    days = history.phases_over_time(engine, [LICENCE], now + timedelta(days=2))
    assert [d.day for d in days] == [today + timedelta(days=i) for i in range(3)]
    assert days[-1].counts == {"immature": 6, "vegetative": 0, "flowering": 3}
    svg = str(charts.phases(days))
    assert svg.startswith('<svg class="chart"')
    assert "6 immature, 0 vegetative, 3 flowering" in svg


def test_the_wet_weight_chart_names_each_batch_and_its_exact_weight() -> None:
    svg = str(charts.wet_weights([("HB-1", Decimal("1530.45")), ("HB-<2>", Decimal("80"))]))
    assert "HB-1: 1530.45 g" in svg
    assert "HB-&lt;2&gt;" in svg  # escaped
    assert "<2>" not in svg
    assert str(charts.wet_weights([])) == '<p class="muted">No harvests yet.</p>'


def test_the_reconciliation_sheet_lists_what_must_be_counted(engine: Engine) -> None:
    floor_day(engine)
    rec = reports.reconciliation(engine, [LICENCE])
    assert [(p.uid, p.location, p.phase) for p in rec.plants] == [
        (uid_, "Flower 1", "flowering") for uid_ in PLANTS[3:]
    ]
    assert [(b.batch_id, b.immature) for b in rec.batches] == [("B-1", 6)]
    assert [h.name for h in rec.harvests] == ["HB-1"]
    assert rec.history == []


def test_the_audit_report_counts_outcomes_and_rejections_per_rule(engine: Engine) -> None:
    floor_day(engine)
    send(engine, Station("veg-9"), batch_created("B-9", 101))
    # The roster was registered at the test clock's start, the floor day happens now.
    start = START - timedelta(hours=1)
    report = reports.audit(engine, [LICENCE], start, datetime.now(UTC) + timedelta(hours=1))
    assert report.total == 4 + 2 + 8 + 1  # roster, sam.ortiz, the floor day, B-9
    created = next(k for k in report.kinds if k.kind == "plant_batch.created")
    assert (created.accepted, created.rejected) == (1, 2)
    assert report.rules == [("BATCH-MAX-100", 2)]
    assert [r.summary.split(":")[0] for r in report.rejected] == [
        "Started batch B-2",
        "Started batch B-9",
    ]
    later = reports.audit(engine, [LICENCE], start + timedelta(hours=2), start + timedelta(days=1))
    assert (later.total, later.rejected) == (0, [])


def test_a_real_correction_sits_beside_the_harvest_it_corrects(engine: Engine) -> None:
    from schemas.events import RecordCorrected
    from server.ingest.submit import submit
    from tests.server.floor import MANAGER, harvested

    floor_day(engine)
    [original] = [
        e.event
        for e in trail.entries(engine, [LICENCE], PLANTS[0])
        if e.event.kind == "plant.harvested"
    ]
    replacement = harvested(PLANTS[0], "500.0", harvest_batch="HB-1")
    ack = submit(
        engine,
        LICENCE,
        MANAGER,
        RecordCorrected.model_validate(
            {
                "corrects": original.event_id,
                "reason": "the scale was not zeroed",
                "discovered_at": datetime.now(UTC).isoformat(),
                "replacement": replacement,
            }
        ),
        clock=SYSTEM_CLOCK,
    )
    assert ack.outcome.value == "accepted", ack
    entries = trail.entries(engine, [LICENCE], PLANTS[0])
    harvest = next(e for e in entries if e.event.event_id == original.event_id)
    assert harvest.event.summary.endswith("512.4 g wet")  # the original, as it was
    [correction] = harvest.corrections
    assert correction.summary.startswith(f"Correction of {original.event_id}: Harvested")
    assert "500.0 g wet" in correction.summary
    assert len(entries) == 4  # the correction is beside, not a row of its own


def test_relative_times_read_naturally() -> None:
    from server.console.render import ago

    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=3), now) == "just now"
    assert ago(now - timedelta(minutes=12), now) == "12 min ago"
    assert ago(now + timedelta(hours=5), now) == "in 5 h"
    assert ago(now - timedelta(days=4), now) == "4 days ago"
    assert ago(None, now) == "never"


def test_packages_on_the_premises_are_in_the_inventory(engine: Engine) -> None:
    from tests.server import domain as d

    stations = floor_day(engine)
    harvest = stations["harvest"]
    assert send(engine, harvest, d.package_tags_received(1, 5)).outcome.value == "accepted"
    pkg = d.package_uid(1)
    ack = send(engine, harvest, d.package_created(pkg, [("HB-1", "100")]))
    assert ack.outcome.value == "accepted", ack
    [p] = inventory.inventory(engine, [LICENCE]).packages
    assert (p.uid, p.category, p.grams, p.status) == (pkg, "flower", Decimal("100"), "on_hand")


def test_an_accepted_but_late_event_carries_its_notice_in_the_feed(engine: Engine) -> None:
    from tests.server.floor import harvested

    stations = floor_day(engine, OTHER_LICENCE)  # California: DISPOSITION-3BD applies
    late = send(
        engine,
        stations["harvest"],
        harvested(PLANTS[3], "501.0", harvest_batch="HB-1"),
        occurred_at=datetime.now(UTC) - timedelta(days=10),
    )
    assert late.outcome.value == "accepted"
    assert [n.rule_id for n in late.notices] == ["DISPOSITION-3BD"]
    [row] = feed.recent(engine, [OTHER_LICENCE], EVERYONE, limit=1)
    assert row.accepted
    assert [n.rule_id for n in row.notices] == ["DISPOSITION-3BD"]
    assert row.notices[0].message == late.notices[0].message


def phase_lines(svg: str) -> dict[str, list[tuple[float, float]]]:
    """The phase chart's lines, by colour: the points of each (SVG "M"/"L" path commands)."""
    lines = {}
    for d, colour in re.findall(
        r'<path d="([^"]*)" stroke="(#[0-9a-f]{6})" stroke-width="2.5"', svg
    ):
        pairs = re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)
        lines[colour] = [(float(x), float(y)) for x, y in pairs]
    return lines


def test_charts_read_well_with_one_day_and_with_a_year() -> None:
    from datetime import date as day_

    one = str(charts.phases([history.DayCount(day_(2026, 12, 4), {p: 3 for p in history.PHASES})]))
    # One day is a line across the chart (a step over the day), not a lone dot: each phase's
    # line runs level from the plot's left edge to its right edge.
    plot_w = float(re.findall(r'<path class="background" d="M0,0h([\d.]+)v', one)[0])
    lines = phase_lines(one)
    assert sorted(lines) == sorted(charts.PHASE_COLOURS.values())
    for points in lines.values():
        assert {x for x, _ in points} == {0.0, plot_w}
        assert len({y for _, y in points}) == 1
    assert "<circle" not in one
    year = [
        history.DayCount(day_(2026, 1, 1) + timedelta(days=i), {p: i for p in history.PHASES})
        for i in range(365)
    ]
    svg = str(charts.phases(year))
    dates = re.findall(r">(\d{4}-\d{2}-\d{2})</text>", svg)
    assert len(dates) == 6  # spread over the year, not only the ends
    assert (dates[0], dates[-1]) == ("2026-01-01", "2026-12-31")
    name = "HB-2026-12-04-Drying Room 1"
    bars = str(charts.wet_weights([(name, Decimal("1530.45")), ("HB-2", Decimal("0"))]))
    assert f">{name}</text>" in bars  # written out in full, not cut
    assert "1,530.45 g" in bars
    many = [(f"HB-{i}", Decimal(i + 1)) for i in range(40)]
    assert "the latest 30 of 40" in str(charts.wet_weights(many))
