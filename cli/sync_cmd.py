"""``seedtrace sync``: the state-system connector (docs/sync.md).

- ``sync run``: the worker loop; several may run (each with its own ``--worker-id``), each
  licensee handled by one at a time. SIGINT or SIGTERM stops it cleanly (leases given back).
- ``sync status LICENCE``: the link's health: access, queue depth, oldest unsent call,
  refusals, outages, who holds it.
- ``sync link LICENCE URL``: link a licensee to its state system (by its jurisdiction).
- ``sync credential LICENCE USER``: store a person's Metrc user key or BioTrack log-on,
  encrypted; the secret is read from stdin (never an argument: it would show in ``ps``).
- ``sync retry`` / ``sync skip LICENCE CALL_ID``: settle a refused call.
- ``sync reconcile LICENCE --user USER``: every difference with the state, with what to do.
- ``sync new-key``: a fresh ``SEEDTRACE_SYNC_CREDENTIALS_KEY``.

The database comes from ``SEEDTRACE_DATABASE_URL`` (or ``--database-url``), the connector's
settings from ``SEEDTRACE_SYNC_*`` (:class:`server.statesync.settings.SyncSettings`).
"""

import logging
import signal
import sys
import threading
from datetime import datetime
from typing import Annotated, Any

import typer

from cli.server_cmd import DatabaseUrl, Licence, _engine, bad_parameter
from schemas.clock import SYSTEM_CLOCK

sync_app = typer.Typer(help="File accepted events into Metrc or BioTrack.", no_args_is_help=True)


def _sync_settings(**overrides: Any) -> Any:
    from pydantic import ValidationError

    from server.statesync.settings import SyncSettings

    try:
        return SyncSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        problems = "; ".join(
            f"SEEDTRACE_SYNC_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in err.errors()
        )
        typer.echo(f"bad connector settings: {problems}", err=True)
        raise typer.Exit(2) from err


@sync_app.command("run")
def run_cmd(
    database_url: DatabaseUrl = None,
    worker_id: Annotated[
        str | None, typer.Option(help="Unique per running process (SEEDTRACE_SYNC_WORKER_ID).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ...")] = "INFO",
) -> None:
    """Run the connector until SIGINT or SIGTERM."""
    from server.statesync.clients import ClientPool
    from server.statesync.connector import Connector
    from server.statesync.credentials import Credentials

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    settings = _sync_settings(worker_id=worker_id)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    clock = SYSTEM_CLOCK  # the one clock of this process
    with _engine(database_url) as engine:
        vendor = settings.metrc_vendor_key
        pool = ClientPool(
            engine,
            Credentials(settings.credentials_key.get_secret_value()),
            metrc_vendor_key=None if vendor is None else vendor.get_secret_value(),
            timeout_s=settings.timeout_s,
        )
        connector = Connector(engine, clock=clock, settings=settings, clients=pool)
        logging.getLogger(__name__).info("connector %s running", settings.worker_id)
        connector.run(stop)


@sync_app.command("status")
def status_cmd(
    licence: Licence,
    database_url: DatabaseUrl = None,
) -> None:
    """The state link of LICENCE: access, queue, refusals, outages."""
    from server.statesync.manage import status

    with bad_parameter(LookupError, hint="LICENCE"), _engine(database_url) as engine:
        s = status(engine, licence)
    typer.echo(f"licence\t{s.licence}\nsystem\t{s.system} {s.base_url}\naccess\t{s.access}")
    typer.echo(f"last success\t{show(s.last_success_at)}")
    typer.echo(f"queue\t{s.queue_depth}\noldest unsent\t{show(s.oldest_unsent)}")
    typer.echo(f"lease\t{s.lease_owner or '-'} until {show(s.lease_until)}")
    for call_id, event_id, action, message in s.refused:
        typer.echo(f"refused\tcall {call_id}\tevent {event_id}\t{action}\t{message}")
    for lost, restored, cause in s.outages:
        typer.echo(f"outage\t{show(lost)} -> {show(restored)}\t{cause}")


@sync_app.command("link")
def link_cmd(
    licence: Licence,
    url: Annotated[str, typer.Argument(help="The state system's base URL.")],
    from_now: Annotated[
        bool, typer.Option(help="File only events accepted from now on, not the history.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Link LICENCE to its jurisdiction's state system (Metrc: OR, CA; BioTrack: CT)."""
    from server.statesync.queue import configure_link

    with bad_parameter(ValueError, hint="LICENCE"), _engine(database_url) as engine:
        link = configure_link(engine, licence, url, now=SYSTEM_CLOCK.now(), from_now=from_now)
    typer.echo(f"{link.licence} files into {link.system} at {link.base_url} from {link.cursor}")


@sync_app.command("credential")
def credential_cmd(
    licence: Licence,
    user: Annotated[str, typer.Argument(help="Our user id of the person.")],
    biotrack_user: Annotated[
        str | None, typer.Option(help="BioTrack user name (CT); without it: a Metrc user key.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store USER's state credentials, encrypted; the secret is read from stdin."""
    from server.statesync.credentials import CredentialError, Credentials, Secret

    secret = sys.stdin.readline().rstrip("\n")
    if secret == "":
        raise typer.BadParameter("give the secret (user key or password) on stdin")
    settings = _sync_settings()
    system = "metrc" if biotrack_user is None else "biotrack"
    with bad_parameter(CredentialError), _engine(database_url) as engine:
        Credentials(settings.credentials_key.get_secret_value()).store(
            engine, licence, user, system, Secret(biotrack_user, secret), now=SYSTEM_CLOCK.now()
        )
    typer.echo(f"stored the {system} credentials of {user} of {licence}")


def show(at: datetime | None) -> str:
    return "-" if at is None else at.isoformat()


def _settle(licence: str, call_id: int, by: str, database_url: str | None, retry: bool) -> None:
    from server.statesync.manage import SettleError, settle

    with bad_parameter(SettleError, hint="CALL_ID"), _engine(database_url) as engine:
        settle(engine, licence, call_id, retry=retry, by=by, now=SYSTEM_CLOCK.now())
    typer.echo(f"call {call_id} of {licence}: {'to be sent again' if retry else 'skipped'}")


By = Annotated[str, typer.Option(help="Your user id (recorded).")]


@sync_app.command("retry")
def retry_cmd(licence: str, call_id: int, by: By, database_url: DatabaseUrl = None) -> None:
    """Send a refused call again (after correcting what the state objected to)."""
    _settle(licence, call_id, by, database_url, retry=True)


@sync_app.command("skip")
def skip_cmd(licence: str, call_id: int, by: By, database_url: DatabaseUrl = None) -> None:
    """Mark a refused call as entered at the state by hand; the queue goes on."""
    _settle(licence, call_id, by, database_url, retry=False)


@sync_app.command("reconcile")
def reconcile_cmd(
    licence: Licence,
    user: Annotated[str, typer.Option(help="Whose state credentials read the state's lists.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Every difference between the state's records and ours, with what to do; changes
    nothing."""
    from server.statesync.clients import ClientPool
    from server.statesync.credentials import CredentialError, Credentials
    from server.statesync.errors import StateSyncError
    from server.statesync.queue import get_link
    from server.statesync.reconcile import reconcile_biotrack, reconcile_metrc

    settings = _sync_settings()
    vendor = settings.metrc_vendor_key
    with _engine(database_url) as engine:
        pool = ClientPool(
            engine,
            Credentials(settings.credentials_key.get_secret_value()),
            metrc_vendor_key=None if vendor is None else vendor.get_secret_value(),
            timeout_s=settings.timeout_s,
        )
        try:
            with engine.connect() as conn:
                link = get_link(conn, licence)
            if link.system == "metrc":
                api = pool.metrc(link.base_url, licence, user)
                report = reconcile_metrc(engine, api, licence, now=SYSTEM_CLOCK.now())
            else:
                bt = pool.biotrack(link.base_url, licence, user)
                report = reconcile_biotrack(engine, bt, licence)
        except (LookupError, CredentialError) as err:
            raise typer.BadParameter(str(err)) from err
        except StateSyncError as err:
            typer.echo(f"the state system could not be read: {err}", err=True)
            raise typer.Exit(1) from err
        finally:
            pool.close()
    for d in report.differences:
        typer.echo(
            f"{d.subject_type} {d.subject_id}\t{d.what}\tours {d.ours or '-'}\t"
            f"state {d.theirs or '-'}\t{d.advice}"
        )
    typer.echo(f"{len(report.differences)} differences; {report.waiting} waiting to be filed")


@sync_app.command("new-key")
def new_key_cmd() -> None:
    """Print a fresh credentials key for SEEDTRACE_SYNC_CREDENTIALS_KEY."""
    from server.statesync.credentials import new_key

    typer.echo(new_key())
