"""``seedtrace server``, ``seedtrace db`` and ``seedtrace licensees``: the central service."""

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.options import with_options
from schemas.clock import SYSTEM_CLOCK, Clock

db_app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)
licensees_app = typer.Typer(help="Register and list licensees.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: $SEEDTRACE_DATABASE_URL or sqlite:///var/seedtrace.db).",
    ),
]
Licence = Annotated[str, typer.Argument(help="Licence number.")]


@contextlib.contextmanager
def bad_parameter(*errors: type[Exception], hint: str | None = None) -> Iterator[None]:
    """Any of ``errors`` raised inside becomes typer's usage error (its message, naming the
    parameter ``hint`` when given; exit status 2)."""
    try:
        yield
    except errors as err:
        raise typer.BadParameter(str(err), param_hint=hint) from err


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError

    from server.config import ServerSettings

    with bad_parameter(ValidationError):
        return ServerSettings(**{k: v for k, v in overrides.items() if v is not None})


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from server.metrics import ServerMetrics


@contextlib.contextmanager
def _engine(database_url: str | None) -> "Iterator[Engine]":
    from server.db.engine import make_engine

    engine = make_engine(_settings(database_url=database_url).database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Overrides:
    """Server settings given on the command line; each one not given (None) comes from
    ``SEEDTRACE_*`` or its default (:class:`server.config.ServerSettings`)."""

    database_url: DatabaseUrl = None
    mqtt_host: Annotated[str | None, typer.Option(help="Broker host.")] = None
    mqtt_port: Annotated[int | None, typer.Option(help="Broker port.")] = None
    client_id: Annotated[
        str | None, typer.Option(help="Stable MQTT client id of this ingest process.")
    ] = None
    api_host: Annotated[str | None, typer.Option(help="Address the REST API listens on.")] = None
    api_port: Annotated[int | None, typer.Option(help="Port of the REST API.")] = None
    log_format: Annotated[
        str | None,
        typer.Option(help="plain (a terminal) or json (production); default $SEEDTRACE_LOG_FORMAT"),
    ] = None


@with_options(Overrides, "overrides")
def serve(
    ingest: Annotated[
        bool, typer.Option("--ingest/--no-ingest", help="Take station events from MQTT.")
    ] = True,
    api: Annotated[
        bool,
        typer.Option(
            "--api/--no-api",
            help="Serve the REST API and the console over HTTP, with the station health "
            "listener (--no-api for extra ingest processes).",
        ),
    ] = True,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations at start.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ERROR.")] = "INFO",
    *,
    overrides: Overrides,
) -> None:
    """Run the central service: the ingest process (events from stations over MQTT, decided,
    stored and answered) and the REST API with the console (HTTP, OpenAPI at /docs).

    Run more ingest processes with different --client-id values and --no-api to split the load
    (PostgreSQL: the processes share the licensees out by leases; SQLite runs one ingest
    process usefully); SIGINT or SIGTERM stops every part cleanly.
    """
    from server.db.engine import make_engine, migrate
    from server.logs import configure
    from server.metrics import ServerMetrics

    if not (ingest or api):
        raise typer.BadParameter("--no-ingest and --no-api leave nothing to run")
    settings = _settings(**vars(overrides))
    configure(log_level, settings.log_format)
    # Every session of this process ends within the lease timeout of this host vanishing, so
    # none of them holds a lock the other hosts wait on (docs/deploy.md, "When a host dies").
    engine = make_engine(settings.database_url, peer_timeout_s=settings.lease_timeout_s)
    if migrate_first:
        migrate(engine)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    clock = SYSTEM_CLOCK  # the one clock of this process: every part below reads it
    metrics = ServerMetrics()  # counted by the ingest, served by the API at /metrics
    http = _start_api(settings, engine, log_level, clock, metrics) if api else None
    # for the console's stations page
    health = _start_health(settings, engine, clock) if api else None
    try:
        if ingest:
            _run_ingest(settings, engine, stop, clock, metrics)
        else:
            stop.wait()
    finally:
        if health is not None:
            health.stop()
        if http is not None:
            server, thread = http
            server.should_exit = True
            thread.join()
        engine.dispose()


def _run_ingest(
    settings: Any, engine: "Engine", stop: threading.Event, clock: Clock, metrics: "ServerMetrics"
) -> None:
    from server.compliance.deadlines import DeadlineEngine, DeadlineSettings
    from server.ingest.pipeline import Pipeline
    from server.ingest.worker import IngestWorker

    deadlines = DeadlineEngine(
        DeadlineSettings(settings.tag_supply_days, settings.tag_supply_window_days)
    )
    pipeline = Pipeline(engine, clock=clock, deadlines=deadlines)
    IngestWorker(settings, pipeline, metrics=metrics).run(stop)


def _start_health(settings: Any, engine: "Engine", clock: Clock) -> Any:
    """The station health listener (server/health): every station's status topic, stored for
    the console. With broker authentication it needs a ``console`` broker account."""
    from server.health.listener import HealthListener

    if settings.mqtt_username is not None and settings.health_mqtt_username is None:
        # The broker wants accounts and the ingest's may not read status topics (and sharing it
        # would knock the ingest off): without a console account, no station health.
        typer.secho(
            "station health is off: set SEEDTRACE_HEALTH_MQTT_USERNAME and "
            "SEEDTRACE_HEALTH_MQTT_PASSWORD to a console broker account (docs/deploy.md)",
            fg=typer.colors.YELLOW,
            err=True,
        )
        return None
    listener = HealthListener(settings, engine, clock=clock)
    listener.start()
    return listener


def api_config(app: Any, settings: Any, log_level: str = "info") -> Any:
    """uvicorn's configuration for the API and console: behind an HTTPS reverse proxy
    (docs/deploy.md), the scheme and client address come from ``X-Forwarded-Proto`` and
    ``X-Forwarded-For``, believed only from ``settings.forwarded_allow_ips``, so the session
    cookie is ``Secure`` and HSTS is sent exactly when the browser spoke HTTPS."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level=log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _start_api(
    settings: Any, engine: "Engine", log_level: str, clock: Clock, metrics: "ServerMetrics"
) -> tuple[Any, threading.Thread]:
    """uvicorn in a thread of its own; signals stay with the main thread (uvicorn installs
    handlers only in the main thread), which tells it to exit."""
    import uvicorn

    from server.api.app import create_app

    app = create_app(settings, engine, clock=clock, metrics=metrics)
    config = api_config(app, settings, log_level)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="seedtrace-api", daemon=True)
    thread.start()
    # Serving is half the service: one that cannot listen (the port taken) stops here.
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not server.started:
        typer.echo(
            f"the REST API cannot listen on {settings.api_host}:{settings.api_port} (see the "
            "log above); choose another --api-port, or --no-api",
            err=True,
        )
        raise typer.Exit(1)
    return server, thread


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    from server.db.engine import current_revision, migrate

    with _engine(database_url) as engine:
        migrate(engine)
        typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("rebuild")
def db_rebuild(
    database_url: DatabaseUrl = None,
    check: Annotated[
        bool, typer.Option(help="Compare only; leave the projections as they are.")
    ] = False,
    per_event: Annotated[
        bool,
        typer.Option(
            help="Replay one event at a time through the reference projections, not in "
            "batches through the ingest's code: a check of that code too, several times slower."
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --check: processes checking licensees side by side, each with its own "
            "database connection (PostgreSQL; SQLite takes one writer at a time).",
        ),
    ] = 1,
) -> None:
    """Rebuild current state (batches, plants, tags, harvests) from the event log."""
    from server.store.rebuild import verify
    from server.store.replay import ReplayError

    if jobs > 1 and not check:
        typer.echo("--jobs needs --check: a rebuild that keeps its result is one transaction")
        raise typer.Exit(2)
    with _engine(database_url) as engine:
        try:
            count, diff = verify(engine, keep=not check, per_event=per_event, jobs=jobs)
        except ReplayError as err:  # the log itself is not one these rules accepted
            typer.echo(f"cannot replay the event log: {err}; nothing was changed", err=True)
            raise typer.Exit(2) from err
    for line in diff:
        typer.echo(line)
    verb = "checked" if check else "rebuilt"
    typer.echo(f"{verb} from {count} accepted events: {len(diff)} differences")
    if diff:
        raise typer.Exit(1)


@licensees_app.command("add")
def licensees_add(
    licence: Annotated[str, typer.Argument(help="Licence number, e.g. 020-1002345ABC.")],
    name: Annotated[str, typer.Option(help="Business name.")],
    jurisdiction: Annotated[str, typer.Option(help="OR, CA or CT.")],
    timezone: Annotated[str, typer.Option(help="IANA zone, e.g. America/Los_Angeles.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Register a licensee; its stations' events are accepted from then on."""
    from server.store.licensees import LicenseeError, add_licensee

    with bad_parameter(LicenseeError), _engine(database_url) as engine:
        add_licensee(
            engine,
            licence=licence,
            name=name,
            jurisdiction=jurisdiction,
            timezone=timezone,
            now=SYSTEM_CLOCK.now(),
        )
    typer.echo(f"registered {licence}")


@licensees_app.command("list")
def licensees_list(database_url: DatabaseUrl = None) -> None:
    """List registered licensees."""
    from server.store.licensees import list_licensees

    with _engine(database_url) as engine:
        rows = list_licensees(engine)
    for licence, name, jurisdiction, tz in rows:
        typer.echo(f"{licence}\t{jurisdiction}\t{tz}\t{name}")


@db_app.command("verify")
def db_verify(
    licence: Annotated[
        str | None, typer.Argument(help="Licence number; every licensee's chain when left out.")
    ] = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            help="A JSON file of checkpoints kept elsewhere (as the API's "
            "/licensees/{licence}/checkpoints returns them, or a list of their items).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Walk the event log's hash chain(s) and check them against the published checkpoints;
    names the first row changed, removed or inserted out of band (exit code 1)."""
    from server.store.integrity import verify

    extra = _read_checkpoints(checkpoints) if checkpoints is not None else []
    with _engine(database_url) as engine:
        walked, findings = verify(engine, licence, extra)
    for finding in findings:
        typer.echo(finding.message)
    typer.echo(f"walked {walked} log rows: {len(findings)} problems")
    if findings:
        raise typer.Exit(1)


def _read_checkpoints(path: Path) -> list[Any]:
    import json

    from pydantic import BaseModel, ValidationError

    from server.store.integrity import Checkpoint

    class _Item(BaseModel):
        licence: str
        taken_at: datetime
        chain_index: int
        row_hash: str
        position: int

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["items"] if isinstance(data, dict) else data
        parsed = [_Item.model_validate(item) for item in items]
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as err:
        raise typer.BadParameter(f"{path}: not a list of checkpoints: {err}") from err
    return [
        Checkpoint(i.licence, i.taken_at, i.chain_index, i.row_hash, i.position) for i in parsed
    ]


@db_app.command("checkpoint")
def db_checkpoint(
    licence: Annotated[
        str | None, typer.Argument(help="Licence number; every licensee when left out.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store today's (UTC) checkpoint of the event log's hash chain(s): each licensee's head,
    published to regulators (the ingest's sweep takes them too)."""
    from server.store.integrity import take_checkpoints

    with _engine(database_url) as engine:
        taken = take_checkpoints(engine, SYSTEM_CLOCK.now(), licence)
    for cp in taken:
        typer.echo(f"{cp.licence}\trow {cp.chain_index}\t{cp.row_hash}\t{cp.taken_at.isoformat()}")
    typer.echo(f"{len(taken)} checkpoints taken")
