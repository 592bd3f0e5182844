"""Workflows with the scale: harvest (wet weight), dry/net weight of a batch, destroy, waste.

Only stable readings reach these flows (:class:`~edge.flows.base.ScaleGate`); the reading's
raw frame goes into the event as evidence (HARVEST-WET-WEIGHT).
"""

from devices.base import WeightReading
from edge.config import StationConfig
from edge.flows.base import (
    Choice,
    FloorMemory,
    Flow,
    InputField,
    Prompt,
    Record,
    Result,
    scale_evidence,
    short_uid,
    show_weight,
    weight_of,
)
from schemas.clock import Clock, local_day, local_time
from schemas.events import DestroyMethod

REASONS = ("Mould", "Pests", "Male plant", "Damaged", "Failed quality")
METHOD_LABELS = {
    DestroyMethod.GRIND_AND_MIX: "Grind and mix",
    DestroyMethod.COMPOST: "Compost",
    DestroyMethod.INCINERATE: "Incinerate",
    DestroyMethod.OTHER: "Other",
}


def _drying_rooms(config: StationConfig) -> list[str]:
    return list(config.floor.drying_rooms) or [config.location]


class Harvest(Flow):
    """Scan a plant, set it on the scale: its stable wet weight is recorded into the day's
    harvest batch (one name per day and drying room, editable)."""

    title = "Harvest"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.room = _drying_rooms(config)[0]
        self.batch_name = self._default_name()
        self.plant: str | None = None

    def _default_name(self) -> str:
        day = local_day(self.clock.now(), self.config.time_zone).isoformat()  # the premises' day
        return f"{self.config.floor.harvest_batch_prefix}-{day}-{self.room}"

    def prompt(self) -> Prompt:
        choices = tuple(Choice("room", r, r, r == self.room) for r in _drying_rooms(self.config))
        fields = (InputField("harvest_batch", "Harvest batch", self.batch_name),)
        if self.plant is None:
            return Prompt("Scan the plant to harvest", ("tag",), choices, fields, step="scan")
        return Prompt(
            f"Put plant {short_uid(self.plant)} on the scale",
            ("weight",),
            (*choices, Choice("cancel", "yes", "Cancel this plant")),
            fields,
            items=(self.plant,),
            step="weigh",
        )

    def tag(self, uid: str) -> Result:
        if self.plant is not None:
            if uid == self.plant:
                return Result.refuse(
                    f"Plant {short_uid(uid)} is already scanned: put it on the scale"
                )
            return Result.refuse(
                f"A weight is awaited for plant {short_uid(self.plant)}: put it on the scale "
                "first, or press Cancel"
            )
        when = self.memory.harvested.get(uid)
        if when is not None:
            at = local_time(when, self.config.time_zone).strftime("%H:%M")
            return Result.refuse(f"Plant {short_uid(uid)} was already harvested here at {at}")
        self.plant = uid
        return Result()

    def weight(self, reading: WeightReading) -> Result:
        if self.plant is None:
            return Result.refuse(
                f"{show_weight(reading)} on the scale, but no plant is scanned: scan its tag first"
            )
        record: Record = {
            "kind": "plant.harvested",
            "uid": self.plant,
            "harvest_batch": self.batch_name,
            "wet_weight": weight_of(reading),
            "scale_reading": scale_evidence(reading, self.scale_id),
            "location": self.room,
        }
        plant, batch_name = self.plant, self.batch_name

        def stored() -> None:
            self.memory.harvested[plant] = self.clock.now()
            self.memory.remember_harvest_batch(batch_name)
            self.plant = None

        return Result([record], then=stored)

    def choose(self, key: str, value: str) -> Result:
        if key == "room" and value in _drying_rooms(self.config):
            self.room = value
            self.batch_name = self._default_name()
            return Result()
        if key == "harvest_batch" and value.strip():
            self.batch_name = value.strip()
            return Result()
        if key == "cancel":
            self.plant = None
            return Result(message="Plant cancelled: nothing recorded")
        return super().choose(key, value)


class WeighBatch(Flow):
    """The dry or net weight of a whole harvest batch."""

    title = "Dry / net weight"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.batch_name: str | None = memory.harvest_batches[0] if memory.harvest_batches else None
        self.weight_type = "dry"

    def prompt(self) -> Prompt:
        choices = [
            Choice("harvest_batch", n, n, n == self.batch_name) for n in self.memory.harvest_batches
        ]
        choices += [
            Choice("weight_type", t, t.capitalize() + " weight", t == self.weight_type)
            for t in ("dry", "net")
        ]
        fields = (InputField("harvest_batch", "Harvest batch", self.batch_name or ""),)
        if self.batch_name is None:
            return Prompt("Choose the harvest batch", (), tuple(choices), fields, step="batch")
        return Prompt(
            f"Put harvest batch {self.batch_name} on the scale ({self.weight_type} weight)",
            ("weight",),
            tuple(choices),
            fields,
            step="weigh",
        )

    def weight(self, reading: WeightReading) -> Result:
        if self.batch_name is None:
            return Result.refuse("Choose the harvest batch before weighing")
        return Result(
            [
                {
                    "kind": "harvest_batch.weighed",
                    "harvest_batch": self.batch_name,
                    "weight_type": self.weight_type,
                    "weight": weight_of(reading),
                    "scale_reading": scale_evidence(reading, self.scale_id),
                }
            ]
        )

    def choose(self, key: str, value: str) -> Result:
        if key == "harvest_batch" and value.strip():
            self.batch_name = value.strip()
            return Result()
        if key == "weight_type" and value in ("dry", "net"):
            self.weight_type = value
            return Result()
        return super().choose(key, value)


class Dispose(Flow):
    """Destroy a plant (scan it) or record waste: weigh, then choose method and reason."""

    def __init__(
        self, config: StationConfig, memory: FloorMemory, clock: Clock, *, plant: bool
    ) -> None:
        super().__init__(config, memory, clock)
        self.for_plant = plant
        self.title = "Destroy a plant" if plant else "Record waste"
        self._reset()

    def _reset(self) -> None:
        self.plant: str | None = None
        self.reading: WeightReading | None = None
        self.method: str | None = None

    def prompt(self) -> Prompt:
        cancel = Choice("cancel", "yes", "Cancel")
        if self.for_plant and self.plant is None:
            return Prompt("Scan the plant to destroy", ("tag",), step="scan")
        if self.reading is None:
            what = f"plant {short_uid(self.plant)}" if self.plant else "the waste"
            return Prompt(f"Put {what} on the scale", ("weight",), (cancel,), step="weigh")
        if self.method is None:
            methods = tuple(Choice("method", m.value, METHOD_LABELS[m]) for m in DestroyMethod)
            return Prompt(
                f"{show_weight(self.reading)}: how is it rendered unusable?",
                (),
                (*methods, cancel),
                step="method",
            )
        reasons = tuple(Choice("reason", r, r) for r in REASONS)
        return Prompt(
            "Why? Choose or type the reason",
            (),
            (*reasons, cancel),
            (InputField("reason", "Reason", ""),),
            step="reason",
        )

    def tag(self, uid: str) -> Result:
        if self.for_plant and self.plant is None:
            self.plant = uid
            return Result()
        return super().tag(uid)

    def weight(self, reading: WeightReading) -> Result:
        if (self.for_plant and self.plant is None) or self.reading is not None:
            return super().weight(reading)
        self.reading = reading
        return Result()

    def choose(self, key: str, value: str) -> Result:
        if key == "cancel":
            self._reset()
            return Result(message="Cancelled: nothing recorded")
        if (
            key == "method"
            and self.reading is not None
            and value in {m.value for m in DestroyMethod}
        ):
            self.method = value
            return Result()
        if key == "reason" and self.method is not None and self.reading is not None:
            record: Record = (
                {
                    "kind": "plant.destroyed",
                    "uid": self.plant,
                    "waste_weight": weight_of(self.reading),
                }
                if self.for_plant
                else {
                    "kind": "waste.recorded",
                    "location": self.config.location,
                    "weight": weight_of(self.reading),
                }
            )
            record.update(
                method=self.method,
                reason=value.strip(),
                scale_reading=scale_evidence(self.reading, self.scale_id),
            )
            return Result([record], then=self._reset)
        return super().choose(key, value)
