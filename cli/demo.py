"""``seedtrace demo``: a floor day at three simulated stations, through the real station agent.

Starts a private mosquitto on a free loopback port, a fresh SQLite database under
``var/demo/``, the real ingest server, the Metrc simulator with the connector filing the
licensee's accepted events into it (:mod:`cli.demo_state`), and three stations, each a real
``seedtrace edge`` process with its own config (``var/demo/<station>/station.toml``) and its
simulated devices (a UHF RFID module and a scale on ptys, a camera playing rendered labels),
which this process holds. Scripted workers then do a floor day at the stations' displays: tags
received, a batch started and tagged, plants flowered, one culled, harvested with stable
weights, a rejection and a refusal, and a broker outage in the middle of the harvest (the
station keeps working, documents the loss of access and backfills). Every answer the station
shows is printed; each station's display URL is printed so you can open it in a browser. At
the end the ids Metrc gave back for each filed call are printed.

The licensee's people are registered first, as ``seedtrace users add`` does: the account
manager by the server operator, the floor workers by the account manager, each with a training
record (USER-AUTHORISED rejects events of anyone else).
"""

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.demo_console import DEMO_PORT
from cli.demo_guard import console_port, demo_lock
from cli.demo_processes import logged_process, reap, start_logged
from schemas.clock import SYSTEM_CLOCK

if TYPE_CHECKING:
    from cli.demo_floor import Worker
    from devices.sim.scales import ScaleSimulator
    from devices.sim.uhf import UhfModuleSim

LICENCE = "OR-DEMO-0001"
MANAGER = "ana.chen"
PASSWORD = "demo-password"
WORKERS = {  # user id -> (name, station)
    "maria.lopez": ("Maria Lopez", "veg-1"),
    "sam.okafor": ("Sam Okafor", "flower-1"),
    "jo.garcia": ("Jo Garcia", "harvest-1"),
}
ROLL = "1A4FF0100000022000"  # + 6 digits: a 24-character plant tag


def uid(n: int) -> str:
    return f"{ROLL}{n:06d}"


def _register_people(engine: Any) -> None:
    from server.ingest.users import register_user

    register_user(
        engine,
        LICENCE,
        MANAGER,
        "Ana Chen",
        "account_manager",
        date(2024, 1, 15),
        "State",
        clock=SYSTEM_CLOCK,
    )
    for user_id, (name, _station) in WORKERS.items():
        register_user(
            engine,
            LICENCE,
            user_id,
            name,
            "user",
            date(2024, 1, 22),
            "Ana Chen (account manager)",
            operator_id=MANAGER,
            clock=SYSTEM_CLOCK,
        )


def _station_config(
    workdir: Path,
    station: str,
    location: str,
    broker_port: int,
    devices: dict[str, Any],
    **extra: Any,
) -> Path:
    from edge.secrets import hash_secret
    from edge.toml_out import dumps
    from server.broker import free_port

    password = hash_secret(PASSWORD, log2_n=12)
    data = {
        "licence": LICENCE,
        "station_id": station,
        "location": location,
        "time_zone": "America/Los_Angeles",
        "kind": "demo",
        "data_dir": str((workdir / station).resolve()),
        "broker": {"url": f"mqtt://127.0.0.1:{broker_port}"},
        "devices": devices,
        "access": {"lost_after_s": 5.0},
        "outbox": {"resend_after_s": 3.0},
        "display": {"host": "127.0.0.1", "port": free_port()},
        "floor": {
            "rooms": ["Veg Room 1", "Flower Room A", "Flower Room B"],
            "drying_rooms": ["Drying Room 1"],
            "strains": ["Blue Dream", "Sour Diesel"],
        },
        "operators": [
            {"user_id": user_id, "name": name, "password_hash": password}
            for user_id, (name, _station) in WORKERS.items()
        ],
        **extra,
    }
    path = workdir / station / "station.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data))
    return path


class Stations:
    """The three station agents as subprocesses, and the devices this process holds for them."""

    def __init__(self, workdir: Path, broker_port: int, seedtrace: str) -> None:
        from cli.demo_floor import CameraBench
        from devices.sim.scales import ScaleSimulator
        from devices.sim.uhf import UhfModuleSim

        self.workdir, self.seedtrace = workdir, seedtrace
        self.uhf = {s: UhfModuleSim() for s in ("veg-1", "flower-1", "harvest-1")}
        self.scales = {s: ScaleSimulator("mt-sics", weight="0") for s in ("flower-1", "harvest-1")}
        self.camera = CameraBench(workdir / "veg-1" / "bench")
        for sim in self._sims():
            sim.start()

        def reader(s: str) -> dict[str, str]:
            return {"url": self.uhf[s].url + "&window=0.5", "role": "tags"}

        def scale(s: str) -> dict[str, str]:
            return {"url": self.scales[s].url, "role": "scale"}

        self.configs = {
            "veg-1": _station_config(
                workdir,
                "veg-1",
                "Veg Room 1",
                broker_port,
                {
                    "reader-1": reader("veg-1"),
                    "camera-1": {"url": self.camera.url, "role": "barcode"},
                },
                workflows=[
                    "receive_tags",
                    "start_batch",
                    "germinate",
                    "tag_plants",
                    "change_phase",
                ],
            ),
            "flower-1": _station_config(
                workdir,
                "flower-1",
                "Flower Room A",
                broker_port,
                {"reader-1": reader("flower-1"), "scale-1": scale("flower-1")},
                workflows=["change_phase", "move", "destroy", "waste"],
            ),
            "harvest-1": _station_config(
                workdir,
                "harvest-1",
                "Drying Room 1",
                broker_port,
                {"reader-1": reader("harvest-1"), "scale-1": scale("harvest-1")},
                workflows=["harvest", "weigh_batch", "destroy"],
            ),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def start(self) -> None:
        from edge.config import load_config
        from edge.remote import StationClient

        for station, path in self.configs.items():
            config = load_config(path)
            log = path.with_name("agent.log")
            argv = [self.seedtrace, "edge", "--config", str(path)]
            self.processes[station] = start_logged(argv, log)
            self.urls[station] = f"http://127.0.0.1:{config.display.port}/"
        for station, url in self.urls.items():
            StationClient(url).wait_up(timeout=30)
            log = self.configs[station].with_name("agent.log")
            typer.echo(f"station    {station:<10} display {url}  (log {log})")

    def _sims(self) -> "list[UhfModuleSim | ScaleSimulator]":
        return [*self.uhf.values(), *self.scales.values()]

    def client(self, station: str) -> Any:
        from edge.remote import StationClient

        return StationClient(self.urls[station])

    def worker(self, name: str, station: str) -> "Worker":
        """``name`` at ``station``'s display with its devices: its UHF module, its scale if it
        has one, and at veg-1 the camera bench."""
        from cli.demo_floor import Worker

        camera = self.camera if station == "veg-1" else None
        scale = self.scales.get(station)
        return Worker(
            name, station, self.client(station), uhf=self.uhf[station], scale=scale, camera=camera
        )

    def close(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            reap(process)
        for sim in self._sims():
            sim.close()
        self.camera.close()


def floor_day(stations: Stations, broker: Any) -> None:
    """What the workers do; each step prints the station's answer."""
    plants = [uid(n) for n in range(1, 7)]
    maria = stations.worker("Maria", "veg-1")
    sam = stations.worker("Sam", "flower-1")
    jo = stations.worker("Jo", "harvest-1")
    typer.echo("\nMorning, Veg Room 1")
    maria.sign_in("maria.lopez", PASSWORD)
    maria.mode("receive_tags")
    maria.show_label(uid(1))
    maria.show_label(uid(50))
    maria.choose("done", "yes")
    maria.answer("receives a roll of 50 plant tags: first and last label under the camera")
    maria.mode("start_batch")
    for key, value in [("origin", "clone"), ("strain", "Blue Dream"), ("count", "12")]:
        maria.choose(key, value)
    maria.choose("batch_id", "B-2026-001")
    maria.choose("confirm", "yes")
    maria.answer("starts batch B-2026-001: 12 Blue Dream clones")
    maria.mode("tag_plants")
    for plant in plants:
        maria.scan(plant)
        maria.answer(f"tags a plant of B-2026-001 with {plant}")
    maria.mode("change_phase")
    for plant in plants:
        maria.scan(plant)
    maria.choose("room", "Flower Room A")
    maria.choose("done", "yes")
    maria.answer("moves the 6 plants to flowering, Flower Room A")

    typer.echo("\nWeeks later, Flower Room A")
    sam.sign_in("sam.okafor", PASSWORD)
    sam.mode("destroy")
    sam.scan(plants[5])
    sam.weigh("38.50")
    time.sleep(1.0)  # the scale settles; the station takes the stable weight
    sam.choose("method", "compost")
    sam.choose("reason", "Male plant")
    sam.answer(f"culls male plant {plants[5]}: 38.50 g, composted")
    sam.clear_pan()

    typer.echo("\nHarvest day, Drying Room 1")
    jo.sign_in("jo.garcia", PASSWORD)
    jo.mode("harvest")
    for plant, grams in zip(plants[:2], ["512.40", "487.95"], strict=True):
        jo.scan(plant)
        jo.weigh(grams)
        jo.answer(f"harvests {plant}: {grams} g wet, stable")
        jo.clear_pan()
    jo.scan(plants[5])
    jo.weigh("40.00")
    jo.answer(f"harvests {plants[5]}, the plant Sam culled")
    jo.clear_pan()
    jo.scan(plants[0])
    jo.answer(f"scans {plants[0]} again by mistake")

    typer.echo("\nThe broker goes down mid-harvest (a network outage)")
    broker.stop()
    jo.client.wait("the loss of access", lambda v: v["access_lost"], timeout=30)
    typer.secho(f"  [harvest-1] display: {jo.client.state()['banner']}", fg=typer.colors.YELLOW)
    for plant, grams in zip(plants[2:5], ["530.10", "501.00", "476.25"], strict=True):
        jo.scan(plant)
        jo.weigh(grams)
        jo.answer(f"harvests {plant}: {grams} g wet, while offline")
        jo.clear_pan()
    typer.secho(f"  [harvest-1] display: {jo.client.state()['banner']}", fg=typer.colors.YELLOW)
    broker.start()
    typer.echo("  The broker is back; the station sends its backlog in order")
    jo.client.wait("the backlog entered", lambda v: v["waiting"] == 0 and v["online"], 90)
    jo.say("sees the station online again: every event entered, in order", "accepted")
    for worker in (maria, sam):  # their stations documented the outage too
        worker.client.wait(
            f"{worker.station}'s backlog entered", lambda v: v["waiting"] == 0 and v["online"], 90
        )


def _summary(database_url: str) -> None:
    import sqlalchemy as sa

    from server.db.engine import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT station_id, outcome, count(*) FROM event_log "
                "WHERE station_id != 'console' GROUP BY station_id, outcome ORDER BY 1, 2"
            )
        ).all()
        kinds = conn.execute(
            sa.text(
                "SELECT sequence, kind, outcome FROM event_log "
                "WHERE station_id = 'harvest-1' ORDER BY sequence"
            )
        ).all()
    engine.dispose()
    typer.echo("\nThe server's event log, per station:")
    for station, outcome, count in rows:
        typer.echo(f"  {station:<10} {outcome:<9} {count}")
    typer.echo("  harvest-1, in sequence: " + ", ".join(f"#{s} {k} ({o})" for s, k, o in kinds))


@contextlib.contextmanager
def _server(seedtrace: str, database_url: str, port: int, log: Path) -> Iterator[None]:
    # --no-api: ingest only; the console (API included) is served by the demo
    argv = [
        seedtrace,
        "server",
        "--database-url",
        database_url,
        "--mqtt-port",
        str(port),
        "--no-api",
    ]
    with logged_process(argv, log) as server:
        typer.echo(f"server     pid {server.pid}, log {log}")
        yield


def run_demo(
    keep_running: bool = False, workdir: Path = Path("var/demo"), port: int = DEMO_PORT
) -> None:
    """Run the demo in ``workdir`` (wiped first) with the console on ``port`` (0: a free one).

    Raises DemoRefused, having changed nothing, while another demo runs on ``workdir`` or when
    the port is taken. Ctrl-C (KeyboardInterrupt) at any point stops everything it started and
    prints a "stopped" line; it is not an error."""
    with demo_lock(workdir):  # before anything is deleted
        if port != 0:  # a given port must be free before anything is deleted
            port = console_port(port)
        stopped = keep_running  # then only Ctrl-C or SIGTERM ends it
        try:
            _run(keep_running, workdir, port)
        except KeyboardInterrupt:
            stopped = True  # _run's finally blocks stopped the stations, console, server, broker
        done = "stopped" if stopped else "finished"
        typer.echo(f"demo {done}: everything it started is shut down; the record is in {workdir}")


def _run(keep_running: bool, workdir: Path, port: int) -> None:
    from cli.demo_console import start_console
    from cli.demo_state import state_link
    from server.broker import PrivateBroker
    from server.db.engine import make_engine, migrate
    from server.store.licensees import add_licensee

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
        now=SYSTEM_CLOCK.now(),
    )
    _register_people(engine)
    engine.dispose()

    seedtrace = str(Path(sys.executable).with_name("seedtrace"))
    with (
        PrivateBroker() as broker,
        _server(seedtrace, database_url, broker.port, workdir / "server.log"),
        contextlib.ExitStack() as stack,
    ):
        typer.echo(f"mosquitto  127.0.0.1:{broker.port} (config {broker.conf})")
        typer.echo(f"staff      {MANAGER} (account manager); {', '.join(WORKERS)} (trained users)")
        people = [(MANAGER, "account manager"), *((w, "floor worker") for w in WORKERS)]
        console = start_console(database_url, broker.port, LICENCE, people, port=port)
        names = {MANAGER: "Ana Chen", **{w: name for w, (name, _s) in WORKERS.items()}}
        tags = [uid(n) for n in range(1, 51)]  # Metrc issued the roll the workers receive
        link = stack.enter_context(
            state_link(workdir, database_url, seedtrace, LICENCE, names, tags)
        )
        stations = Stations(workdir, broker.port, seedtrace)
        try:
            stations.start()
            floor_day(stations, broker)
            _summary(database_url)
            link.report()
            typer.echo(f"\nThe record: {db_path}")
            typer.echo(
                f"  rebuild check: {seedtrace} db rebuild --check --database-url {database_url}"
            )
            if keep_running:
                typer.echo(
                    f"\nThe stations and the console ({console.url}) keep running; open a "
                    "display or sign in above. Ctrl-C stops."
                )
                from cli.devices_cmd import wait_for_stop

                wait_for_stop()
        finally:
            stations.close()
            console.stop()
