"""``seedtrace edge``: run a station agent, check its config, hash operators' PINs."""

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from schemas.clock import SYSTEM_CLOCK

edge_app = typer.Typer(
    help="The station agent (Raspberry Pi): devices, workflows, outbox, display.",
    invoke_without_command=True,
)

ConfigPath = Annotated[Path | None, typer.Option("--config", "-c", help="The station's TOML file.")]


def _load(config: Path) -> "object":
    from edge.config import ConfigError, load_config

    try:
        return load_config(config)
    except ConfigError as err:
        typer.secho(str(err), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from err


@edge_app.callback()
def run(
    ctx: typer.Context,
    config: ConfigPath = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ERROR.")] = "INFO",
) -> None:
    """Run the station agent: ``seedtrace edge --config station.toml``."""
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        typer.secho("give the station's config: --config station.toml", fg="red", err=True)
        raise typer.Exit(2)
    from edge.agent import Agent, AgentError
    from edge.config import StationConfig
    from edge.outbox import OutboxError

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    station = _load(config)
    assert isinstance(station, StationConfig)
    try:
        agent = Agent(station, clock=SYSTEM_CLOCK)  # the one clock of this process
    except (AgentError, OutboxError) as err:
        typer.secho(str(err), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from err
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if agent.display is not None:
        typer.echo(f"station {station.licence}/{station.station_id}: display {agent.display.url}")
    if agent.metrics_url is not None:
        typer.echo(f"station {station.licence}/{station.station_id}: metrics {agent.metrics_url}")
    agent.run(stop)


@edge_app.command("check")
def check(
    path: Annotated[Path | None, typer.Argument(help="The station's TOML file.")] = None,
    config: ConfigPath = None,
) -> None:
    """Check a station config and print what it sets up; exit 2 naming each bad key.

    ``seedtrace edge check station.toml`` or ``seedtrace edge check --config station.toml``."""
    from edge.config import StationConfig

    config = path or config
    if config is None:
        typer.secho("give the station's config: --config station.toml", fg="red", err=True)
        raise typer.Exit(2)
    station = _load(config)
    assert isinstance(station, StationConfig)
    typer.echo(f"{config}: OK")
    typer.echo(f"  station   {station.licence}/{station.station_id} at {station.location}")
    typer.echo(f"  broker    {station.broker.url} (TLS {'on' if station.broker.tls else 'off'})")
    typer.echo(f"  outbox    {station.outbox_path} (capacity {station.outbox.capacity})")
    typer.echo(f"  workflows {', '.join(w.value for w in station.workflows)}")
    for device_id, device in station.devices.items():
        typer.echo(f"  device    {device_id}: {device.role.value} {device.url}")
    typer.echo(f"  operators {len(station.operators)}")


@edge_app.command("hash-secret")
def hash_secret_cmd(
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin",
            help="Read the secret from the first line of standard input (for scripts). "
            "Implied when standard input is not a terminal.",
        ),
    ] = False,
) -> None:
    """Print the scrypt hash of a PIN or password, for pin_hash / password_hash.

    Asks twice on a terminal; in a script: ``printf '%s\\n' "$PIN" | seedtrace edge
    hash-secret``. Never on the command line, where other users could read it in ``ps``."""
    from edge.secrets import hash_secret

    if stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        secret = line[:-1] if line.endswith("\n") else line
        secret = secret.removesuffix("\r")
        if secret == "":
            typer.secho("no secret on standard input (one line expected)", fg="red", err=True)
            raise typer.Exit(2)
    else:
        secret = typer.prompt("PIN or password", hide_input=True, confirmation_prompt=True)
    try:
        typer.echo(hash_secret(secret))
    except ValueError as err:
        typer.secho(f"not hashed: {err}", fg="red", err=True)
        raise typer.Exit(2) from err
