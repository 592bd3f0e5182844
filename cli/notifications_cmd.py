"""``seedtrace notifications``: a licensee's deadline notifications (docs/rules.md, B)."""

from typing import Annotated

import typer

from cli.server_cmd import DatabaseUrl, Licence, _engine, bad_parameter
from schemas.clock import SYSTEM_CLOCK

notifications_app = typer.Typer(
    help="Compliance and informational notifications: list, dismiss.", no_args_is_help=True
)


@notifications_app.command("list")
def list_notifications_cmd(
    licence: Licence,
    state: Annotated[
        list[str] | None,
        typer.Option(help="Only these states (open, overdue, resolved, dismissed); repeatable."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """One line per notification: id, state, category, rule, due (UTC), item, message."""
    from server.compliance.deadlines import State, list_notifications

    states = None
    if state is not None:
        try:
            states = [State(s) for s in state]
        except ValueError as err:
            raise typer.BadParameter(
                f"{err}; expected one of {', '.join(s.value for s in State)}", param_hint="--state"
            ) from err
    with _engine(database_url) as engine:
        found = list_notifications(engine, licence, states=states)
    for n in found:
        due = "-" if n.due is None else n.due  # in the premises' zone, as acks say it
        typer.echo(
            f"{n.id}\t{n.state.value}\t{n.category.value}\t{n.rule_id}\t{due}\t"
            f"{n.subject_type} {n.subject_id}\t{n.message}"
        )
    typer.echo(f"{len(found)} notifications")


@notifications_app.command("dismiss")
def dismiss_cmd(
    notification_id: Annotated[int, typer.Argument(help="The notification's id.")],
    by: Annotated[str, typer.Option(help="Your user id (recorded as who dismissed it).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Dismiss (acknowledge) a notification; a compliance one only once it is resolved."""
    from server.compliance.deadlines import DismissRefused, NotificationNotFound, dismiss

    try:
        with (
            bad_parameter(NotificationNotFound, hint="NOTIFICATION_ID"),
            _engine(database_url) as engine,
        ):
            done = dismiss(engine, notification_id, by=by, now=SYSTEM_CLOCK.now())
    except DismissRefused as err:
        typer.echo(f"refused: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"dismissed {done.id} ({done.rule_id})")
