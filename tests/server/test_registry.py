"""Projections are registered by payload model: one per event kind, each given its payload typed."""

import pytest

from schemas.events import PlantsMoved, TagRetired
from server.store import projections
from server.store.registry import HANDLERS, kind_of, projects


def test_every_kind_the_floor_sends_has_one_projection() -> None:
    assert projections.HANDLERS is HANDLERS
    for kind in ("plant_batch.created", "plants.moved", "sale.recorded", "user.registered"):
        assert kind in HANDLERS


def test_a_second_projection_for_a_kind_is_refused_at_import() -> None:
    with pytest.raises(RuntimeError, match=r"two projections for plants\.moved"):

        @projects(PlantsMoved)
        def again(*_: object) -> None: ...


def test_kind_of_reads_the_model() -> None:
    assert kind_of(TagRetired) == "tag.retired"
