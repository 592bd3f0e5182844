"""What the broker refuses, as the technician reads it at the station: a wrong password, and
an account whose ACL does not cover this station's topics.

A real mosquitto with password authentication and the ACL that ``server.brokerauth`` issues
for the deploy tests' roster (as in production, without TLS: loopback only), and the real
agent. Before, a wrong password
read "no acknowledgement" and an ACL refusal was not reported at all."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edge.mqtt_reasons import CREDENTIALS, Stage, explain, is_problem
from server.broker import PrivateBroker, mosquitto_conf
from server.brokerauth.install import BrokerFiles, issue
from server.brokerauth.roster import parse_roster
from tests.deploy.conftest import ROSTER, broker_group
from tests.edge.helpers import InProcessAgent, config_data, make_config, uid


@dataclass
class AuthBroker:
    broker: PrivateBroker
    passwords: dict[str, str]


@pytest.fixture
def auth_broker() -> Iterator[AuthBroker]:
    broker = PrivateBroker()
    try:
        files = BrokerFiles(broker.dir)
        issued = issue(parse_roster(ROSTER), files, group=broker_group())
        broker.conf.write_text(
            mosquitto_conf(
                port=broker.port,
                persistence_dir=broker.dir,
                allow_anonymous=False,
                password_file=files.password_file,
                acl_file=files.acl_file,
                log_file=broker.log,
            )
        )
        broker.start()
        yield AuthBroker(broker, dict(issued.new_passwords))
    finally:
        broker.close()


def _station(tmp_path: Path, port: int, username: str, password: str) -> InProcessAgent:
    secret = tmp_path / "broker-password"
    secret.write_text(password + "\n")
    data = config_data(tmp_path, port, scale=None, uhf=None)
    data["broker"] = {**data["broker"], "username": username, "password_file": str(secret)}
    return InProcessAgent(make_config(data))


def _broker_notes(view: dict[str, Any]) -> list[str]:
    return [w for w in view["warnings"] if w.startswith("broker: ")]


@pytest.mark.broker
def test_a_wrong_password_reads_as_a_refused_log_on(
    tmp_path: Path, auth_broker: AuthBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="seedtrace.edge")
    station = _station(tmp_path, auth_broker.broker.port, "station.OR-1001.harvest-1", "wrong")
    station.start()
    try:
        expected = f"the broker refused this station's log-on (not authorised): {CREDENTIALS}"
        view = station.client.wait(
            "the refusal on the display", lambda v: f"broker: {expected}" in v["warnings"]
        )
        assert not view["online"]
        # paho tries again (1-10 s apart); the loss of access names the refusal as its cause.
        station.client.wait("access lost", lambda v: v["access_lost"], 20.0)
    finally:
        station.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "seedtrace.edge"]
    assert lines.count(f"broker: {expected}") == 1, lines
    lost = [line for line in lines if line.startswith("access lost since")]
    assert len(lost) == 1
    assert lost[0].endswith(f": {expected}"), lost
    assert not any("no acknowledgement" in line for line in lines)


@pytest.mark.broker
def test_another_stations_account_is_refused_its_events(
    tmp_path: Path, auth_broker: AuthBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """harvest-1 configured with trim-1's account: the log-on works, the ACL refuses.

    mosquitto 2.0 grants the subscription (SUBACK 0x01) and applies the ACL when delivering,
    so the refusal the station can see is the PUBACK's 0x87 for each event."""
    caplog.set_level(logging.INFO, logger="seedtrace.edge")
    account = "station.OR-1001.trim-1"
    station = _station(tmp_path, auth_broker.broker.port, account, auth_broker.passwords[account])
    station.start()
    client = station.client
    events = "broker: the broker refused this station's events (not authorised): the broker's ACL"
    try:
        client.wait("online", lambda v: v["online"])  # the log-on itself works
        assert client.act("sign_in", user="maria.lopez", password="green-thumb")["ok"]
        assert client.act("mode", mode="tag_plants")["ok"]
        client.act("choose", key="batch_id", value="B-1")
        client.act("scan", uid=uid(1))
        view = client.wait(
            "the PUBACK refusal", lambda v: any(n.startswith(events) for n in _broker_notes(v))
        )
        assert view["waiting"] == 1  # kept in the outbox: nothing is lost
        client.act("scan", uid=uid(2))  # refused again: the log does not say it again
        client.wait("two waiting", lambda v: v["waiting"] == 2)
    finally:
        station.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "seedtrace.edge"]
    assert sum(line.startswith(events) for line in lines) == 1, lines


def test_every_refusal_code_has_a_sentence_for_the_technician() -> None:
    """Every failure code MQTT 5.0 defines for CONNACK, SUBACK, PUBACK and DISCONNECT."""
    spec = {
        Stage.CONNECT: [
            *(0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C),
            *(0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F),
        ],
        Stage.SUBSCRIBE: [0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2],
        Stage.PUBLISH: [0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
        Stage.DISCONNECT: [
            *(0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x93, 0x94),
            *(0x95, 0x97, 0x98, 0x9C, 0x9D, 0x9F, 0xA0),
        ],
    }
    for stage, codes in spec.items():
        for code in codes:
            assert is_problem(stage, code)
            assert "reason code" not in explain(stage, code), (stage, hex(code))
    for stage in Stage:
        assert not is_problem(stage, 0x00)
    assert not is_problem(Stage.SUBSCRIBE, 0x01)  # granted QoS 1
    assert explain(Stage.SUBSCRIBE, 0x87).startswith(
        "the broker refused this station's subscription to its acks (not authorised)"
    )
    assert explain(Stage.CONNECT, 0xFE, "Future") == (
        "the broker refused this station's log-on: reason code 0xFE (Future)"
    )
