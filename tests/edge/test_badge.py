"""Sign-in with a badge tap on a PC/SC reader (pcscd + vpcd, a virtual card that answers
GET DATA with its UID) and a PIN on the touchscreen; the event then carries that operator."""

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from devices.sim.uhf import UhfModuleSim
from devices.sim.vcard import VPCD_BASE_PORT, VirtualCard
from server.broker import PrivateBroker
from tests.devices.conftest import PcscDaemon, pcscd  # noqa: F401 - the session's pcscd
from tests.edge.conftest import Ingest
from tests.edge.helpers import Bench, InProcessAgent, config_data, event_log, make_config, uid

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
SLOT = VPCD_BASE_PORT + 1  # "Virtual PCD 00 01": the device tests mostly use 00 00


def test_badge_tap_and_pin_sign_in(
    pcscd: PcscDaemon,  # noqa: F811
    tmp_path: Path,
    engine: Engine,
    broker: PrivateBroker,
    ingest: Ingest,
    uhf: UhfModuleSim,
) -> None:
    card = VirtualCard("04A2241AB75C80", SLOT)
    data = config_data(tmp_path, broker.port, scale=None, uhf=uhf)
    data["devices"]["badge"] = {"url": card.url, "role": "badge"}
    station = InProcessAgent(make_config(data))
    station.start()
    client = station.client
    try:
        client.wait("the badge reader", lambda v: v["devices"].get("badge") == "ready")
        with card:
            view = client.wait("the PIN prompt", lambda v: v["prompt"]["step"] == "pin")
        assert view["prompt"]["text"] == "Maria Lopez: enter your PIN"
        wrong = client.act("pin", pin="1357")
        assert not wrong["ok"]
        assert wrong["message"] == "Wrong PIN"
        assert client.state()["operator"] is None
        assert client.act("pin", pin="2468")["ok"]
        assert client.state()["operator"] == {"user_id": "maria.lopez", "name": "Maria Lopez"}
        bench = Bench(client, None, uhf)
        bench.mode("receive_tags")
        bench.choose("shape", "list")
        bench.scan(uid(7))
        bench.choose("done", "yes")
        bench.outcome("accepted")
    finally:
        station.stop()
    [row] = event_log(engine)
    assert (row.kind, row.operator_id) == ("tags.received", "maria.lopez")
