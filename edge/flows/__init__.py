"""The station's workflows, one small state machine per mode (``docs/edge.md``, Workflows).

:func:`make_flow` is the explicit table from :class:`~edge.config.Workflow` to its class.
"""

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


def make_flow(mode: Workflow, config: StationConfig, memory: FloorMemory, clock: Clock) -> Flow:
    if mode is Workflow.START_BATCH:
        return StartBatch(config, memory, clock)
    if mode is Workflow.GERMINATE:
        return Germinate(config, memory, clock)
    if mode is Workflow.TAG_PLANTS:
        return TagPlants(config, memory, clock)
    if mode is Workflow.CHANGE_PHASE:
        return ScanPlants(config, memory, clock, phase=True)
    if mode is Workflow.MOVE:
        return ScanPlants(config, memory, clock, phase=False)
    if mode is Workflow.HARVEST:
        return Harvest(config, memory, clock)
    if mode is Workflow.WEIGH_BATCH:
        return WeighBatch(config, memory, clock)
    if mode is Workflow.DESTROY:
        return Dispose(config, memory, clock, plant=True)
    if mode is Workflow.WASTE:
        return Dispose(config, memory, clock, plant=False)
    return ReceiveTags(config, memory, clock)


__all__ = ["TITLES", "FloorMemory", "Flow", "Prompt", "Result", "ScaleGate", "make_flow"]
