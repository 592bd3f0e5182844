"""``seedtrace demo``: the spine end to end on this machine.

Starts a private mosquitto on a free loopback port, a fresh SQLite database under
``var/demo/``, the real ingest server as a subprocess, and a scripted station that publishes
a short floor day over MQTT and prints the server's answer to each event.

The licensee's people are registered first, as ``seedtrace users add`` does: the account
manager by the server operator, the floor worker by the account manager, each with a training
record (USER-AUTHORISED rejects events of anyone else).
"""

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import typer

LICENCE = "OR-DEMO-0001"
STATION = "harvest-1"
ROLL = "1A4FF01000000220000"  # + 5 digits
MANAGER = "ana.chen"
WORKER = "maria.lopez"


class Step(NamedTuple):
    what: str
    payload: dict[str, Any]
    operator: str = WORKER


def _uid(n: int) -> str:
    return f"{ROLL}{n:05d}"


def _reading(grams: str, stable: bool = True) -> dict[str, Any]:
    weight = {"value": grams, "unit": "g"}
    frame = f"S {'S' if stable else 'D'} {Decimal(grams):>10} g\r\n".encode()
    return {
        "device_id": "scale-1",
        "weight": weight,
        "stable": stable,
        "raw_hex": frame.hex(),
        "read_at": datetime.now(UTC).isoformat(),
    }


def scenario() -> list[Step]:
    """What each worker did, for a short floor day."""
    plants = [_uid(n) for n in range(1, 7)]
    steps: list[Step] = [
        Step(
            "Receive a roll of 50 plant tags",
            {"kind": "tags.received", "tag_type": "plant", "first": _uid(1), "last": _uid(50)},
        ),
        Step(
            "Start batch B-2026-001: 12 Blue Dream clones",
            {
                "kind": "plant_batch.created",
                "batch_id": "B-2026-001",
                "origin": "clone",
                "count": 12,
                "strain": "Blue Dream",
                "location": "Veg Room 1",
            },
        ),
        Step(
            "Tag 6 plants of the batch",
            {"kind": "plants.tagged", "batch_id": "B-2026-001", "uids": plants},
        ),
        Step(
            "Move them to flower",
            {
                "kind": "plants.phase_changed",
                "uids": plants,
                "phase": "flowering",
                "location": "Flower Room A",
            },
        ),
    ]
    for uid, grams in zip(plants[:3], ["512.4", "487.95", "530.1"], strict=True):
        steps.append(
            Step(
                f"Harvest plant {uid}, {grams} g wet",
                {
                    "kind": "plant.harvested",
                    "uid": uid,
                    "harvest_batch": "HB-2026-11-22-A",
                    "wet_weight": {"value": grams, "unit": "g"},
                    "scale_reading": _reading(grams),
                    "location": "Drying Room 1",
                },
            )
        )
    steps.append(
        Step(
            f"Scan plant {plants[0]} again by mistake and weigh it (it was harvested)",
            {
                "kind": "plant.harvested",
                "uid": plants[0],
                "harvest_batch": "HB-2026-11-22-A",
                "wet_weight": {"value": "498.0", "unit": "g"},
                "scale_reading": _reading("498.0"),
            },
        )
    )
    steps.append(
        Step(
            "Try to start a batch of 150 seeds",
            {
                "kind": "plant_batch.created",
                "batch_id": "B-2026-002",
                "origin": "seed",
                "count": 150,
                "strain": "Sour Diesel",
                "location": "Nursery",
            },
        )
    )
    steps.append(
        Step(
            "A visitor who was never trained tries to destroy a plant",
            {
                "kind": "plant.destroyed",
                "uid": plants[5],
                "waste_weight": {"value": "350", "unit": "g"},
                "method": "compost",
                "reason": "Mould",
            },
            operator="visitor.1",
        )
    )
    return steps


def run_demo(keep_running: bool = False, workdir: Path = Path("var/demo")) -> None:
    from edge.link import StationLink
    from schemas.acks import Outcome
    from schemas.events import EventEnvelope
    from schemas.ids import new_event_id
    from server.broker import PrivateBroker
    from server.db.engine import make_engine, migrate
    from server.store.licensees import add_licensee
    from server.store.users import register_user

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db_path = workdir.resolve() / "seedtrace.db"
    database_url = f"sqlite:///{db_path}"
    engine = make_engine(database_url)
    migrate(engine)
    add_licensee(
        engine,
        licence=LICENCE,
        name="Demo Farm LLC",
        jurisdiction="OR",
        timezone="America/Los_Angeles",
    )
    register_user(
        engine, LICENCE, MANAGER, "Ana Chen", "account_manager", date(2024, 1, 15), "State"
    )
    register_user(
        engine,
        LICENCE,
        WORKER,
        "Maria Lopez",
        "user",
        date(2024, 1, 22),
        "Ana Chen (account manager)",
        operator_id=MANAGER,
    )
    engine.dispose()

    seedtrace = str(Path(sys.executable).with_name("seedtrace"))
    server_log = workdir / "server.log"
    with PrivateBroker() as broker, server_log.open("ab") as log:
        typer.echo(f"mosquitto  127.0.0.1:{broker.port} (config {broker.conf})")
        server = subprocess.Popen(
            [
                seedtrace,
                "server",
                "--database-url",
                database_url,
                "--mqtt-port",
                str(broker.port),
                "--no-api",  # the demo shows ingest; port 8000 may be taken
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        link = StationLink(LICENCE, STATION, "127.0.0.1", broker.port)
        try:
            link.connect()
            typer.echo(f"server     pid {server.pid}, log {server_log}")
            typer.echo(f"station    {LICENCE}/{STATION}")
            typer.echo(f"staff      {MANAGER} (account manager), {WORKER} (user), trained\n")
            for sequence, (what, payload, operator) in enumerate(scenario(), start=1):
                event = EventEnvelope.model_validate(
                    {
                        "event_id": new_event_id(),
                        "licence": LICENCE,
                        "station_id": STATION,
                        "device_id": "scale-1" if payload["kind"] == "plant.harvested" else None,
                        "operator_id": operator,
                        "sequence": sequence,
                        "occurred_at": datetime.now(UTC),
                        "payload": payload,
                    }
                )
                started = time.perf_counter()
                ack = _publish_until_acked(link, event, timeout=30)
                ms = (time.perf_counter() - started) * 1000
                colour = typer.colors.GREEN if ack.outcome is Outcome.ACCEPTED else typer.colors.RED
                typer.echo(f"#{sequence:<2} {what}")
                typer.secho(f"    {ack.outcome.value} in {ms:.1f} ms", fg=colour)
                for v in ack.violations:
                    typer.secho(f"    {v.rule_id}: {v.message}", fg=colour)
            typer.echo(f"\nThe record: {db_path}")
            typer.echo(
                f"  event log:    sqlite3 {db_path} 'SELECT position, kind, outcome FROM event_log'"
            )
            plants_sql = "SELECT uid, phase, wet_weight_grams FROM plants"
            typer.echo(f"  plants:       sqlite3 {db_path} '{plants_sql}'")
            typer.echo(
                f"  rebuild check: {seedtrace} db rebuild --check --database-url {database_url}"
            )
            if keep_running:
                typer.echo(
                    f"\nRunning: stations publish to seedtrace/v1/{LICENCE}/<station>/events "
                    f"on port {broker.port}. Ctrl-C stops."
                )
                from cli.devices_cmd import wait_for_stop

                wait_for_stop()
        finally:
            link.close()
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


def _publish_until_acked(link: Any, event: Any, timeout: float, resend_after: float = 2.0) -> Any:
    """Publish, and publish the same event again until its ack arrives, as a station's outbox
    does: an event published before the server subscribed is dropped by the broker, and the
    server's idempotency makes resending safe."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        link.publish(event)
        resend_at = time.monotonic() + resend_after
        while (left := resend_at - time.monotonic()) > 0:
            try:
                ack = link.wait_ack(left)
            except TimeoutError:
                break
            if ack.event_id == event.event_id:
                return ack
    raise TimeoutError(f"no ack for event {event.event_id} within {timeout} s")
