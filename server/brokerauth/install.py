"""Writing the broker's password and ACL files, and making a running mosquitto reload them.

The only I/O of :mod:`server.brokerauth`. Failure modes, each an :class:`InstallError`:

- the directory or the group does not exist, or we may not write or chown there;
- the existing password file is not one we can read back (nothing is written then);
- no pid file, a pid file that does not hold a pid, or a pid that is not a running
  ``mosquitto`` (a stale file after a reboot): the files are written, nothing is signalled.

Each file is replaced atomically (temporary file in the same directory, ``fsync``, ``rename``,
``fsync`` of the directory), so mosquitto never reads half a file. Files are mode 0640 and,
when ``group`` is given, owned by that group: mosquitto reads them *after* dropping to its own
user, and a password file it cannot read on reload makes it disconnect **every** client
(measured on 2.0.11). Concurrent runs are serialised by ``flock`` on ``.lock`` in the directory.

On SIGHUP mosquitto 2.0 re-reads both files and re-checks connected clients: a client whose
password no longer matches (a rotated station) is disconnected at once; everyone else stays
connected.
"""

import contextlib
import fcntl
import grp
import os
import signal
import tempfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from server.brokerauth.accounts import (
    Account,
    AccountError,
    parse_password_file,
    render_acl_file,
    render_password_file,
)
from server.brokerauth.roster import Issued, Roster, reconcile

DEFAULT_PID_FILE = Path("/run/mosquitto/mosquitto.pid")
FILE_MODE = 0o640


class InstallError(RuntimeError):
    """The files could not be written, or the broker could not be told to reload them."""


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    """The ``passwd`` and ``acl`` files in ``directory`` (``/etc/mosquitto/seedtrace``)."""

    directory: Path

    @property
    def password_file(self) -> Path:
        return self.directory / "passwd"

    @property
    def acl_file(self) -> Path:
        return self.directory / "acl"

    def read_hashes(self) -> dict[str, str]:
        """User -> hash from the current password file; empty if there is none yet."""
        try:
            text = self.password_file.read_text()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise InstallError(f"cannot read {self.password_file}: {err}") from err
        try:
            return parse_password_file(text, str(self.password_file))
        except AccountError as err:
            raise InstallError(str(err)) from err

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        try:
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise InstallError(f"cannot use {self.directory}: {err}") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def install(self, accounts: Collection[Account], *, group: str | None) -> None:
        """Write both files for ``accounts`` (ACL first: a user it names who has no password
        yet cannot log in, and a password without ACL lines reaches no topic)."""
        acl, passwd = render_acl_file(accounts), render_password_file(accounts)
        write_atomically(self.acl_file, acl, group=group)
        write_atomically(self.password_file, passwd, group=group)


def write_atomically(path: Path, text: str, *, group: str | None, mode: int = FILE_MODE) -> None:
    gid = -1
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise InstallError(f"no group {group!r} on this machine") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise InstallError(f"cannot write in {path.parent}: {err}") from err
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), mode)
            if gid != -1:
                os.fchown(f.fileno(), -1, gid)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InstallError(f"cannot write {path}: {err}") from err
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
    except OSError as err:
        raise InstallError(f"wrote {path} but could not sync {path.parent}: {err}") from err


def reload_broker(pid_file: Path = DEFAULT_PID_FILE) -> int:
    """Send SIGHUP to the mosquitto whose pid ``pid_file`` holds; return that pid."""
    try:
        text = pid_file.read_text().strip()
    except OSError as err:
        raise InstallError(
            f"cannot read mosquitto's pid file {pid_file} ({err.strerror}); is mosquitto "
            "running? The files are written: `systemctl reload mosquitto` applies them"
        ) from err
    if not text.isdigit():
        raise InstallError(f"{pid_file} does not hold a process id: {text[:20]!r}")
    pid = int(text)
    comm = Path(f"/proc/{pid}/comm")
    if comm.exists() and comm.read_text().strip() != "mosquitto":
        raise InstallError(f"process {pid} from {pid_file} is not mosquitto (stale pid file?)")
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise InstallError(f"no process {pid} (from {pid_file}): is mosquitto running?") from None
    except PermissionError as err:
        raise InstallError(f"not allowed to signal mosquitto (pid {pid}): {err}") from err
    return pid


def issue(
    roster: Roster,
    files: BrokerFiles,
    *,
    rotate: Collection[str] = (),
    group: str | None,
    make_password: Callable[[], str] | None = None,
) -> Issued:
    """Issue what the roster needs (and rotate ``rotate``) and write the files.

    Does not signal the broker: show the returned new passwords first (they exist nowhere
    else), then call :func:`reload_broker`, so a failed reload cannot lose them.
    """
    with files.locked():
        existing = files.read_hashes()
        try:
            if make_password is None:
                issued = reconcile(roster, existing, rotate=rotate)
            else:
                issued = reconcile(roster, existing, rotate=rotate, make_password=make_password)
        except AccountError as err:
            raise InstallError(str(err)) from err
        files.install(issued.accounts, group=group)
    return issued
