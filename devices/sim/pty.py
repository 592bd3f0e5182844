"""A pseudo-terminal that looks like a serial device, with a stable path and a pullable cable.

The driver opens :attr:`PtyDevice.path`, a symlink in a private directory that points at the
pty's slave (like ``/dev/serial/by-id/...`` on a Pi). The simulator reads and writes the
master fd. :meth:`unplug` closes the master, which the driver sees as a vanished device, and
removes the symlink, as udev removes ``/dev/serial/by-id/...`` when an adapter is pulled;
:meth:`replug` makes a new pty and points the symlink at it, as a re-enumerated USB adapter.

Why the symlink goes with the cable: the kernel hands a freed pty number to the next
``openpty`` of any process, so a link left pointing at ``/dev/pts/N`` may lead the driver to
another program's pty (under a parallel test run, another simulator's, whose driver holds
its exclusive lock: "Could not exclusively lock port").

Measured round trip through a pty: ~0.25 ms (``docs/platform-facts.md``).
"""

import os
import select
import tempfile
import threading
import tty
from typing import Self

from devices.base import ClosingContext


class PtyDevice(ClosingContext):
    def __init__(self, name: str = "device") -> None:
        self._dir = tempfile.mkdtemp(prefix="seedtrace-pty-")
        self.path = os.path.join(self._dir, name)
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self.replug()

    def replug(self) -> None:
        """(Re)create the pty and point :attr:`path` at its slave."""
        with self._lock:
            self._close_fds()
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no line discipline: bytes pass through as they are
            self._master, self._slave = master, slave
            tmp = self.path + ".new"
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)

    def unplug(self) -> None:
        """Pull the cable: the driver's next read or write fails, and so does opening the
        path until :meth:`replug`."""
        with self._lock:
            self._close_fds()
            _unlink(self.path)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def _close_fds(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def write(self, data: bytes) -> None:
        """Send bytes to the driver. Does nothing while unplugged (as a real cable would)."""
        with self._lock:
            master = self._master
            if master is None:
                return
            view = memoryview(data)
            while view:
                written = os.write(master, view)
                view = view[written:]

    def read(self, timeout: float = 0.05, max_bytes: int = 4096) -> bytes:
        """Bytes the driver sent, waiting up to ``timeout`` seconds; b'' when none or
        unplugged."""
        master = self._master
        if master is None:
            return b""
        try:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                return b""
            return os.read(master, max_bytes)
        except OSError:
            return b""  # unplugged while we waited

    def close(self) -> None:
        with self._lock:
            self._close_fds()
        for path in (self.path, self.path + ".new"):
            _unlink(path)
        try:
            os.rmdir(self._dir)
        except OSError:
            pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class PtySimulator(ClosingContext):
    """A device simulated on a :class:`PtyDevice` (named ``pty_name``) and answered by a
    thread named ``thread_name``.

    :meth:`start` runs :meth:`_run` in a daemon thread, which must return soon after
    ``self._stop`` is set; :meth:`stop` sets it and waits up to 2 s for the thread; both may be
    called again. :meth:`close` also removes the pty. ``with sim:`` starts it and closes it."""

    def __init__(self, pty_name: str, thread_name: str) -> None:
        self.pty = PtyDevice(pty_name)
        self._thread_name = thread_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.pty.close()

    def __enter__(self) -> Self:
        self.start()
        return self
