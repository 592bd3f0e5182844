"""A real mosquitto running the production config we ship, with throwaway certificates.

``certs``: a private CA and a broker certificate for 127.0.0.1/localhost, made once per run by
``deploy/mosquitto/make-certs`` (the script the deploy guide uses). ``secure_broker``: a
mosquitto on free loopback ports running ``render_production_conf()`` with the TLS listener,
the loopback listener, and password and ACL files issued by ``server.brokerauth`` for
:data:`ROSTER`. Its ``passwords`` are the ones issued, by user name.
"""

import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.broker import PrivateBroker, free_port
from server.brokerauth.conf import ProductionBroker, render_production_conf
from server.brokerauth.install import BrokerFiles, issue
from server.brokerauth.roster import Roster, parse_roster

ROOT = Path(__file__).resolve().parents[2]
MAKE_CERTS = ROOT / "deploy/mosquitto/make-certs"
ROSTER = """
ingest = ["seedtrace-ingest-1"]
console = ["seedtrace-console"]

[[station]]
licence = "OR-1001"
station_id = "harvest-1"

[[station]]
licence = "OR-1001"
station_id = "trim-1"

[[station]]
licence = "CA-2002"
station_id = "harvest-1"
"""
A = "station.OR-1001.harvest-1"
A_TOPICS = "seedtrace/v1/OR-1001/harvest-1"
B = "station.CA-2002.harvest-1"
B_TOPICS = "seedtrace/v1/CA-2002/harvest-1"
INGEST = "seedtrace-ingest-1"
CONSOLE = "seedtrace-console"


def broker_group() -> str | None:
    """mosquitto started as root reads its files as the ``mosquitto`` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return None
    return "mosquitto"


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    out = tmp_path_factory.mktemp("pki")
    subprocess.run([str(MAKE_CERTS), str(out), "localhost", "127.0.0.1"], check=True)
    return Certs(out / "seedtrace-ca.crt", out / "broker.crt", out / "broker.key")


@dataclass
class SecureBroker:
    broker: PrivateBroker
    ca: Path
    local_port: int
    files: BrokerFiles
    roster: Roster
    pid_file: Path
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def tls_port(self) -> int:
        return self.broker.port

    def wait_for_pid_file(self) -> Path:
        deadline = time.monotonic() + 10
        while not self.pid_file.exists() or not self.pid_file.read_text().strip():
            assert time.monotonic() < deadline, "mosquitto wrote no pid file"
            time.sleep(0.02)
        return self.pid_file


@pytest.fixture
def secure_broker(certs: Certs) -> Iterator[SecureBroker]:
    broker = PrivateBroker()
    try:
        ca, cert, key = (
            Path(shutil.copy(p, broker.dir)) for p in (certs.ca, certs.cert, certs.key)
        )
        files = BrokerFiles(broker.dir)
        roster = parse_roster(ROSTER)
        issued = issue(roster, files, group=broker_group())
        cfg = ProductionBroker(
            tls_port=broker.port,
            tls_bind="127.0.0.1",
            local_port=free_port(),
            cafile=ca,
            certfile=cert,
            keyfile=key,
            password_file=files.password_file,
            acl_file=files.acl_file,
            persistence_dir=broker.dir,
            pid_file=broker.dir / "mosquitto.pid",
            log_file=broker.log,
        )
        assert cfg.local_port is not None
        broker.conf.write_text(render_production_conf(cfg))
        broker.start(other_ports=(cfg.local_port,))
        yield SecureBroker(
            broker, ca, cfg.local_port, files, roster, cfg.pid_file, dict(issued.new_passwords)
        )
    finally:
        broker.close()
