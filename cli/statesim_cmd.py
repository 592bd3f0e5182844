"""``seedtrace sim``: simulators. ``sim metrc`` and ``sim biotrack`` run a state-API simulator
(``server/statesync``); any other name is a device simulator, as before
(``seedtrace sim scale --protocol nci``, handled by :func:`cli.devices_cmd.sim`).

Each state simulator prints the URL it serves (stdout, one line) and runs until Ctrl-C or
SIGTERM. Fault knobs given here are in force from the start; ``POST URL/_sim/faults`` changes
them while it runs (docs/sync.md).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cli import devices_cmd
from cli.options import with_options

STATE_SIMULATORS = ("biotrack", "metrc")


class _SimGroup(TyperGroup):
    """Routes a name that is not a state simulator to the device simulators' command."""

    # Typed loosely: Typer vendors its own click, whose classes are not importable publicly.
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            return args[0], self.commands["device"], args
        return super().resolve_command(ctx, args)


sim_app = typer.Typer(
    cls=_SimGroup,
    invoke_without_command=True,
    help="Run a simulator: a state API (metrc, biotrack) or a device (scale, uhf, ...).",
    epilog="Any other NAME runs a device simulator: seedtrace sim NAME [--protocol P] "
    "[-o key=value]. Without a NAME (or with --list): the simulators.",
)
sim_app.command("device", hidden=True)(devices_cmd.sim)


@sim_app.callback()
def sim_list(
    ctx: typer.Context,
    list_names: Annotated[bool, typer.Option("--list", help="List the simulators.")] = False,
) -> None:
    """Without a name: list the simulators."""
    if ctx.invoked_subcommand is None or list_names:
        from devices.registry import SIMULATORS

        for known in sorted([*SIMULATORS, *STATE_SIMULATORS]):
            typer.echo(known)


Host = Annotated[str, typer.Option(help="Address to listen on (loopback by default).")]
Port = Annotated[int, typer.Option(help="Port; 0 picks a free one (printed).")]
Seed = Annotated[int, typer.Option(help="Seed of the fault randomness (reproducible runs).")]
ErrorRate = Annotated[float, typer.Option(help="Fraction of requests answered 500.")]
Latency = Annotated[float, typer.Option("--latency", help="Seconds every request waits.")]
LoseRate = Annotated[float, typer.Option(help="Fraction of writes kept, answer dropped.")]
Storm = Annotated[
    float, typer.Option("--storm", help="Seconds of 429 for every request, from start.")
]
StormRetry = Annotated[
    int, typer.Option("--storm-retry-after", help="Retry-After of the 429 storm, seconds.")
]
Outage = Annotated[
    float, typer.Option("--outage", help="Seconds of 503 for every request, from start.")
]
SessionTtl = Annotated[float | None, typer.Option("--session-ttl", help="Seconds a session lives.")]


@dataclass(frozen=True)
class Serve:
    """The options every state simulator takes: where it listens (``host``, ``port``) and the
    faults it starts with (the rest, named as FaultSettings names them)."""

    host: Host = "127.0.0.1"
    port: Port = 0
    seed: Seed = 0
    error_rate: ErrorRate = 0.0
    latency_s: Latency = 0.0
    lose_rate: LoseRate = 0.0
    storm_s: Storm = 0.0
    storm_retry_after_s: StormRetry = 1
    outage_s: Outage = 0.0
    session_ttl_s: SessionTtl = None

    def faults(self) -> Any:
        """The FaultSettings of these knobs; knobs it refuses are a usage error."""
        from server.statesync.faults import FaultSettings

        knobs = {k: v for k, v in vars(self).items() if k not in ("host", "port")}
        try:
            return FaultSettings(**knobs)
        except ValueError as err:
            raise typer.BadParameter(str(err)) from err


def _split(value: str, parts: int, flag: str, shape: str) -> list[str]:
    found = value.split(":", parts - 1)
    if len(found) != parts or "" in found:
        raise typer.BadParameter(f"{value!r} is not {shape}", param_hint=flag)
    return found


def _run(simulator: Any) -> None:
    with simulator:
        typer.echo(simulator.url)
        typer.echo("Running; Ctrl-C stops.", err=True)
        devices_cmd.wait_for_stop()


@sim_app.command("metrc")
@with_options(Serve, "serve")
def metrc(
    db: Annotated[Path, typer.Option(help="The simulator's SQLite file.")] = Path("metrc-sim.db"),
    vendor_key: Annotated[str, typer.Option(help="The integrator's vendor key it accepts.")] = (
        "seedtrace-sim-vendor"
    ),
    facility: Annotated[list[str] | None, typer.Option(help="LICENCE:NAME, repeatable.")] = None,
    user: Annotated[
        list[str] | None,
        typer.Option(help="USERKEY:LICENCE[,LICENCE...], repeatable; all permissions."),
    ] = None,
    plant_tags: Annotated[
        list[str] | None, typer.Option(help="LICENCE:FIRST:LAST plant tag roll, repeatable.")
    ] = None,
    package_tags: Annotated[
        list[str] | None, typer.Option(help="LICENCE:FIRST:LAST package tag roll, repeatable.")
    ] = None,
    rate_limit: Annotated[int, typer.Option(help="Requests per second per facility.")] = 50,
    *,
    serve: Serve,
) -> None:
    """Run the Metrc v2-shaped simulator; prints its URL.

    Example: seedtrace sim metrc --facility 020-1001:Farm --user k1:020-1001
    --plant-tags 020-1001:1A4000000000000000000001:1A4000000000000000000100
    """
    from schemas.clock import SYSTEM_CLOCK
    from schemas.events import tag_range
    from server.statesync.simulators import MetrcSimulator

    simulator = MetrcSimulator(
        db,
        clock=SYSTEM_CLOCK,
        vendor_key=vendor_key,
        faults=serve.faults(),
        rate_limit_per_s=rate_limit,
        host=serve.host,
        port=serve.port,
    )
    try:
        for item in facility or []:
            licence, name = _split(item, 2, "--facility", "LICENCE:NAME")
            simulator.app.add_facility(licence, name)
        for item in user or []:
            key, licences = _split(item, 2, "--user", "USERKEY:LICENCE[,LICENCE...]")
            simulator.app.add_user(key, key, licences.split(","))
        for tag_type, rolls in (("Plant", plant_tags), ("Package", package_tags)):
            for item in rolls or []:
                licence, first, last = _split(item, 3, f"--{tag_type.lower()}-tags", "L:F:L")
                labels = tag_range(first, last)
                simulator.app.add_tags(licence, tag_type, labels, skip_existing=True)
    except ValueError as err:
        simulator.stop()
        raise typer.BadParameter(str(err)) from err
    _run(simulator)


@sim_app.command("biotrack")
@with_options(Serve, "serve")
def biotrack(
    db: Annotated[Path, typer.Option(help="The simulator's SQLite file.")] = Path(
        "biotrack-sim.db"
    ),
    user: Annotated[
        list[str] | None, typer.Option(help="LICENCE:USERNAME:PASSWORD, repeatable.")
    ] = None,
    *,
    serve: Serve,
) -> None:
    """Run the BioTrack-shaped JSON-RPC simulator; prints its URL (calls go to
    URL/serverjson.asp).

    Example: seedtrace sim biotrack --user CT-0042:pat:secret --lose-rate 0.1 --seed 7
    """
    from schemas.clock import SYSTEM_CLOCK
    from server.statesync.simulators import BioTrackSimulator

    simulator = BioTrackSimulator(
        db, clock=SYSTEM_CLOCK, faults=serve.faults(), host=serve.host, port=serve.port
    )
    try:
        for item in user or []:
            licence, username, password = _split(item, 3, "--user", "LICENCE:USERNAME:PASSWORD")
            simulator.app.add_user(licence, username, password)
    except ValueError as err:
        simulator.stop()
        raise typer.BadParameter(str(err)) from err
    _run(simulator)
