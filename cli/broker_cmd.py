"""``seedtrace broker``: station credentials, their rotation, and the broker files.

New passwords go to standard output, one ``username<TAB>password`` line each, and nowhere
else (the files hold only hashes); everything else goes to standard error. The broker is
reloaded *after* the passwords are printed, so a failed reload cannot lose them.
"""

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.options import with_options

if TYPE_CHECKING:
    from server.brokerauth.roster import Issued

broker_app = typer.Typer(
    help="Broker accounts: issue and rotate station credentials, write password and ACL files.",
    no_args_is_help=True,
)

Roster = Annotated[
    Path,
    typer.Option(
        "--stations",
        help="Roster TOML: station tables (licence, station_id), ingest and console lists.",
    ),
]
OutDir = Annotated[
    Path,
    typer.Option(
        "--out", help="Directory of the mosquitto passwd and acl files (made if missing)."
    ),
]
Group = Annotated[
    str | None,
    typer.Option(
        help="Group owning the files (mosquitto reads them as its own user). "
        "Default: mosquitto when run as root, else unchanged."
    ),
]
Reload = Annotated[
    bool,
    typer.Option("--reload/--no-reload", help="SIGHUP mosquitto afterwards so it applies them."),
]
PidFile = Annotated[Path, typer.Option(help="mosquitto's pid file (pid_file in its config).")]

DEFAULT_ROSTER = Path("/etc/seedtrace/broker-accounts.toml")
DEFAULT_OUT = Path("/etc/mosquitto/seedtrace")
DEFAULT_PID = Path("/run/mosquitto/mosquitto.pid")


@dataclass(frozen=True)
class Files:
    """The options every command here takes: the roster read, the files written and where,
    and whether mosquitto is told to reload them."""

    stations: Roster = DEFAULT_ROSTER
    out: OutDir = DEFAULT_OUT
    group: Group = None
    reload: Reload = True
    pid_file: PidFile = DEFAULT_PID


@broker_app.command("credentials")
@with_options(Files, "files")
def credentials(*, files: Files) -> None:
    """Give every account in the roster a password (new ones only) and write the files.

    Accounts that already have one keep it; accounts gone from the roster are removed.
    """
    _run(files, rotate=())


@broker_app.command("rotate")
@with_options(Files, "files")
def rotate(
    licence: Annotated[str, typer.Argument(help="The station's licence number.")],
    station_ids: Annotated[list[str], typer.Argument(help="One or more station ids.")],
    *,
    files: Files,
) -> None:
    """New passwords for these stations; other stations are not touched.

    After the reload the old passwords stop working and their open connections are closed.
    """
    from server.brokerauth.accounts import AccountError, StationRef

    try:
        names = [StationRef(licence, s).username for s in station_ids]
    except AccountError as err:
        raise typer.BadParameter(str(err)) from err
    _run(files, rotate=names)


@broker_app.command("rotate-service")
@with_options(Files, "files")
def rotate_service(
    names: Annotated[list[str], typer.Argument(help="Ingest or console account names.")],
    *,
    files: Files,
) -> None:
    """New passwords for ingest or console accounts."""
    _run(files, rotate=names)


def _run(files: Files, *, rotate: Collection[str]) -> None:
    from server.brokerauth.accounts import AccountError
    from server.brokerauth.install import BrokerFiles, InstallError, issue, reload_broker
    from server.brokerauth.roster import parse_roster

    roster_file, out, group = files.stations, files.out, files.group
    try:
        text = roster_file.read_text()
    except OSError as err:
        raise typer.BadParameter(
            f"cannot read {roster_file}: {err.strerror}", param_hint="--stations"
        ) from err
    try:
        roster = parse_roster(text, str(roster_file))
    except AccountError as err:
        raise typer.BadParameter(str(err), param_hint="--stations") from err
    if group is None and os.geteuid() == 0:
        group = "mosquitto"
    _make_out_dir(out, group)
    try:
        issued = issue(roster, BrokerFiles(out), rotate=rotate, group=group)
    except InstallError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    _report(issued, out)
    if files.reload:
        try:
            pid = reload_broker(files.pid_file)
        except InstallError as err:
            typer.echo(f"error: files written, mosquitto not reloaded: {err}", err=True)
            raise typer.Exit(1) from err
        typer.echo(f"mosquitto (pid {pid}) reloads them now", err=True)


def _make_out_dir(out: Path, group: str | None) -> None:
    """Make ``--out`` if it is missing: owner and ``group`` only (it holds password hashes;
    mosquitto, in ``group``, must be able to enter it to read them)."""
    if out.is_dir():
        return
    if out.exists():
        raise typer.BadParameter(f"{out} is not a directory", param_hint="--out")
    try:
        out.mkdir(mode=0o750, parents=True)
        if group is not None:
            shutil.chown(out, group=group)
    except (OSError, LookupError) as err:  # LookupError: no such group
        raise typer.BadParameter(f"cannot make {out}: {err}", param_hint="--out") from err
    typer.echo(f"made {out}", err=True)


def _report(issued: "Issued", out: Path) -> None:
    for username, password in issued.new_passwords.items():
        typer.echo(f"{username}\t{password}")
    kept = len(issued.accounts) - len(issued.new_passwords)
    typer.echo(
        f"wrote {out / 'passwd'} and {out / 'acl'}: {len(issued.accounts)} accounts, "
        f"{len(issued.new_passwords)} new passwords (shown above, once), {kept} unchanged",
        err=True,
    )
    if issued.removed:
        typer.echo(f"removed (no longer in the roster): {', '.join(issued.removed)}", err=True)
