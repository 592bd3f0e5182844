"""rule_on: a rule's kinds are read from the payload classes its check is annotated with."""

from collections.abc import Iterator

import pytest

from schemas.events import EventEnvelope
from server.compliance.rules import REGISTRY
from server.compliance.rules.base import rule_on
from server.compliance.rules.state import StateView
from tests.rules.memstate import MemoryState, event, plant_uid


def test_the_kinds_are_those_of_the_annotated_payload_classes() -> None:
    assert REGISTRY["HARVEST-WET-WEIGHT"].kinds == {"plant.harvested"}
    assert REGISTRY["NO-FALSIFICATION"].kinds == {"record.corrected"}
    assert REGISTRY["BATCH-MAX-100"].kinds == {"plant_batch.created", "plant_batch.germinated"}
    assert REGISTRY["PRODUCT-FROM-HARVEST"].kinds == {"package.created", "sale.recorded"}
    assert REGISTRY["TRANSFER-MANIFEST"].kinds == {
        "transfer.manifested",
        "transfer.departed",
        "transfer.arrived",
        "transfer.received",
        "invoice.acknowledged",
    }
    assert REGISTRY["ENTRY-FROM-ORIGIN"].kinds == {
        "plant_batch.germinated",
        "plants.tagged",
        "plants.phase_changed",
        "plants.moved",
        "plant.harvested",
        "plant.destroyed",
    }
    assert REGISTRY["WEIGHT-UNITS"].kinds == {
        "package.created",
        "transfer.manifested",
        "transfer.received",
        "sale.recorded",
        "harvest_batch.weighed",
        "plant.destroyed",
        "waste.recorded",
    }


def test_a_check_without_a_payload_class_is_refused_and_not_registered() -> None:
    def unannotated(state: StateView, event: EventEnvelope, p: str) -> Iterator[str]:
        yield p

    before = dict(REGISTRY)
    with pytest.raises(TypeError, match="annotate p"):
        rule_on("WEIGHT-UNITS", summary="a payload that is not one")(unannotated)
    assert before == REGISTRY


def test_the_check_refuses_a_payload_of_another_kind() -> None:
    retired = event({"kind": "tag.retired", "uid": plant_uid(3), "reason": "x"})
    with pytest.raises(TypeError, match=r"checks plant\.harvested, not tag\.retired"):
        list(REGISTRY["HARVEST-WET-WEIGHT"].check(MemoryState(), retired))
