"""``seedtrace users``: a licensee's users, registered and trained through its event log."""

from datetime import date
from typing import Annotated

import typer

from cli.server_cmd import DatabaseUrl, _engine
from schemas.clock import SYSTEM_CLOCK
from server.compliance.rules.people import (
    SERVER_OPERATOR,  # schemas and rules only: no server extras
)

users_app = typer.Typer(
    help="Register a licensee's users (recorded as events in its log) and list the roster.",
    no_args_is_help=True,
)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from err


@users_app.command("add")
def users_add(
    licence: Annotated[str, typer.Argument(help="The licensee's licence number.")],
    user_id: Annotated[str, typer.Argument(help="The new user's log-on, e.g. j.garcia.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[str, typer.Option(help="account_manager, administrator or user.")],
    trained_on: Annotated[
        str, typer.Option("--trained-on", help="Date of the training record (YYYY-MM-DD).")
    ],
    trainer: Annotated[str, typer.Option(help="Who trained them (the state, or a name).")],
    description: Annotated[
        str, typer.Option(help="What the training covered.")
    ] = "Track-and-trace system training",
    operator: Annotated[
        str,
        typer.Option(
            help="Who records this: an account manager or administrator of the licensee. The "
            f"default, {SERVER_OPERATOR}, may only register and train an account manager."
        ),
    ] = SERVER_OPERATOR,
    premises: Annotated[str | None, typer.Option(help="The premises they work at.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a user and record their training (user.registered + user.trained, console)."""
    from server.ingest.users import UserRefused, register_user

    trained = _date(trained_on)
    try:
        with _engine(database_url) as engine:
            done = register_user(
                engine,
                licence,
                user_id,
                name,
                role,
                trained,
                trainer,
                description=description,
                operator_id=operator,
                premises=premises,
                clock=SYSTEM_CLOCK,
            )
    except UserRefused as err:
        for v in err.violations:
            typer.echo(f"{v.rule_id}: {v.message}", err=True)
        raise typer.Exit(1) from err
    except ValueError as err:  # a field the contract refuses (pydantic), or an unknown role
        raise typer.BadParameter(str(err)) from err
    typer.echo(
        f"registered {user_id} ({role}) for {licence}, trained {trained.isoformat()}; "
        f"events {done.registered.event_id} and {done.trained.event_id}, by {operator}"
    )


@users_app.command("list")
def users_list(
    licence: Annotated[str, typer.Argument(help="The licensee's licence number.")],
    database_url: DatabaseUrl = None,
) -> None:
    """The roster: log-on, role, first training date, cancelled or active, full name."""
    import sqlalchemy as sa

    from server.db.tables import User

    users = User.__table__  # type: ignore[attr-defined]
    with _engine(database_url) as engine, engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                users.c.user_id,
                users.c.role,
                users.c.first_trained_on,
                users.c.cancelled_at,
                users.c.full_name,
            )
            .where(users.c.licence == licence)
            .order_by(users.c.user_id)
        ).all()
    for user_id, role, trained, cancelled, full_name in rows:
        status = "active" if cancelled is None else f"cancelled {cancelled:%Y-%m-%d}"
        trained_text = "untrained" if trained is None else f"trained {trained}"
        typer.echo(f"{user_id}\t{role}\t{trained_text}\t{status}\t{full_name}")
