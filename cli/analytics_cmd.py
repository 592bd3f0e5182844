"""``seedtrace analytics``: the analytics refresh by hand (docs/analytics.md)."""

from typing import Annotated

import typer

from cli.server_cmd import DatabaseUrl, _engine
from schemas.clock import SYSTEM_CLOCK

analytics_app = typer.Typer(
    help="Mass balance and diversion signals: refresh them now.", no_args_is_help=True
)


@analytics_app.command("refresh")
def refresh_cmd(
    licence: Annotated[
        list[str] | None,
        typer.Option("--licence", help="Only this licensee; repeatable. Default: every one."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Recompute even the licensees whose record has not moved.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Refresh, in one go, every licensee whose record moved since its last refresh (or that
    was refreshed a day ago), as the ingest does in slices between batches. Exits 1 on a
    licensee's failure; those refreshed before it keep their results."""
    from server.analytics.refresh import refresh

    with _engine(database_url) as engine:
        only = None if licence is None else set(licence)
        report = refresh(engine, SYSTEM_CLOCK.now(), only=only, force=force)
    typer.echo(
        f"{len(report.refreshed)} licensees refreshed, {report.skipped} unchanged; "
        f"signals {report.raised} raised, {report.seen_again} still open, "
        f"{report.cleared} cleared"
    )
