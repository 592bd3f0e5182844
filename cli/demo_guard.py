"""What ``seedtrace demo`` checks before it deletes anything: no other demo on the same
directory, and a console port it can have.

A demo starts by wiping its directory (``var/demo``: database, outboxes, logs). A second demo
started while one runs must not do that to the first one's files, so the demo first takes
:func:`demo_lock`, an exclusive ``flock`` on a pid file next to the directory
(``var/demo.pid``). The kernel drops the lock when the process ends, however it ends (even
``kill -9``), so a stale pid file never blocks a new demo; a live one is named in the refusal:
"a demo is already running (pid 12345)". Then :func:`console_port` checks (or picks) the port
for the console, still before anything is deleted.
"""

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from cli.demo_console import DEMO_HOST, DEMO_PORT


class DemoRefused(Exception):
    """The demo cannot start; nothing was changed. The message says why."""


@contextlib.contextmanager
def demo_lock(workdir: Path) -> Iterator[None]:
    """An exclusive lock on ``<workdir>.pid``, holding this process's pid, while the demo runs.

    Raises DemoRefused naming the demo that holds it."""
    path = workdir.parent / f"{workdir.name}.pid"
    fd = _lock(path)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # while still holding it: no one else's file
        os.close(fd)


def _lock(path: Path) -> int:
    """The fd of ``path``, locked, holding this process's pid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            where = path.parent / path.stem
            raise DemoRefused(
                f"a demo is already running (pid {holder}) on {where}; stop it (Ctrl-C) "
                "first, or give this one another --workdir"
            ) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break  # the file we locked is still the one at the path
        except FileNotFoundError:
            pass
        os.close(fd)  # the last demo removed it as we opened it: lock the new one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def parse_port(text: str) -> int:
    """``--port``: a number (1-65535), or ``0`` / ``auto`` for a free one (returned as 0)."""
    if text.strip().lower() == "auto":
        return 0
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a port number (or auto)") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{port} is not a port number (0-65535; 0 or auto: a free one)")
    return port


def console_port(port: int, host: str = DEMO_HOST) -> int:
    """The console's port: ``port`` if it is free, a free one if ``port`` is 0; DemoRefused
    if it is taken (checked before the demo deletes anything; something may still take it
    before the console starts, and then the console's own check says so)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            raise DemoRefused(
                f"cannot serve the console on http://{host}:{port}: {err.strerror}; stop whatever "
                "listens there, or run the demo with --port auto"
            ) from err
        return int(probe.getsockname()[1])


__all__ = ["DEMO_PORT", "DemoRefused", "console_port", "demo_lock", "parse_port"]
