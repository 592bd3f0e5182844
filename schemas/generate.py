"""Write the contract's JSON Schema files and its AsyncAPI 3.0 document, from the models.

``python -m schemas.generate`` (``make schemas``) rewrites ``schemas/json/*.schema.json`` and
``schemas/asyncapi.yaml``; ``--check`` writes nothing, names every file that differs from what
the models say, and exits 1 if any does. Nothing here is edited by hand: change the models.

Two adjustments to pydantic's output, both so the schemas say what the validators do:

- ``kind`` is listed as required in every payload. It has a default in Python (so code can
  build ``PlantsMoved(...)`` without it), but the envelope's discriminated union needs it on
  the wire: a payload without ``kind`` is refused.
- In the AsyncAPI copy, pydantic's OpenAPI-style ``discriminator`` object is dropped (an
  AsyncAPI Schema Object's ``discriminator`` is a property name for inheritance, not this);
  the ``oneOf`` with a ``const`` ``kind`` in each branch says the same. The JSON files keep it.

PyYAML is imported only when the YAML is rendered: the contract itself does not need it.
"""

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, get_args

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.acks import Ack
from schemas.events import (
    SCHEMA_VERSION,
    EventEnvelope,
    Payload,
)
from schemas.examples import (
    ACK_EXAMPLES,
    AT,
    EVENT_ID,
    LICENCE,
    PAYLOAD_EXAMPLES,
    STATION,
    STATUS_EXAMPLES,
)
from schemas.ids import LICENCE_PATTERN, STATION_PATTERN
from schemas.status import StationStatus
from schemas.topics import Channel, shared_events_subscription, topic

HERE: Final = Path(__file__).resolve().parent
JSON_DIR: Final = HERE / "json"
ASYNCAPI_FILE: Final = HERE / "asyncapi.yaml"
FIX_COMMAND: Final = "make schemas"
HEADER: Final = f"# Generated from the models in schemas/ by `{FIX_COMMAND}`; do not edit.\n"

JSON_SCHEMAS: Final[dict[str, type[BaseModel]]] = {
    "event.schema.json": EventEnvelope,
    "ack.schema.json": Ack,
    "status.schema.json": StationStatus,
}
# The ingest's defaults (server.config.ServerSettings); tests/test_contract.py keeps them equal.
INGEST_SHARE_GROUP: Final = "seedtrace-ingest"
MAX_EVENT_BYTES: Final = 64 * 1024
MQTT_BINDING: Final = "0.2.0"


def payload_models() -> list[type[BaseModel]]:
    """The payload models of :data:`schemas.events.Payload`, in its order."""
    union = get_args(Payload)[0]
    return list(get_args(union))


def kind_of(model: type[BaseModel]) -> str:
    kind = model.model_fields["kind"].default
    if not isinstance(kind, str):
        raise TypeError(f"{model.__name__}.kind has no default")
    return kind


def event_examples() -> dict[str, EventEnvelope]:
    """An example envelope per payload kind, keyed by kind. Fails on a kind without one."""
    by_kind = {kind_of(type(p)): p for p in PAYLOAD_EXAMPLES}
    missing = [kind_of(m) for m in payload_models() if kind_of(m) not in by_kind]
    if missing:
        raise LookupError(f"schemas/generate.py has no example for {', '.join(missing)}")
    return {
        kind: EventEnvelope(
            event_id=EVENT_ID.format(n),
            licence=LICENCE,
            station_id=STATION,
            device_id="reader-1",
            operator_id="j.garcia",
            sequence=n,
            occurred_at=AT,
            payload=by_kind[kind],
        )
        for n, kind in enumerate((kind_of(m) for m in payload_models()), start=1)
    }


# -- JSON Schema ------------------------------------------------------------------------------


def _fix(node: Any, *, drop_discriminator: bool) -> Any:
    """Copy a pydantic schema, requiring ``kind`` and optionally dropping ``discriminator``."""
    if isinstance(node, list):
        return [_fix(v, drop_discriminator=drop_discriminator) for v in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _fix(v, drop_discriminator=drop_discriminator)
        for k, v in node.items()
        if not (drop_discriminator and k == "discriminator" and isinstance(v, dict))
    }
    props = out.get("properties")
    if isinstance(props, dict) and "const" in props.get("kind", {}):
        out["required"] = ["kind", *(r for r in out.get("required", []) if r != "kind")]
    return out


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema: dict[str, Any] = _fix(model.model_json_schema(), drop_discriminator=False)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$comment"] = f"Generated from schemas/ by `{FIX_COMMAND}`; do not edit."
    return schema


def _dump_json(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# -- AsyncAPI ---------------------------------------------------------------------------------


def _ref(*path: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(path)}


def _summary(model: type[BaseModel]) -> str:
    return (model.__doc__ or model.__name__).strip().split("\n\n")[0].replace("\n", " ")


def _component_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(m, "validation") for m in JSON_SCHEMAS.values()],
        ref_template="#/components/schemas/{model}",
    )
    fixed: dict[str, Any] = _fix(top["$defs"], drop_discriminator=True)
    return fixed


def _mqtt(qos: int, retain: bool) -> dict[str, Any]:
    return {"mqtt": {"qos": qos, "retain": retain, "bindingVersion": MQTT_BINDING}}


def _message(
    name: str, title: str, summary: str, model: type[BaseModel], examples: Mapping[str, BaseModel]
) -> dict[str, Any]:
    """A message whose payload is ``model``'s component schema, with named examples."""
    return {
        "name": name,
        "title": title,
        "summary": summary,
        "contentType": "application/json",
        "payload": _ref("components", "schemas", model.__name__),
        "examples": [
            {"name": n, "payload": m.model_dump(mode="json")} for n, m in examples.items()
        ],
    }


def _operation(
    action: str,
    title: str,
    channel: str,
    messages: list[str],
    tag: str,
    *,
    retain: bool = False,
    description: str | None = None,
    reply: str | None = None,
) -> dict[str, Any]:
    """An operation at QoS 1 on ``channel`` with its ``messages`` (names in that channel),
    done by the side ``tag`` names; ``reply`` is the channel the answer comes on."""
    operation: dict[str, Any] = {
        "action": action,
        "title": title,
        "channel": _ref("channels", channel),
        "messages": [_ref("channels", channel, "messages", n) for n in messages],
        "bindings": _mqtt(1, retain),
        "tags": [{"name": tag}],
    }
    if description is not None:
        operation["description"] = description
    if reply is not None:
        operation["reply"] = {"channel": _ref("channels", reply)}
    return operation


def asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as plain data."""
    address = {c: topic("{licence}", "{station}", c) for c in Channel}
    events = event_examples()
    messages: dict[str, Any] = {}
    for model in payload_models():
        kind = kind_of(model)
        messages[model.__name__] = {
            "name": kind,
            "title": f"Event {kind}",
            "summary": _summary(model),
            "contentType": "application/json",
            "payload": {
                "allOf": [
                    _ref("components", "schemas", "EventEnvelope"),
                    {
                        "type": "object",
                        "properties": {"payload": _ref("components", "schemas", model.__name__)},
                    },
                ]
            },
            "examples": [{"name": kind, "payload": events[kind].model_dump(mode="json")}],
        }
    messages["Ack"] = _message(
        "ack",
        "Ack",
        "The server's decision on one event, matched to it by event_id.",
        Ack,
        ACK_EXAMPLES,
    )
    messages["StationStatus"] = _message(
        "status",
        "Station status",
        "A station's health, retained; 'offline' is also its last will.",
        StationStatus,
        STATUS_EXAMPLES,
    )
    event_messages = [m.__name__ for m in payload_models()]
    station_params = {
        "licence": _ref("components", "parameters", "licence"),
        "station": _ref("components", "parameters", "station"),
    }
    channels = {
        "events": {
            "address": address[Channel.EVENTS],
            "title": "Station events",
            "description": "Station to server, QoS 1, not retained. One event per message, "
            f"UTF-8 JSON, at most {MAX_EVENT_BYTES} bytes by default (larger ones are refused "
            "with PAYLOAD-TOO-LARGE). The topic's licence and station must be the envelope's.",
            "parameters": station_params,
            "messages": {n: _ref("components", "messages", n) for n in event_messages},
        },
        "acks": {
            "address": address[Channel.ACKS],
            "title": "Acks",
            "description": "Server to station, QoS 1: one ack per decided event.",
            "parameters": station_params,
            "messages": {"Ack": _ref("components", "messages", "Ack")},
        },
        "status": {
            "address": address[Channel.STATUS],
            "title": "Station status",
            "description": "Station to anyone, QoS 1, retained. 'online' on connect; 'offline' "
            "as the MQTT last will, published by the broker when the station vanishes.",
            "parameters": station_params,
            "messages": {"StationStatus": _ref("components", "messages", "StationStatus")},
        },
    }
    operations = {
        "sendEvent": _operation(
            "send",
            "A station publishes an event",
            "events",
            event_messages,
            "station",
            description="Resend the same event (same event_id, same body) until its ack "
            "arrives; sequence counts from 1 without gaps.",
            reply="acks",
        ),
        "receiveEvents": _operation(
            "receive",
            "The ingest takes events from a shared subscription",
            "events",
            event_messages,
            "ingest",
            description="Every ingest process subscribes to "
            f"`{shared_events_subscription(INGEST_SHARE_GROUP)}` (MQTT 5 shared "
            "subscription): the broker splits the stations' events among them. Messages are "
            "acknowledged to the broker only after the event is stored (decided, or held until a "
            "missing sequence arrives) and its ack, if any, is published.",
        ),
        "sendAck": _operation("send", "The ingest answers each event", "acks", ["Ack"], "ingest"),
        "receiveAcks": _operation(
            "receive",
            "A station reads its acks",
            "acks",
            ["Ack"],
            "station",
            description="Subscribe with QoS 1 to the station's own acks topic on a "
            "persistent session, so acks sent while it is away wait at the broker.",
        ),
        "sendStatus": _operation(
            "send",
            "A station reports its health",
            "status",
            ["StationStatus"],
            "station",
            retain=True,
        ),
    }
    offline = STATUS_EXAMPLES["offline (last will)"].model_dump_json()
    components = {
        "schemas": _component_schemas(),
        "messages": messages,
        "parameters": {
            "licence": {
                "description": f"The licence number (pattern {LICENCE_PATTERN}).",
                "examples": [LICENCE],
            },
            "station": {
                "description": f"The station id (pattern {STATION_PATTERN}).",
                "examples": [STATION],
            },
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "seedtrace station MQTT contract",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": "Edge stations publish events; the central ingest decides, stores and "
            "acks each one. Operations tagged `station` are a station's side, `ingest` the "
            "server's. Generated from the pydantic models in schemas/; the guide is "
            "docs/mqtt.md.",
            "license": {"name": "Apache-2.0"},
            "tags": [
                {"name": "station", "description": "An edge station."},
                {"name": "ingest", "description": "The central ingest service."},
            ],
        },
        "defaultContentType": "application/json",
        "servers": {
            "mosquitto": {
                "host": "{host}:{port}",
                "protocol": "mqtt",
                "protocolVersion": "5",
                "description": "Eclipse Mosquitto 2, MQTT 5 (shared subscriptions).",
                "variables": {
                    "host": {"default": "127.0.0.1"},
                    "port": {"default": "1883", "description": "8883 with TLS"},
                },
                "bindings": {
                    "mqtt": {
                        "cleanSession": False,
                        "lastWill": {
                            "topic": address[Channel.STATUS],
                            "qos": 1,
                            "retain": True,
                            "message": offline,
                        },
                        "bindingVersion": MQTT_BINDING,
                    }
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def _dump_yaml(doc: dict[str, Any]) -> str:
    import yaml  # only for generating; the contract does not need PyYAML at run time

    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=100)
    return HEADER + text


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _sorted(node[k]) for k in sorted(node)}
    if isinstance(node, list):
        return [_sorted(v) for v in node]
    return node


def outputs() -> dict[Path, str]:
    """Every generated file and its content."""
    files = {JSON_DIR / name: _dump_json(json_schema(m)) for name, m in JSON_SCHEMAS.items()}
    doc = asyncapi()
    # Top-level keys in the spec's order; everything below sorted, so the file is stable.
    files[ASYNCAPI_FILE] = _dump_yaml({k: _sorted(v) for k, v in doc.items()})
    return files


def stale() -> list[Path]:
    """Generated files whose content on disk differs from the models (or that are missing),
    and JSON files in ``schemas/json/`` that are no longer generated."""
    files = outputs()
    found = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    found += sorted(p for p in JSON_DIR.glob("*.json") if p not in files)
    return found


def write() -> list[Path]:
    JSON_DIR.mkdir(exist_ok=True)
    for extra in JSON_DIR.glob("*.json"):
        if extra.name not in JSON_SCHEMAS:
            extra.unlink()
    written = []
    for path, text in outputs().items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def _shown(path: Path) -> str:
    return str(path.relative_to(HERE.parent)) if path.is_relative_to(HERE.parent) else str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        paths = stale()
        for path in paths:
            print(f"stale: {_shown(path)}", file=sys.stderr)
        if paths:
            print(f"run `{FIX_COMMAND}` to regenerate", file=sys.stderr)
            return 1
        return 0
    for path in write():
        print(f"wrote {_shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
