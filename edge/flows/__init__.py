"""The station's workflows, one small state machine per mode (``docs/edge.md``, Workflows).

:func:`make_flow` is the explicit table from :class:`~edge.config.Workflow` to its class.
"""

from collections.abc import Callable
from functools import partial

from edge.config import StationConfig, Workflow
from edge.flows.base import FloorMemory, Flow, Prompt, Result, ScaleGate
from edge.flows.plants import Germinate, ReceiveTags, ScanPlants, StartBatch, TagPlants
from edge.flows.weighing import Dispose, Harvest, WeighBatch
from schemas.clock import Clock

TITLES = {
    Workflow.START_BATCH: "Start batch",
    Workflow.GERMINATE: "Germination",
    Workflow.TAG_PLANTS: "Tag plants",
    Workflow.CHANGE_PHASE: "Change phase",
    Workflow.MOVE: "Move plants",
    Workflow.HARVEST: "Harvest",
    Workflow.WEIGH_BATCH: "Dry / net weight",
    Workflow.DESTROY: "Destroy plant",
    Workflow.WASTE: "Record waste",
    Workflow.RECEIVE_TAGS: "Receive tags",
}


FlowFactory = Callable[[StationConfig, FloorMemory, Clock], Flow]

_FLOWS: dict[Workflow, FlowFactory] = {
    Workflow.START_BATCH: StartBatch,
    Workflow.GERMINATE: Germinate,
    Workflow.TAG_PLANTS: TagPlants,
    Workflow.CHANGE_PHASE: partial(ScanPlants, phase=True),
    Workflow.MOVE: partial(ScanPlants, phase=False),
    Workflow.HARVEST: Harvest,
    Workflow.WEIGH_BATCH: WeighBatch,
    Workflow.DESTROY: partial(Dispose, plant=True),
    Workflow.WASTE: partial(Dispose, plant=False),
    Workflow.RECEIVE_TAGS: ReceiveTags,
}


def make_flow(mode: Workflow, config: StationConfig, memory: FloorMemory, clock: Clock) -> Flow:
    return _FLOWS[mode](config, memory, clock)


__all__ = ["TITLES", "FloorMemory", "Flow", "Prompt", "Result", "ScaleGate", "make_flow"]
