"""A test hook: kill this process with SIGKILL at a chosen point, as a power cut would.

Set ``SEEDTRACE_EDGE_CRASH=<point>:<sequence>`` in the agent's environment; the agent then
sends itself SIGKILL when it reaches ``point`` for the event with that sequence number:

* ``after_write``: the event is committed to the outbox, not yet handed to MQTT;
* ``after_puback``: the broker acknowledged the event (PUBACK), the server's ack not yet
  processed.

Unset (always, in production) it does nothing. The fault tests in ``tests/edge/`` use it.
"""

import os
import signal

ENV = "SEEDTRACE_EDGE_CRASH"
POINTS = ("after_write", "after_puback")


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    point, _, sequence = value.partition(":")
    if point not in POINTS or not sequence.isdigit():
        raise ValueError(f"{ENV}={value!r}: expected one of {', '.join(POINTS)} then :<sequence>")
    return point, int(sequence)


_TARGET = _parse(os.environ.get(ENV))


def crash_point(point: str, sequence: int) -> None:
    """SIGKILL ourselves if the hook names this point and sequence."""
    if _TARGET is not None and (point, sequence) == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)
