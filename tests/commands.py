"""What the tests that start seedtrace's own commands share: the installed ``seedtrace``
executable, the command line of its server, and a loopback port that is already taken."""

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))


def server_command(database_url: str, mqtt_port: int | None, *options: str) -> list[str]:
    """``seedtrace server`` on ``database_url``, its ingest on the broker at ``mqtt_port``
    (none: the server's default), then ``options``."""
    broker = [] if mqtt_port is None else ["--mqtt-port", str(mqtt_port)]
    return [SEEDTRACE, "server", "--database-url", database_url, *broker, *options]


@contextmanager
def taken_port() -> Iterator[int]:
    """A loopback TCP port held by a listening socket for the ``with`` block, so that whatever
    else tries to listen on it fails."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])
