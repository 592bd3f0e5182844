"""The demo's state system: the Metrc simulator for the demo's Oregon licensee and the
connector (``seedtrace sync run``) filing the floor day into it (docs/sync.md).

:func:`state_link` starts the simulator in this process (its own SQLite file under the demo's
work directory; the facility, one Metrc user key per person of the demo and the roll of plant
tags the workers receive), links the licensee to it with each person's key stored encrypted,
and starts the connector as its own process beside the ingest server. At the end of the day
:meth:`StateLink.report` waits until everything accepted is filed (or refused) and prints the
ids Metrc gave back, call by call.
"""

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.demo_processes import logged_process
from schemas.clock import SYSTEM_CLOCK

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

VENDOR_KEY = "demo-vendor-key"
FILED_WITHIN_S = 60.0  # how long the report waits for the connector to catch up


def _user_key(user_id: str) -> str:
    # Demo keys only: the simulator knows them, nothing else does.
    return f"demo-metrc-key-{user_id}"


class StateLink:
    def __init__(self, database_url: str, licence: str) -> None:
        self.database_url, self.licence = database_url, licence

    def _pending(self, engine: "Engine") -> int:
        """Calls not settled yet, and accepted events not planned into calls yet."""
        import sqlalchemy as sa

        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT (SELECT count(*) FROM sync_calls WHERE licence = :l AND status "
                        "IN ('pending', 'sent', 'unknown')) + (SELECT count(*) FROM event_log e "
                        "JOIN sync_links k ON k.licence = e.licence WHERE e.licence = :l AND "
                        "e.outcome = 'accepted' AND e.position > k.cursor)"
                    ),
                    {"l": self.licence},
                ).scalar_one()
            )

    def report(self) -> None:
        """Wait for the connector to file the day, then print what Metrc answered."""
        import sqlalchemy as sa

        from server.db.engine import make_engine

        engine = make_engine(self.database_url)
        try:
            deadline = time.monotonic() + FILED_WITHIN_S
            while self._pending(engine) and time.monotonic() < deadline:
                time.sleep(0.5)
            left = self._pending(engine)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT e.position, e.kind, c.action, c.status, c.state_ids, c.message "
                        "FROM sync_calls c JOIN event_log e ON e.event_id = c.event_id "
                        "WHERE c.licence = :l ORDER BY c.position, c.call_index"
                    ),
                    {"l": self.licence},
                ).all()
        finally:
            engine.dispose()
        typer.echo("\nFiled into Metrc (the simulator) by the connector, with the ids it gave:")
        for position, kind, action, status, ids, message in rows:
            shown = f"Ids {ids}" if status == "done" else status.upper()
            note = f"  ({message})" if message and status != "done" else ""
            typer.echo(f"  #{position:<3} {kind:<22} {action:<20} {shown}{note}")
        if left:
            typer.echo(f"  {left} still waiting (see `seedtrace sync status {self.licence}`)")
        else:
            typer.echo("  every accepted event of the day is at Metrc")


@contextlib.contextmanager
def state_link(
    workdir: Path,
    database_url: str,
    seedtrace: str,
    licence: str,
    people: dict[str, str],
    plant_tags: list[str],
) -> Iterator[StateLink]:
    """The Metrc simulator and the connector for ``licence``, whose ``people`` (user id ->
    name) each get a Metrc user key; stopped on leaving."""
    from server.db.engine import make_engine
    from server.statesync.credentials import Credentials, Secret, new_key
    from server.statesync.queue import configure_link
    from server.statesync.simulators import MetrcSimulator

    key = new_key()
    with MetrcSimulator(workdir / "metrc.db", clock=SYSTEM_CLOCK, vendor_key=VENDOR_KEY) as sim:
        sim.app.add_facility(licence, "Demo Farm LLC")
        sim.app.add_tags(licence, "Plant", plant_tags)
        engine = make_engine(database_url)
        try:
            configure_link(engine, licence, sim.url, now=SYSTEM_CLOCK.now())
            for user_id, name in people.items():
                sim.app.add_user(_user_key(user_id), name, [licence])
                secret = Secret(None, _user_key(user_id))
                Credentials(key).store(
                    engine, licence, user_id, "metrc", secret, now=SYSTEM_CLOCK.now()
                )
        finally:
            engine.dispose()
        log = workdir / "sync.log"
        env = {
            **os.environ,
            "SEEDTRACE_SYNC_CREDENTIALS_KEY": key,
            "SEEDTRACE_SYNC_METRC_VENDOR_KEY": VENDOR_KEY,
            "SEEDTRACE_SYNC_POLL_S": "0.2",
        }
        argv = [seedtrace, "sync", "run", "--database-url", database_url]
        with logged_process(argv, log, env) as connector:
            typer.echo(f"metrc sim  {sim.url} (facility {licence}; Metrc v2-shaped)")
            typer.echo(f"connector  pid {connector.pid}, log {log}")
            yield StateLink(database_url, licence)
