"""The demo's child processes (the server, the stations, the connector): each one appends its
output to a log file of its own and is stopped when the demo leaves it."""

import contextlib
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path


def start_logged(
    argv: list[str], log: Path, env: Mapping[str, str] | None = None
) -> "subprocess.Popen[bytes]":
    """``argv`` started with its stdout and stderr appended to ``log``; ``env`` None: this
    process's environment. Raises OSError when ``log`` cannot be opened or ``argv[0]`` run."""
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)


def reap(process: "subprocess.Popen[bytes]", timeout: float = 10.0) -> None:
    """Wait up to ``timeout`` seconds for a process told to stop, then kill it."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def logged_process(
    argv: list[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator["subprocess.Popen[bytes]"]:
    """:func:`start_logged` for the ``with`` block; on leaving, SIGTERM and :func:`reap`."""
    process = start_logged(argv, log, env)
    try:
        yield process
    finally:
        process.terminate()
        reap(process)
