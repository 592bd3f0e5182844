"""A real serial port whose ``tcsetattr`` fails, for tests that run a program against it.

The kernel refuses ``tcsetattr`` (EIO) to a process in a background process group of its own
controlling terminal when that group is orphaned; ``tcgetattr`` still works. So
:func:`refusing_tcsetattr` returns a ``preexec_fn`` for :class:`subprocess.Popen` that makes the
new process a session leader whose controlling terminal is the given pty, and hands the
terminal's foreground to a sleeping helper process: the program then opens the pty as a
technician's tool opens a port, and pyserial's ``open()`` gets ``termios.error(5, 'Input/output
error')`` from ``tcsetattr``, exactly the failure a USB adapter that refuses its settings gives.
The helper closes every file it inherited and dies with the program (SIGHUP when the session
leader exits).
"""

import fcntl
import os
import signal
import termios
import tty
from collections.abc import Callable

from devices.base import ClosingContext


class RefusingPort(ClosingContext):
    """A pty (its slave's path is :attr:`path`) that child processes cannot configure."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)

    def preexec(self) -> Callable[[], None]:
        return refusing_tcsetattr(self.path)

    def close(self) -> None:
        for fd in (self._slave, self._master):
            os.close(fd)


def refusing_tcsetattr(path: str) -> Callable[[], None]:
    def preexec() -> None:
        os.setsid()
        fd = os.open(path, os.O_RDWR)
        fcntl.ioctl(fd, termios.TIOCSCTTY, 0)  # the pty is now this session's terminal
        helper = os.fork()
        if helper == 0:  # holds the foreground; keeps none of the parent's files open
            # The SIGHUP that ends it: a run under nohup (as CI may be) ignores SIGHUP, and
            # the helper would inherit that and outlive the test, pausing for ever.
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            os.setpgid(0, 0)
            os.closerange(0, 65536)
            signal.pause()
            os._exit(0)
        os.setpgid(helper, helper)
        os.tcsetpgrp(fd, helper)  # we are now in the background, in an orphaned group
        os.close(fd)

    return preexec
