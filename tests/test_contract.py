"""The event contract as a station developer relies on it, and its generated descriptions.

``schemas/json/*.schema.json`` and ``schemas/asyncapi.yaml`` are generated from the models
(``make schemas``); these tests fail when they are stale, when the AsyncAPI document misses a
payload kind, or when an example in it does not validate.
"""

import importlib.util
import json
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError

from schemas import generate
from schemas.acks import Ack, ContractRule
from schemas.events import MAX_TAGS_PER_RECEIPT, EventEnvelope, Payload, TagsReceived
from schemas.ids import EVENT_ID_PATTERN, new_event_id
from schemas.status import StationStatus
from schemas.topics import Channel, StationTopic, parse_topic, topic
from schemas.weights import Weight

ROOT = Path(__file__).resolve().parent.parent
ADDRESSES = {
    "events": "seedtrace/v1/{licence}/{station}/events",
    "acks": "seedtrace/v1/{licence}/{station}/acks",
    "status": "seedtrace/v1/{licence}/{station}/status",
}
UID = "1A4FF0100000022000000123"
JSON_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}


def payload_kinds() -> set[str]:
    union = get_args(Payload)[0]
    return {m.model_fields["kind"].default for m in get_args(union)}


def envelope(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    doc = {
        "event_id": "01903a4e-5c00-7a3d-8f21-6b0c2d4e0001",
        "licence": "CCL21-0001234",
        "station_id": "harvest-1",
        "operator_id": "j.garcia",
        "sequence": 1,
        "occurred_at": "2024-06-20T16:05:00+02:00",
        "payload": payload,
    }
    doc.update(changes)
    return doc


def moved(**changes: Any) -> dict[str, Any]:
    return {"kind": "plants.moved", "uids": [UID], "location": "Flower room 3", **changes}


def error_types(err: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["type"] for e in err.value.errors()}


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "schemas" / "asyncapi.yaml").read_text())
    return doc


@pytest.fixture(scope="module")
def json_schemas() -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text())
        for p in sorted((ROOT / "schemas" / "json").glob("*.json"))
    }


# -- generated files ---------------------------------------------------------------------------


def test_generated_files_are_not_stale() -> None:
    stale = [str(p.relative_to(ROOT)) for p in generate.stale()]
    assert not stale, f"{', '.join(stale)} differ from the models; run `make schemas`"


def test_check_names_every_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generate, "JSON_DIR", tmp_path / "json")
    monkeypatch.setattr(generate, "ASYNCAPI_FILE", tmp_path / "asyncapi.yaml")
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    for name in ("event.schema.json", "ack.schema.json", "status.schema.json", "asyncapi.yaml"):
        assert name in err
    assert "make schemas" in err

    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    (tmp_path / "json" / "old.schema.json").write_text("{}\n")
    (tmp_path / "asyncapi.yaml").write_text("asyncapi: 3.0.0\n")
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "old.schema.json" in err
    assert "asyncapi.yaml" in err
    assert "event.schema.json" not in err
    generate.main([])
    assert not (tmp_path / "json" / "old.schema.json").exists()
    assert generate.main(["--check"]) == 0


def test_generation_is_deterministic() -> None:
    assert generate.outputs() == generate.outputs()
    for path, text in generate.outputs().items():
        assert text.endswith("\n"), path
        assert not text.endswith("\n\n"), path
        if path.suffix == ".json":
            assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_contract_core_needs_neither_yaml_nor_other_packages_of_ours() -> None:
    code = (
        "import sys, schemas, schemas.generate\n"
        "assert 'yaml' not in sys.modules, 'schemas imports yaml'\n"
        "ours = {'devices', 'edge', 'server', 'cli'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ours)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_ingest_defaults_written_into_the_document_match_the_server() -> None:
    from server.config import ServerSettings

    fields = ServerSettings.model_fields
    assert fields["share_group"].default == generate.INGEST_SHARE_GROUP
    assert fields["max_payload_bytes"].default == generate.MAX_EVENT_BYTES


# -- AsyncAPI ----------------------------------------------------------------------------------


def test_asyncapi_version_channels_and_server(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    channels = asyncapi["channels"]
    assert {name: c["address"] for name, c in channels.items()} == ADDRESSES
    for channel in channels.values():
        assert set(channel["parameters"]) == {"licence", "station"}
    server = asyncapi["servers"]["mosquitto"]
    assert (server["protocol"], server["protocolVersion"]) == ("mqtt", "5")
    will = server["bindings"]["mqtt"]["lastWill"]
    assert (will["topic"], will["qos"], will["retain"]) == (ADDRESSES["status"], 1, True)
    assert StationStatus.model_validate_json(will["message"]).state == "offline"


def test_asyncapi_operations_and_bindings(asyncapi: dict[str, Any]) -> None:
    ops = asyncapi["operations"]
    expect = {
        "sendEvent": ("send", "events", False),
        "receiveEvents": ("receive", "events", False),
        "sendAck": ("send", "acks", False),
        "receiveAcks": ("receive", "acks", False),
        "sendStatus": ("send", "status", True),
    }
    for name, (action, channel, retain) in expect.items():
        op = ops[name]
        assert op["action"] == action
        assert op["channel"] == {"$ref": f"#/channels/{channel}"}
        assert op["bindings"]["mqtt"]["qos"] == 1
        assert op["bindings"]["mqtt"]["retain"] is retain
    assert "$share/seedtrace-ingest/seedtrace/v1/+/+/events" in ops["receiveEvents"]["description"]


def test_every_payload_kind_has_a_message(asyncapi: dict[str, Any]) -> None:
    messages = asyncapi["components"]["messages"]
    names = {m["name"] for m in messages.values()}
    assert payload_kinds() <= names
    on_events = {
        messages[ref["$ref"].rsplit("/", 1)[1]]["name"]
        for ref in asyncapi["channels"]["events"]["messages"].values()
    }
    assert on_events == payload_kinds()


def test_every_event_example_validates(asyncapi: dict[str, Any]) -> None:
    seen = set()
    for ref in asyncapi["channels"]["events"]["messages"].values():
        message = asyncapi["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
        assert message["examples"], message["name"]
        for example in message["examples"]:
            event = EventEnvelope.model_validate_json(json.dumps(example["payload"]))
            assert event.kind == message["name"]
            seen.add(event.kind)
    assert seen == payload_kinds()


def test_ack_and_status_examples_validate(asyncapi: dict[str, Any]) -> None:
    messages = asyncapi["components"]["messages"]
    acks = [Ack.model_validate(e["payload"]) for e in messages["Ack"]["examples"]]
    assert {a.outcome for a in acks} == {"accepted", "rejected", "duplicate"}
    statuses = [
        StationStatus.model_validate(e["payload"]) for e in messages["StationStatus"]["examples"]
    ]
    assert {s.state for s in statuses} == {"online", "offline"}


def test_every_reference_resolves(asyncapi: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(asyncapi)
    assert found
    for ref in found:
        assert ref.startswith("#/"), ref
        node: Any = asyncapi
        for part in ref[2:].split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]
    assert "$defs" not in json.dumps(asyncapi)


# -- JSON Schema -------------------------------------------------------------------------------


def test_json_schema_files(json_schemas: dict[str, dict[str, Any]]) -> None:
    assert set(json_schemas) == {"event.schema.json", "ack.schema.json", "status.schema.json"}
    for schema in json_schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    event = json_schemas["event.schema.json"]
    payload = event["properties"]["payload"]
    assert payload["discriminator"]["propertyName"] == "kind"
    assert set(payload["discriminator"]["mapping"]) == payload_kinds()
    assert len(payload["oneOf"]) == len(payload_kinds())
    for branch in payload["oneOf"]:
        model = event["$defs"][branch["$ref"].removeprefix("#/$defs/")]
        # pydantic leaves kind optional (it has a Python default); the wire requires it
        assert "kind" in model["required"]


def test_json_schemas_are_valid_json_schema(
    json_schemas: dict[str, dict[str, Any]], asyncapi: dict[str, Any]
) -> None:
    if importlib.util.find_spec("jsonschema") is not None:  # not a dependency: used when there
        import jsonschema

        for schema in json_schemas.values():
            jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(json_schemas["event.schema.json"])
        for message in asyncapi["components"]["messages"].values():
            if message["name"] in payload_kinds():
                for example in message["examples"]:
                    validator.validate(example["payload"])
        return
    for name, schema in json_schemas.items():
        _check_structure(schema, schema, name)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert isinstance(schema["$defs"], dict), name
        assert schema["$defs"], name


def _check_structure(node: Any, root: dict[str, Any], where: str) -> None:
    if isinstance(node, list):
        for i, v in enumerate(node):
            _check_structure(v, root, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/$defs/"), where
        assert ref.removeprefix("#/$defs/") in root["$defs"], where
    if "type" in node:
        assert node["type"] in JSON_TYPES, where
    if "pattern" in node:
        re.compile(node["pattern"])
    for key in ("required", "enum", "oneOf", "anyOf", "allOf"):
        if key in node:
            assert isinstance(node[key], list), f"{where}.{key}"
            assert node[key], f"{where}.{key}"
    if "required" in node:
        assert set(node["required"]) <= set(node["properties"]), where
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            assert isinstance(sub, dict), f"{where}.{key}.{name}"
            _check_structure(sub, root, f"{where}.{name}")
    for key in ("items", "oneOf", "anyOf", "allOf"):
        if key in node:
            _check_structure(node[key], root, f"{where}.{key}")


# -- the integrator guide ----------------------------------------------------------------------


def test_guide_examples_validate() -> None:
    text = (ROOT / "docs" / "mqtt.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)]
    kinds = set()
    for block in blocks:
        if "kind" in block:
            kinds.add(EventEnvelope.model_validate(envelope(block)).kind)
        elif "payload" in block:
            kinds.add(EventEnvelope.model_validate(block).kind)
        elif "outcome" in block:
            Ack.model_validate(block)
        else:
            StationStatus.model_validate(block)
    assert kinds == payload_kinds()
    for kind in payload_kinds():
        assert f"### `{kind}`" in text
    for rule in ContractRule:
        assert f"`{rule.value}`" in text
    for path in ("schemas/asyncapi.yaml", "schemas/json/", "make schemas"):
        assert path in text


# -- weights -----------------------------------------------------------------------------------


def test_weights_are_exact_decimals_sent_as_strings() -> None:
    assert Weight(value="1", unit="oz").in_grams() == Decimal("28.349523125")
    assert Weight(value="1", unit="lb").in_grams() == Decimal("453.59237")
    assert Weight(value="999999999999.999999", unit="oz").in_grams() == Decimal(
        "28349523124999.999971650476875"
    )
    assert json.loads(Weight(value=Decimal("812.40"), unit="g").model_dump_json()) == {
        "value": "812.40",
        "unit": "g",
    }
    assert Weight.model_validate_json('{"value": 0.1, "unit": "g"}').value == Decimal("0.1")
    big = '{"value": "12345678901.123456", "unit": "g"}'
    assert Weight.model_validate_json(big).value == Decimal("12345678901.123456")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("-1", "greater than or equal to 0"),
        ("NaN", "finite"),
        ("1.1234567", "6 decimal places"),
        (12345678901.123456, "decimal string"),
    ],
)
def test_weights_refused(value: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Weight.model_validate_json(json.dumps({"value": value, "unit": "g"}))


# docs/mqtt.md: "A JSON number is accepted below 10^9 and read digit for digit; from 10^9 up it
# is refused". Checked at, below and above the boundary, integers and fractions, on the
# server's parse path (the bytes a station publishes -> ack or parsed event).
BARE_NUMBERS = [
    ("999999999", "999999999"),  # below: integer
    ("999999999.999999", "999999999.999999"),  # below: the largest value with 6 decimals
    ("0", "0"),  # zero is a weight
    ("1000000000", None),  # at: refused, integer or not
    ("1000000000.0", None),
    ("1000000000.000001", None),  # above
    ("1000000001", None),
    ("123456789012", None),
    ('"1000000000"', "1000000000"),  # as a string: exact at any size
    ('"999999999999.999999"', "999999999999.999999"),
]


@pytest.mark.parametrize(("number", "read"), BARE_NUMBERS)
def test_the_bare_number_boundary_is_10_to_the_9(number: str, read: str | None) -> None:
    from server.ingest.parse import Incoming, Parsed, Refused, parse

    payload = {
        "kind": "waste.recorded",
        "location": "Trim room",
        "weight": {"value": "__VALUE__", "unit": "g"},
        "method": "compost",
        "reason": "Stems",
    }
    doc = envelope(payload, station_id="trim-1")
    wire = json.dumps(doc).replace('"__VALUE__"', number).encode()
    topic = f"seedtrace/v1/{doc['licence']}/trim-1/events"
    result = parse(Incoming(topic, wire, datetime(2024, 6, 20, tzinfo=UTC)), 256 * 1024)
    if read is None:
        assert isinstance(result, Refused), number
        [violation] = result.ack.violations
        assert violation.rule_id == "SCHEMA-INVALID"
        assert violation.field == "payload.waste.recorded.weight.value"
        assert "a weight of 10^9 or more must be sent as a decimal string" in violation.message
    else:
        assert isinstance(result, Parsed), number
        stored = json.loads(result.body)["payload"]["weight"]
        assert stored == {"value": read, "unit": "g"}  # stored as the exact string


def test_weights_inside_events_are_strings() -> None:
    payload = {
        "kind": "waste.recorded",
        "location": "Trim room",
        "weight": {"value": 1.25, "unit": "kg"},
        "method": "compost",
        "reason": "Stems",
    }
    wire = json.loads(EventEnvelope.model_validate(envelope(payload)).model_dump_json())
    assert wire["payload"]["weight"] == {"value": "1.25", "unit": "kg"}


# -- times, unknown fields, names --------------------------------------------------------------


def test_occurred_at_needs_an_offset() -> None:
    with pytest.raises(ValidationError, match="timezone") as err:
        EventEnvelope.model_validate(envelope(moved(), occurred_at="2024-06-20T16:05:00"))
    assert error_types(err) == {"timezone_aware"}


def test_occurred_at_is_normalised_to_utc() -> None:
    event = EventEnvelope.model_validate(envelope(moved(), occurred_at="2024-06-20T16:05:00+02:00"))
    assert event.occurred_at == datetime(2024, 6, 20, 14, 5, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert json.loads(event.model_dump_json())["occurred_at"] == "2024-06-20T14:05:00Z"


@pytest.mark.parametrize(
    "doc",
    [
        envelope(moved(), colour="green"),
        envelope(moved(note="x")),
        envelope(
            {
                "kind": "waste.recorded",
                "location": "Trim room",
                "weight": {"value": "1", "unit": "g", "tare": "0"},
                "method": "compost",
                "reason": "Stems",
            }
        ),
    ],
    ids=["envelope", "payload", "weight"],
)
def test_unknown_fields_are_refused(doc: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as err:
        EventEnvelope.model_validate(doc)
    assert error_types(err) == {"extra_forbidden"}


def test_payload_without_kind_is_refused() -> None:
    payload = moved()
    del payload["kind"]
    with pytest.raises(ValidationError) as err:
        EventEnvelope.model_validate(envelope(payload))
    assert error_types(err) == {"union_tag_not_found"}


@pytest.mark.parametrize("name", [" Room 1", "Room 1 ", "Room 1\t", "\nRoom 1", "", "Room\x001"])
def test_names_taken_as_written(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        EventEnvelope.model_validate(envelope(moved(location=name)))
    assert {e["loc"] for e in err.value.errors()} == {("payload", "plants.moved", "location")}


def test_names_may_hold_inner_blanks() -> None:
    event = EventEnvelope.model_validate(envelope(moved(location="Flower room 3")))
    assert event.payload.location == "Flower room 3"  # type: ignore[union-attr]


# -- payload rules the schema cannot express ---------------------------------------------------


def received(**fields: Any) -> TagsReceived:
    return TagsReceived.model_validate({"kind": "tags.received", "tag_type": "plant", **fields})


def test_tag_ranges_expand() -> None:
    tags = received(first="1A4FF0100000022000000098", last="1A4FF0100000022000000102")
    assert tags.expand() == [f"1A4FF0100000022000000{n:03d}" for n in range(98, 103)]
    assert received(first=UID, last=UID).expand() == [UID]
    assert received(uids=[UID]).expand() == [UID]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"first": "1A4FF0100000022000000100", "last": "1B4FF0100000022000000199"}, "one roll"),
        ({"first": "1A4FF010000002200000000A", "last": "1A4FF010000002200000000B"}, "one roll"),
        ({"first": "1A4FF0100000022000000199", "last": "1A4FF0100000022000000100"}, "before"),
        (
            {"first": "1A4FF0100000022000000000", "last": "1A4FF0100000022000010000"},
            f"at most {MAX_TAGS_PER_RECEIPT} per receipt",
        ),
        ({"first": UID}, "both first and last"),
        ({}, "give uids, or both first and last"),
        ({"uids": [UID], "first": UID, "last": UID}, "not both"),
        ({"uids": [UID, UID]}, "listed twice"),
    ],
    ids=["prefix", "no-digits", "reversed", "oversized", "half", "nothing", "both", "twice"],
)
def test_tag_ranges_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        received(**fields)


def destroyed(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "plant.destroyed",
        "waste_weight": {"value": "12", "unit": "g"},
        "method": "grind_and_mix",
        "reason": "Root rot",
        **fields,
    }


@pytest.mark.parametrize("subject", [{"uid": UID}, {"batch_id": "B-17", "count": 3}])
def test_plant_destroyed_with_one_subject(subject: dict[str, Any]) -> None:
    EventEnvelope.model_validate(envelope(destroyed(**subject)))


@pytest.mark.parametrize(
    "subject",
    [{}, {"uid": UID, "batch_id": "B-17", "count": 3}, {"uid": UID, "count": 3}, {"batch_id": "B"}],
    ids=["none", "both", "uid-and-count", "batch-without-count"],
)
def test_plant_destroyed_needs_exactly_one_subject(subject: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="give"):
        EventEnvelope.model_validate(envelope(destroyed(**subject)))


# -- ids and topics ----------------------------------------------------------------------------


def test_new_event_ids_are_time_ordered_uuid7() -> None:
    before = time.time_ns() // 1_000_000
    ids = []
    for _ in range(3):
        ids.append(new_event_id())
        time.sleep(0.002)
    after = time.time_ns() // 1_000_000
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    for event_id in ids:
        assert re.fullmatch(EVENT_ID_PATTERN, event_id)
        value = uuid.UUID(event_id)
        assert str(value) == event_id
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert before <= value.int >> 80 <= after
    EventEnvelope.model_validate(envelope(moved(), event_id=ids[0]))


def test_new_event_id_takes_its_time_from_a_given_clock() -> None:
    at = datetime(2026, 3, 14, 15, 9, 26, 535_000, tzinfo=UTC)
    ids = [new_event_id(at=at), new_event_id(at=at), new_event_id(at=at + timedelta(seconds=1))]
    assert len(set(ids)) == 3
    assert max(ids[:2]) < ids[2]  # a later time sorts after
    for event_id in ids[:2]:
        value = uuid.UUID(event_id)
        assert value.version == 7
        assert value.int >> 80 == int(at.timestamp() * 1000)
    with pytest.raises(ValueError, match="no time zone"):
        new_event_id(at=datetime(2026, 3, 14))
    with pytest.raises(ValueError, match="before 1970"):
        new_event_id(at=datetime(1969, 12, 31, tzinfo=UTC))


@pytest.mark.parametrize("level", ["a/b", "a+", "#", "", " lic", "a\x00b"])
def test_topic_levels_refused(level: str) -> None:
    with pytest.raises(ValueError, match="cannot be a topic level"):
        topic(level, "harvest-1", Channel.EVENTS)
    with pytest.raises(ValueError, match="cannot be a topic level"):
        topic("CCL21-0001234", level, Channel.EVENTS)


@pytest.mark.parametrize("channel", list(Channel))
def test_parse_topic_round_trips(channel: Channel) -> None:
    name = topic("CCL21-0001234", "harvest-1", channel)
    assert name == f"seedtrace/v1/CCL21-0001234/harvest-1/{channel.value}"
    assert parse_topic(name) == StationTopic("CCL21-0001234", "harvest-1", channel)


@pytest.mark.parametrize(
    "name",
    [
        "seedtrace/v2/CCL21-0001234/harvest-1/events",
        "seedtrace/v1/CCL21-0001234/harvest-1/other",
        "seedtrace/v1/CCL21-0001234/events",
        "seedtrace/v1//harvest-1/events",
        "seedtrace/v1/CCL21-0001234/harvest-1/events/x",
    ],
)
def test_parse_topic_ignores_foreign_topics(name: str) -> None:
    assert parse_topic(name) is None
