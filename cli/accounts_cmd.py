"""``seedtrace accounts``: log-ons and passwords (the first ones of a server, and repairs).

A licensee's person must be on the roster first (``seedtrace users add``, an event); an account
only gives them a log-on and a password, which are never part of an event. Regulators exist
only as accounts. Passwords are read from the terminal (twice, not echoed) or, with
``--password-stdin``, from the first line of standard input (for scripts).
"""

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from cli.server_cmd import DatabaseUrl, _engine, _settings
from schemas.clock import SYSTEM_CLOCK

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from server.accounts.store import AccountRow

accounts_app = typer.Typer(
    help="Log-ons and passwords: licensee users, regulators; unlock and disable.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _fail(err: Exception) -> typer.Exit:
    typer.echo(str(err), err=True)
    return typer.Exit(1)


@contextlib.contextmanager
def _transaction(database_url: str | None) -> "Iterator[Connection]":
    """One transaction; an accounts error (a taken log-on, a weak password, an unknown log-on)
    rolls it back and ends the command with the error's message and exit status 1."""
    from server.accounts.errors import AccountsError
    from server.accounts.passwords import WeakPassword

    try:
        with _engine(database_url) as engine, engine.begin() as conn:
            yield conn
    except (AccountsError, WeakPassword) as err:
        raise _fail(err) from err


def _by_login(conn: "Connection", login: str) -> "AccountRow":
    """The account with this log-on; AccountNotFound if there is none."""
    from server.accounts import store
    from server.accounts.errors import AccountNotFound

    account = store.by_login(conn, login)
    if account is None:
        raise AccountNotFound(f"no account with log-on {login}")
    return account


@accounts_app.command("set-password")
def set_password(
    licence: Annotated[str, typer.Argument(help="The licensee's licence number.")],
    user_id: Annotated[str, typer.Argument(help="The user's id on the licensee's roster.")],
    login: Annotated[
        str | None,
        typer.Option(help="Log-on for a new account (default: the user id; must be unique)."),
    ] = None,
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Give a roster user a log-on and password, or set a new password (their sessions end)."""
    from server.accounts import manage, store
    from server.accounts.roles import AccountKind
    from server.accounts.roster import DbRoster

    password = _password(password_stdin)
    passwords = _settings(database_url=database_url).passwords()
    now = SYSTEM_CLOCK.now()
    with _transaction(database_url) as conn:
        account = store.by_subject(conn, AccountKind.USER, licence, user_id)
        if account is None:
            manage.add_user_account(
                conn,
                DbRoster(),
                passwords,
                licence=licence,
                user_id=user_id,
                password=password,
                now=now,
                login=login,
            )
            done = f"log-on {login or user_id} created"
        else:
            if login is not None and login != account.login:
                raise typer.BadParameter(f"{user_id} already has the log-on {account.login}")
            manage.set_password(conn, passwords, login=account.login, password=password, now=now)
            done = f"password of {account.login} set; its sessions ended"
    typer.echo(f"{licence} {user_id}: {done}")


@accounts_app.command("add-regulator")
def add_regulator(
    login: Annotated[str, typer.Argument(help="The regulator's log-on.")],
    name: Annotated[str, typer.Option("--name", help="Name shown in the console.")],
    oversees: Annotated[
        list[str], typer.Option("--oversees", help="A licence it may read; repeat for more.")
    ],
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a regulator account: reads the licensees it oversees, writes nothing."""
    from server.accounts import manage

    password = _password(password_stdin)
    passwords = _settings(database_url=database_url).passwords()
    with _transaction(database_url) as conn:
        manage.add_regulator(
            conn,
            passwords,
            login=login,
            display_name=name,
            password=password,
            oversees=oversees,
            now=SYSTEM_CLOCK.now(),
        )
    typer.echo(f"regulator {login} added, overseeing {', '.join(sorted(oversees))}")


@accounts_app.command("unlock")
def unlock(
    login: Annotated[str, typer.Argument(help="The locked log-on.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Clear a log-on's failed log-ins and lock."""
    from server.accounts import throttle

    with _transaction(database_url) as conn:
        _by_login(conn, login)
        throttle.store(conn, throttle.login_subject(login), throttle.CLEAR)
    typer.echo(f"{login} unlocked")


@accounts_app.command("disable")
def disable(
    login: Annotated[str, typer.Argument(help="The log-on to disable.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Disable an account (a regulator who left); every session ends. A licensee's user is
    cancelled on the roster instead (user.cancelled, an event)."""
    from server.accounts import store

    with _transaction(database_url) as conn:
        store.disable(conn, _by_login(conn, login).account_id, SYSTEM_CLOCK.now())
    typer.echo(f"{login} disabled")


@accounts_app.command("list")
def list_accounts(database_url: DatabaseUrl = None) -> None:
    """Every account: log-on, kind, licensee (or overseen licensees), and whether it is
    locked or disabled. Never a password or hash."""
    import sqlalchemy as sa

    from server.accounts import store, throttle
    from server.db.accounts import Account

    a = Account.__table__  # type: ignore[attr-defined]
    now = SYSTEM_CLOCK.now()
    with _engine(database_url) as engine, engine.connect() as conn:
        logins = conn.execute(sa.select(a.c.login).order_by(a.c.login)).scalars().all()
        for login in logins:
            row = store.by_login(conn, login)
            if row is None:
                continue
            where = row.licence or ",".join(sorted(store.oversees(conn, row.account_id)))
            state = "active"
            locked = throttle.counters(conn, throttle.login_subject(login)).locked_until
            if row.disabled_at is not None:
                state = "disabled"
            elif locked is not None and locked > now:
                state = f"locked until {locked:%Y-%m-%d %H:%M}Z"
            typer.echo(f"{row.login}\t{row.kind.value}\t{where}\t{row.subject_id}\t{state}")


@accounts_app.command("broker-files")
def broker_files(database_url: DatabaseUrl = None) -> None:
    """Write mosquitto's password and ACL files from the roster file's service accounts and
    every station account of the database, then reload mosquitto
    (SEEDTRACE_BROKER_FILES_DIR, _BROKER_ROSTER, _BROKER_FILES_GROUP, _BROKER_PID_FILE)."""
    from server.accounts.stations import BrokerFilesError, write_broker_files

    config = _settings(database_url=database_url).broker_config()
    if config is None:
        raise typer.BadParameter("set SEEDTRACE_BROKER_FILES_DIR to where the files go")
    try:
        with _engine(database_url) as engine:
            reloaded = write_broker_files(engine, config)
    except BrokerFilesError as err:
        raise _fail(err) from err
    done = "mosquitto reloads them now" if reloaded else "no pid file set: reload mosquitto"
    typer.echo(f"wrote {config.files_dir / 'passwd'} and {config.files_dir / 'acl'}; {done}")
