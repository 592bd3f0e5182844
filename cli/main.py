"""``seedtrace`` entry point: wires the subcommand groups together."""

import typer

from cli import devices_cmd

app = typer.Typer(
    name="seedtrace",
    help="seedtrace: seed-to-sale tracking for licensed cannabis operators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(devices_cmd.devices_app, name="devices")
app.command("sim")(devices_cmd.sim)


def main() -> None:
    app()
