"""The station config: the examples in deploy/stations/ load, and a bad file is refused with
a message naming each bad key."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from edge.config import ConfigError, load_config, parse_config
from edge.secrets import check_hash_format, hash_secret, verify_secret
from edge.toml_out import dumps

STATIONS = Path(__file__).resolve().parents[2] / "deploy" / "stations"
EXAMPLES = sorted(p for p in STATIONS.glob("*.toml") if not p.name.startswith("operators"))


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "licence": "OR-1001",
        "station_id": "veg-1",
        "location": "Veg Room 1",
        "time_zone": "America/Los_Angeles",
        "workflows": ["tag_plants"],
        "devices": {"reader-1": {"url": "uhf:///dev/ttyUSB0", "role": "tags"}},
    }
    data.update(changes)
    return data


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "station.toml")
    return str(caught.value)


def test_the_examples_load_and_name_real_drivers() -> None:
    assert len(EXAMPLES) >= 3
    for path in EXAMPLES:
        config = load_config(path)
        assert config.workflows, path
        assert config.operators or config.operators_file, path


def test_edge_check_prints_what_a_config_sets_up() -> None:
    for args in (["edge", "check", str(EXAMPLES[0])], ["edge", "check", "-c", str(EXAMPLES[0])]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "OK" in result.output
        assert "workflows" in result.output


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"licence": "OR 1001"}, "licence: String should match pattern"),
        ({"workflows": ["harvest"]}, "need a device with role scale"),
        ({"workflows": ["dance"]}, "workflows.0: Input should be"),
        ({"devices": {"s": {"url": "nope:///x", "role": "scale"}}}, "devices.s.url"),
        (
            {"devices": {"s": {"url": "uhf:///x", "role": "tags", "baud": 9}}},
            "devices.s.baud: unknown key",
        ),
        ({"broker": {"url": "http://x"}}, "broker.url"),
        (
            {"broker": {"url": "mqtt://h", "cert_file": "c.pem"}},
            "cert_file and key_file go together",
        ),
        ({"outbox": {"capacity": 0}}, "outbox.capacity"),
        ({"station_id": "console"}, "station_id: Value error, 'console' is reserved"),
        ({"time_zone": "Pacific Time"}, "time_zone: Value error, 'Pacific Time' is not an IANA"),
        ({"statoin_id": "x"}, "statoin_id: unknown key"),
        (
            {"operators": [{"user_id": "a", "name": "A", "pin_hash": "md5$x"}]},
            "operators.0.pin_hash",
        ),
        (
            {"operators": [{"user_id": "a", "name": "A", "badge": "04A2241AB75C80"}]},
            "a badge needs a pin_hash",
        ),
    ],
)
def test_a_bad_config_names_the_bad_key(change: dict[str, Any], words: str) -> None:
    assert words in problems(minimal(**change))


def test_two_people_cannot_share_a_user_id_or_a_badge() -> None:
    pin = hash_secret("1234", log2_n=10)
    same_badge = [
        {"user_id": "a", "name": "A", "badge": "04A2241AB75C80", "pin_hash": pin},
        {"user_id": "b", "name": "B", "badge": "04:a2:24:1a:b7:5c:80", "pin_hash": pin},
    ]
    assert "one badge is given to two people" in problems(minimal(operators=same_badge))
    twice = [{"user_id": "a", "name": "A", "password_hash": pin}] * 2
    assert "a listed twice (UNIQUE-LOGON)" in problems(minimal(operators=twice))


def test_operators_file_and_relative_paths(tmp_path: Path) -> None:
    pin = hash_secret("1234", log2_n=10)
    (tmp_path / "people.toml").write_text(
        dumps({"operators": [{"user_id": "a.b", "name": "A B", "password_hash": pin}]})
    )
    (tmp_path / "station.toml").write_text(
        dumps(minimal(operators_file="people.toml", data_dir="data"))
    )
    config = load_config(tmp_path / "station.toml")
    assert [o.user_id for o in config.operators] == ["a.b"]
    assert config.outbox_path == tmp_path / "data" / "outbox.db"


def test_unreadable_and_invalid_toml_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("licence = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_pins_are_hashed_with_scrypt_and_checked() -> None:
    stored = hash_secret("2468", log2_n=10)
    assert stored.startswith("scrypt$10$8$1$")
    check_hash_format(stored)
    assert verify_secret("2468", stored)
    assert not verify_secret("2469", stored)
    assert hash_secret("2468", log2_n=10) != stored  # salted
    with pytest.raises(ValueError, match="empty"):
        hash_secret("")


def test_edge_without_a_config_says_what_to_give() -> None:
    result = CliRunner().invoke(app, ["edge"])
    assert result.exit_code == 2
    assert "--config" in result.output


SEEDTRACE = str(Path(sys.executable).with_name("seedtrace"))


def test_hash_secret_reads_the_secret_from_stdin_for_scripts() -> None:
    """It used to prompt only: a provisioning script could not use it."""
    for args in (["edge", "hash-secret"], ["edge", "hash-secret", "--stdin"]):
        done = subprocess.run(
            [SEEDTRACE, *args], input="2468\n", capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        stored = done.stdout.strip()
        check_hash_format(stored)
        assert verify_secret("2468", stored)
        assert not verify_secret("2468\n", stored)
    empty = subprocess.run(
        [SEEDTRACE, "edge", "hash-secret"], input="", capture_output=True, text=True, timeout=60
    )
    assert empty.returncode == 2
    assert empty.stdout == ""
    assert "no secret on standard input" in empty.stderr
