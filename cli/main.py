"""``seedtrace`` entry point: wires the subcommand groups together."""

import signal
from pathlib import Path
from typing import Annotated

import typer

from cli import (
    accounts_cmd,
    analytics_cmd,
    broker_cmd,
    devices_cmd,
    edge_cmd,
    notifications_cmd,
    rules_cmd,
    server_cmd,
    statesim_cmd,
    sync_cmd,
    users_cmd,
)

app = typer.Typer(
    name="seedtrace",
    help="seedtrace: seed-to-sale tracking for licensed cannabis operators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("server")(server_cmd.serve)
app.add_typer(server_cmd.db_app, name="db")
app.add_typer(server_cmd.licensees_app, name="licensees")
app.add_typer(devices_cmd.devices_app, name="devices")
app.add_typer(rules_cmd.rules_app, name="rules")
app.add_typer(users_cmd.users_app, name="users")
app.add_typer(accounts_cmd.accounts_app, name="accounts")
app.add_typer(broker_cmd.broker_app, name="broker")
app.add_typer(edge_cmd.edge_app, name="edge")
app.add_typer(notifications_cmd.notifications_app, name="notifications")
app.add_typer(analytics_cmd.analytics_app, name="analytics")


@app.command("demo")
def demo(
    keep_running: Annotated[
        bool, typer.Option(help="Leave broker and server up after the script.")
    ] = False,
    port: Annotated[
        str, typer.Option(help="The console's port; 0 or auto: a free one (printed at start).")
    ] = "8000",
    workdir: Annotated[
        Path,
        typer.Option(help="The demo's directory, wiped at start (a lock keeps it for one demo)."),
    ] = Path("var/demo"),
) -> None:
    """Run the demo: private mosquitto, the ingest server on SQLite, three scripted stations.

    Ctrl-C stops it cleanly ("demo stopped", exit 0). Refused, with nothing deleted, while
    another demo runs on the same directory or when the port is taken (exit 1)."""
    from cli.demo import run_demo
    from cli.demo_guard import DemoRefused, parse_port

    try:
        console_port = parse_port(port)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--port") from err
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # systemd/kill stop it as Ctrl-C
    try:
        run_demo(keep_running=keep_running, workdir=workdir, port=console_port)
    except DemoRefused as err:
        typer.secho(str(err), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from err


app.add_typer(statesim_cmd.sim_app, name="sim")
app.add_typer(sync_cmd.sync_app, name="sync")


def main() -> None:
    app()
