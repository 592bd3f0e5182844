"""Several "hosts" on this machine: network namespaces on a private bridge (Linux, as root).

:func:`private_lan` makes, for one test or one benchmark run:

- a **bridge** ``stbr<x>`` in the root namespace with the address ``10.213.<x>.1/24``, ``<x>``
  a subnet number no other run on this machine holds (a lock file per number under
  :data:`LOCK_DIR`, deleted on the way out, plus no interface of this machine already in
  ``10.213.<x>.0/24``), so parallel runs do not collide;
- a **PostgreSQL cluster of its own** (``initdb`` as the ``postgres`` user, in a temporary
  folder) listening on ``10.213.<x>.1:5432`` and on nothing else (its Unix socket in that
  folder), trust authentication for the bridge's subnet alone. Its own, not the machine's
  PostgreSQL through a relay: the hosts' sessions are then TCP connections from the namespaces
  to PostgreSQL itself, so a host that dies without a word (its link cut) leaves PostgreSQL a
  dead peer, as on a real network;

and, per :meth:`Lan.add_host`, a **namespace** ``seedtrace-<x>-h<n>`` whose only link is a veth
pair: ``sth<x>h<n>`` inside, with ``10.213.<x>.<10+n>/24``, and ``stv<x>h<n>`` on the bridge. A
namespace reaches the bridge's subnet and nothing else (no default route; this machine does not
forward). Start a process in it with :attr:`Host.prefix` (``ip netns exec``). Processes in the
root namespace (stations, the test itself) reach the broker and PostgreSQL on the bridge
address too.

Whatever the test or benchmark does, :meth:`Lan.close` (the context manager's exit) kills every
process still running in the namespaces, stops PostgreSQL and deletes its folder, the
namespaces, the veths and the bridge. A run killed outright (SIGKILL) leaves them behind: its
subnet's lock is free again, but the leftover bridge keeps the number out of use until deleted
(``ip link del stbr<x>``; ``ip netns del seedtrace-<x>-h<n>``).
"""

import contextlib
import fcntl
import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql

PREFIX = "10.213"
PG_PORT = 5432
LOCK_DIR = Path("/run/lock") if Path("/run/lock").is_dir() else Path("/tmp")


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "ip is not installed (Debian package iproute2)"
    try:
        pwd.getpwnam("postgres")
        postgres_bindir()
    except (KeyError, FileNotFoundError):
        return "PostgreSQL's server programs are not installed (Debian package postgresql)"
    return None


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL's programs (initdb, pg_ctl), Debian's layout."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb")
    return found[-1].parent


def _ip(*args: str, namespace: str | None = None, check: bool = True) -> str:
    command = ["ip", *args] if namespace is None else ["ip", "-n", namespace, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


def _as_postgres(program: str, *args: str, check: bool = True) -> None:
    """One of PostgreSQL's programs, as the ``postgres`` user (initdb refuses root)."""
    command = ["runuser", "-u", "postgres", "--", str(postgres_bindir() / program), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{program} failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")


@dataclass
class Host:
    """One ingest "host": a namespace with its own address on the bridge."""

    namespace: str
    address: str
    veth: str  # the root namespace's end, on the bridge

    @property
    def prefix(self) -> list[str]:
        """Put before a command to run it in this host."""
        return ["ip", "netns", "exec", self.namespace]

    def cut(self) -> None:
        """Pull the cable: the bridge's end of the link goes down; nothing more passes either
        way (no FIN, no RST), and the peers' sockets stay open on their side."""
        _ip("link", "set", self.veth, "down")

    def mend(self) -> None:
        """Plug the cable back in: what TCP had not got through is retransmitted."""
        _ip("link", "set", self.veth, "up")


@dataclass
class Lan:
    number: int  # <x> of 10.213.<x>.0/24
    lock: IO[bytes]
    hosts: list[Host] = field(default_factory=list)
    pg_dir: Path | None = None  # PostgreSQL's folder, once started

    @property
    def bridge(self) -> str:
        return f"stbr{self.number}"

    @property
    def address(self) -> str:
        """The root namespace's address on the bridge: the broker's and PostgreSQL's."""
        return f"{PREFIX}.{self.number}.1"

    def add_host(self) -> Host:
        n = len(self.hosts) + 1
        x = self.number
        host = Host(f"seedtrace-{x}-h{n}", f"{PREFIX}.{x}.{10 + n}", f"stv{x}h{n}")
        inner = f"sth{x}h{n}"
        self.hosts.append(host)  # before making it: close() removes what exists
        _ip("netns", "add", host.namespace)
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", host.namespace)
        _ip("link", "set", host.veth, "master", self.bridge, "up")
        _ip("link", "set", "lo", "up", namespace=host.namespace)
        _ip("addr", "add", f"{host.address}/24", "dev", inner, namespace=host.namespace)
        _ip("link", "set", inner, "up", namespace=host.namespace)
        return host

    def start_postgres(self) -> None:
        """A fresh cluster on the bridge address (default settings but the listener); up
        when it accepts connections."""
        folder = Path(tempfile.mkdtemp(prefix="seedtrace-lan-pg-"))
        self.pg_dir = folder
        os.chown(folder, self.postgres_uid(), -1)
        data = folder / "data"
        _as_postgres("initdb", "-D", str(data), "-U", "postgres", "-A", "reject", "--no-sync")
        (data / "pg_hba.conf").write_text(
            f"local all postgres peer\nhost all postgres {PREFIX}.{self.number}.0/24 trust\n"
        )
        listen = f"-c listen_addresses={self.address} -c port={PG_PORT}"
        options = f"{listen} -c unix_socket_directories={folder}"
        log = str(folder / "postgresql.log")
        _as_postgres("pg_ctl", "-D", str(data), "-o", options, "-l", log, "-w", "start")

    @staticmethod
    def postgres_uid() -> int:
        return pwd.getpwnam("postgres").pw_uid

    @property
    def pg_admin(self) -> str:
        """A libpq connection string to this cluster's ``postgres`` database."""
        return f"host={self.address} port={PG_PORT} user=postgres dbname=postgres"

    def pg_database(self, name: str) -> str:
        """Creates database ``name`` on this cluster; its SQLAlchemy URL."""
        with psycopg.connect(self.pg_admin, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://postgres@{self.address}:{PG_PORT}/{name}"

    def close(self) -> None:
        """Kill what still runs in the namespaces, stop PostgreSQL, delete everything made."""
        for host in self.hosts:
            pids = _ip("netns", "pids", host.namespace, check=False).split()
            for pid in pids:  # processes this run started in its own namespace
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
        if self.pg_dir is not None:
            data = str(self.pg_dir / "data")
            _as_postgres("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", check=False)
            shutil.rmtree(self.pg_dir, ignore_errors=True)
        for host in self.hosts:
            _ip("link", "del", host.veth, check=False)  # its peer goes with it
            _ip("netns", "del", host.namespace, check=False)
        _ip("link", "del", self.bridge, check=False)
        with contextlib.suppress(FileNotFoundError):  # still holding the lock: nobody else's
            os.unlink(self.lock.name)
        self.lock.close()


def _claim_subnet() -> tuple[int, IO[bytes]]:
    """A subnet number held by this process alone (its lock file stays open)."""
    used = _ip("-o", "-4", "addr", "show")
    links = _ip("-o", "link", "show")
    numbers = list(range(1, 255))
    random.shuffle(numbers)
    for x in numbers:
        if f" {PREFIX}.{x}." in used or f" stbr{x}:" in links:
            continue
        path = LOCK_DIR / f"seedtrace-netns-{x}.lock"
        lock = path.open("wb")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # The holder before us deletes the file on its way out: a lock on a deleted file
            # is no lock.
            if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
                return x, lock
        except (BlockingIOError, FileNotFoundError):
            pass
        lock.close()
    raise RuntimeError(f"no free subnet in {PREFIX}.0.0/16")


@contextlib.contextmanager
def private_lan(hosts: int = 0) -> Iterator[Lan]:
    """A bridge with PostgreSQL on it and ``hosts`` hosts on it (more with
    :meth:`Lan.add_host`); everything is removed on exit, also on error."""
    number, lock = _claim_subnet()
    lan = Lan(number, lock)
    try:
        _ip("link", "add", lan.bridge, "type", "bridge")
        _ip("addr", "add", f"{lan.address}/24", "dev", lan.bridge)
        _ip("link", "set", lan.bridge, "up")
        lan.start_postgres()
        for _ in range(hosts):
            lan.add_host()
        yield lan
    finally:
        lan.close()
