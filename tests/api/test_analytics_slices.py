"""The analytics refresh in slices, as the ingest runs it between batches, and in one go, as
``seedtrace analytics refresh`` runs it: the same stored results, the stalest licensee first."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from schemas.clock import ManualClock
from server.analytics.refresh import refresh
from server.analytics.tables import BALANCES, HISTORY, PROJECTIONS, RUNS, SIGNALS
from tests.api.seed import Floor
from tests.api.test_analytics_api import weigh_net
from tests.server.conftest import LICENCE, OTHER_LICENCE
from tests.ticks import Ticking

STORED = (BALANCES, SIGNALS, HISTORY, PROJECTIONS, RUNS)


def stored(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every stored analytics row, but for the row ids, as text, in a fixed order."""
    found = {}
    with engine.connect() as conn:
        for table in STORED:
            columns = [c for c in table.c if c.name != "id"]
            rows = conn.execute(sa.select(*columns))
            found[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return found


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in STORED:
            conn.execute(sa.delete(table))


def test_a_refresh_in_slices_stores_what_one_refresh_stores(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, _ = floors
    weigh_net(engine, clock, ours, "2100")  # more than it weighed wet: a signal to store too
    ticks = Ticking()  # every reading a second later: any deadline is crossed by one licensee
    first = refresh(engine, clock.now(), until=ticks.now, timer=ticks)
    assert (first.refreshed, first.left) == ([OTHER_LICENCE], [LICENCE])
    second = refresh(engine, clock.now(), only=set(first.left), until=ticks.now, timer=ticks)
    assert (second.refreshed, second.left) == ([LICENCE], [])
    sliced = stored(engine)
    assert [r[:2] for r in sliced["analytics_signals"]] == [(LICENCE, "moisture-loss-negative")]
    assert {r[0] for r in sliced["analytics_runs"]} == {LICENCE, OTHER_LICENCE}

    wipe(engine)
    whole = refresh(engine, clock.now())
    assert (whole.refreshed, whole.left) == ([OTHER_LICENCE, LICENCE], [])
    assert first.refreshed == whole.refreshed[:1]  # the slices took a strict prefix first
    assert stored(engine) == sliced


def test_the_stalest_licensee_is_refreshed_first(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    refresh(engine, clock.now())
    clock.advance(60)
    refresh(engine, clock.now(), only={OTHER_LICENCE}, force=True)
    clock.advance(60)
    ticks = Ticking()
    # OR-1001 was refreshed a minute before CA-2002: it goes first, though CA-2002 sorts first.
    first = refresh(engine, clock.now(), force=True, until=ticks.now, timer=ticks)
    assert (first.refreshed, first.left) == ([LICENCE], [OTHER_LICENCE])
    # A generous deadline: everything left, in one slice.
    rest = refresh(engine, clock.now(), force=True, until=ticks.now + 100, timer=ticks)
    assert (rest.refreshed, rest.left) == ([OTHER_LICENCE, LICENCE], [])


def test_the_command_line_refreshes_everyone_in_one_go(
    engine: Engine, clock: ManualClock, floors: tuple[Floor, Floor]
) -> None:
    ours, _ = floors
    weigh_net(engine, clock, ours, "2100")
    url = ["--database-url", engine.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    done = runner.invoke(app, ["analytics", "refresh", *url])
    assert done.exit_code == 0, done.output
    assert "2 licensees refreshed, 0 unchanged; signals 1 raised, 0 still open, 0 cleared" in (
        done.output
    )
    again = runner.invoke(app, ["analytics", "refresh", *url])
    assert "0 licensees refreshed, 2 unchanged" in again.output
    one = runner.invoke(app, ["analytics", "refresh", "--licence", LICENCE, "--force", *url])
    assert "1 licensees refreshed, 0 unchanged; signals 0 raised, 1 still open" in one.output
