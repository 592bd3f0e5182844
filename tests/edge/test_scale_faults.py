"""The scale at a running station, as a worker and a technician meet it: an overload, a port
that refuses its serial settings, and a load already on the pan when the station starts.

Real parts throughout: simulated scales on ptys, mosquitto, the agent (in-process, or as a
``seedtrace edge`` process for the port fault, which needs a process of its own)."""

import os
import time
from pathlib import Path

import pytest

from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from edge.workflow import EMPTY_PAN_FIRST
from server.broker import PrivateBroker
from tests.devices.ttyfault import RefusingPort
from tests.edge.conftest import Floor
from tests.edge.helpers import AgentProcess, InProcessAgent, config_data, event_log, make_config

pytestmark = [pytest.mark.broker, pytest.mark.hardware]


@pytest.mark.parametrize(
    ("protocol", "form"), [("and", "manual"), ("and", "nines"), ("ohaus", "manual")]
)
def test_an_overload_reads_as_overload_on_the_display(
    tmp_path: Path, broker: PrivateBroker, uhf: UhfModuleSim, protocol: str, form: str
) -> None:
    """A&D's ``OL,+9999999E+19`` (no unit) used to show as "no answer"."""
    with ScaleSimulator(protocol, weight="250.00", overload_form=form) as scale:
        scale.set_condition("overload")
        config = make_config(config_data(tmp_path, broker.port, scale=scale, uhf=uhf))
        with InProcessAgent(config) as station:
            view = station.client.wait(
                "the overload on the display",
                lambda v: (v.get("weight") or {}).get("state") == "overload",
            )
            weight = view["weight"]
            assert weight["problem"] == "OVERLOAD: more than the scale can weigh; take the load off"
            assert view["devices"]["scale-1"] == "ready"  # the scale answers: it is there
            scale.set_condition("normal")
            view = station.client.wait(
                "the weight back", lambda v: (v.get("weight") or {}).get("state") == "ok"
            )
            assert view["weight"]["value"] == "250.00"
            assert view["weight"]["problem"] is None


def test_a_port_that_refuses_its_settings_is_unavailable_logged_once_and_retried(
    tmp_path: Path, broker: PrivateBroker, uhf: UhfModuleSim, scale: ScaleSimulator
) -> None:
    """termios.error from tcsetattr used to escape: a traceback in the log every 0.5 s."""
    port_link = tmp_path / "scale-port"  # like /dev/serial/by-id/...: the path the config names
    with RefusingPort() as port:
        os.symlink(port.path, port_link)
        data = config_data(tmp_path, broker.port, scale=scale, uhf=uhf)
        data["devices"]["scale-1"]["url"] = f"mt-sics://{port_link}?poll_interval=0.02"
        with AgentProcess(data, tmp_path / "station.toml", preexec=port.preexec()) as station:
            view = station.client.wait(
                "the scale shown as unavailable",
                lambda v: v["devices"].get("scale-1") == "unavailable",
            )
            note = next(w for w in view["warnings"] if w.startswith("scale-1 unavailable"))
            assert "the port refused its serial settings" in note, note
            assert note.endswith("; retrying")
            assert (view.get("weight") or {}).get("state") == "unavailable"
            # Several retries happen (backing off); the log says so once, without a traceback.
            time.sleep(3.0)  # 0.5 + 1 + 2 s of back-off: three or four tries
            log = station.log.read_text()
            assert "Traceback" not in log, log[-3000:]
            assert log.count("device scale-1 unavailable") == 1, log[-3000:]
            # The technician fixes the port (here: the path now leads to a working scale).
            scale.set_weight("0")
            tmp = tmp_path / "scale-port.new"
            os.symlink(scale.pty.path, tmp)
            os.replace(tmp, port_link)
            view = station.client.wait(
                "the scale back",
                lambda v: (v.get("weight") or {}).get("state") == "ok",
                30.0,
            )
            assert view["devices"]["scale-1"] == "ready"
            assert not any(w.startswith("scale-1") for w in view["warnings"])
    log = station.log.read_text()
    assert "Traceback" not in log
    assert log.count("device scale-1 unavailable") == 1
    assert log.count("device scale-1 ready again") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_load_on_the_pan_at_start_is_not_the_first_plants_weight(floor: Floor) -> None:
    [plant] = floor.plants(1)
    floor.scale.set_weight("730.00")  # a bucket left on the pan overnight
    with floor.station() as (station, bench):
        bench.sign_in(mode="harvest")
        bench.scan(plant)
        view = station.client.wait(
            "the worker told to lift the load",
            lambda v: (v.get("weight") or {}).get("problem") == EMPTY_PAN_FIRST,
        )
        assert view["weight"]["value"] == "730.00"
        assert view["waiting"] == 0
        assert "Put plant" in view["prompt"]["text"]  # still waiting for this plant's weight
        bench.empty_pan()
        bench.weigh("512.40")
        view = bench.outcome("accepted")
        bench.drained()
    [harvested] = event_log(floor.engine)
    assert (harvested.kind, harvested.outcome) == ("plant.harvested", "accepted")
    assert '"512.40"' in str(harvested.body)
