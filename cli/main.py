"""``seedtrace`` entry point: wires the subcommand groups together."""

import typer

from cli import (
    accounts_cmd,
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


@app.command("demo")
def demo(
    keep_running: bool = typer.Option(False, help="Leave broker and server up after the script."),
) -> None:
    """Run the demo: private mosquitto, the ingest server on SQLite, a scripted station."""
    from cli.demo import run_demo

    run_demo(keep_running=keep_running)


app.add_typer(statesim_cmd.sim_app, name="sim")
app.add_typer(sync_cmd.sync_app, name="sync")


def main() -> None:
    app()
