"""The console part of ``seedtrace demo``: the web app (REST API + ops console) on
http://127.0.0.1:8000, the station health listener, and demo log-ons printed at start.

:class:`DemoConsole` runs in the demo's process: uvicorn in a thread, the health listener on
paho's thread, both on the demo's SQLite database and private mosquitto. The people must
already be on the licensee's roster (registered and trained, as the demo does first); each
gets a log-on with a password made for this run, and a regulator overseeing the demo
licensee is added. Passwords are printed once and live only in ``var/demo/``'s database.
The listener logs to ``console.log`` beside the database.
"""

import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import typer

from schemas.clock import SYSTEM_CLOCK, Clock

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000
REGULATOR = "olcc.inspector"


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    what: str


class DemoConsoleError(RuntimeError):
    pass


class DemoConsole:
    def __init__(
        self,
        database_url: str,
        mqtt_port: int,
        *,
        host: str = DEMO_HOST,
        port: int = DEMO_PORT,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        from server.config import ServerSettings

        self.clock = clock  # the demo's one clock: sign-ins, sessions, health
        from server.db.engine import make_engine

        self.settings = ServerSettings(database_url=database_url, mqtt_port=mqtt_port)
        self.engine = make_engine(database_url)
        self.host, self.port = host, port
        self.url = f"http://{host}:{port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.health: Any = None  # the HealthListener, once started
        self._log_handler: Any = None

    def add_accounts(self, licence: str, people: list[tuple[str, str]]) -> list[DemoAccount]:
        """Log-ons for roster people ``(user_id, what they are)`` and a regulator."""
        from server.accounts import manage
        from server.accounts.roster import DbRoster

        passwords = self.settings.passwords()
        now = self.clock.now()
        made = []
        with self.engine.begin() as conn:
            for user_id, what in people:
                password = secrets.token_urlsafe(12)
                manage.add_user_account(
                    conn,
                    DbRoster(),
                    passwords,
                    licence=licence,
                    user_id=user_id,
                    password=password,
                    now=now,
                )
                made.append(DemoAccount(user_id, password, what))
            password = secrets.token_urlsafe(12)
            manage.add_regulator(
                conn,
                passwords,
                login=REGULATOR,
                display_name="OLCC Inspector (demo)",
                password=password,
                oversees=[licence],
                now=now,
            )
            made.append(DemoAccount(REGULATOR, password, f"regulator, read-only over {licence}"))
        return made

    def start(self) -> None:
        """Start the health listener and serve the app; raises DemoConsoleError when the port
        is taken or the server does not come up."""
        import uvicorn

        from server.api.app import create_app
        from server.health.listener import HealthListener

        # The socket is bound here and handed to uvicorn as it is: no moment between a check
        # and uvicorn's own bind in which another program could take the port. Port 0: the
        # system picks a free one, and the URL says which.
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
        except OSError as err:
            listener.close()
            raise DemoConsoleError(
                f"cannot serve the console on {self.url}: {err.strerror}; stop whatever "
                f"listens on port {self.port} and run the demo again"
            ) from err
        self.port = int(listener.getsockname()[1])
        self.url = f"http://{self.host}:{self.port}"
        self._log_to_file()
        self.health = HealthListener(self.settings, self.engine, clock=self.clock)
        self.health.start()
        app = create_app(self.settings, self.engine, clock=self.clock)
        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name="console", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DemoConsoleError(f"the console did not start on {self.url}")
            time.sleep(0.05)

    def _log_to_file(self) -> None:
        """The listener's log goes next to the demo's database (``console.log``), not into the
        demo's story on the terminal (the demo stops the broker on purpose)."""
        import logging
        from pathlib import Path

        database = self.engine.url.database
        if self.engine.url.get_backend_name() != "sqlite" or database is None:
            return
        handler = logging.FileHandler(Path(database).parent / "console.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log = logging.getLogger("seedtrace.health")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        self._log_handler = handler

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self.health is not None:
            self.health.stop()
        if self._log_handler is not None:
            import logging

            log = logging.getLogger("seedtrace.health")
            log.removeHandler(self._log_handler)
            log.propagate = True
            self._log_handler.close()
        self.engine.dispose()


def start_console(
    database_url: str,
    mqtt_port: int,
    licence: str,
    people: list[tuple[str, str]],
    port: int = DEMO_PORT,
) -> DemoConsole:
    """The hook ``cli/demo.py`` calls once the roster exists and the broker runs: make the
    log-ons, start the console on ``port``, print where it is and how to sign in."""
    console = DemoConsole(database_url, mqtt_port, port=port)
    accounts = console.add_accounts(licence, people)
    try:
        console.start()
    except DemoConsoleError as err:
        typer.secho(str(err), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from err
    typer.secho(f"console    {console.url}  (sign in with one of these)", bold=True)
    width = max(len(a.login) for a in accounts)
    for a in accounts:
        typer.echo(f"           {a.login:<{width}}  password {a.password}  {a.what}")
    return console
