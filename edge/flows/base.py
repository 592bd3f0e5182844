"""What every workflow is made of: a prompt for the display, inputs, and a result.

A workflow (:class:`Flow`) is a small state machine for one mode of the station. The agent
feeds it the worker's inputs, one at a time, on one thread:

* :meth:`Flow.tag`: a plant tag UID was scanned (RFID or barcode, already normalised);
* :meth:`Flow.weight`: the scale settled on a new load (a **stable** reading of at least the
  station's ``min_weight_g``, after the pan was empty: see :class:`ScaleGate`);
* :meth:`Flow.choose`: a touch target or a typed field (``key``, ``value``).

Each returns a :class:`Result`: payloads to record (dicts in the contract's shape, turned into
events by the agent), a message, or a **refusal**: input that makes no sense in this step (a
tag where a weight is awaited, the same plant twice), explained to the worker and never
published. :meth:`Flow.prompt` says what the display shows now.

A flow does not change what it remembers (the tags scanned for a batch, the plants harvested
today, the list just sent) when it returns records: it puts that change in
:attr:`Result.then`, which the agent runs only once every record is in the outbox. A record
the station refuses (a full outbox, a contract error) thus leaves no trace, and the worker can
scan the same tag again once there is room.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from devices.base import WeightReading
from edge.config import StationConfig
from schemas.clock import Clock

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class InputField:
    """A typed value the worker can edit on the touchscreen (``kind``: text or number)."""

    name: str
    label: str
    value: str
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    expects: tuple[str, ...] = ()  # "tag", "weight": what a scan or the scale may do now
    choices: tuple[Choice, ...] = ()
    fields: tuple[InputField, ...] = ()
    items: tuple[str, ...] = ()  # what has been collected so far (scanned UIDs...)
    step: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    records: list[Record] = field(default_factory=list)
    message: str | None = None
    refused: str | None = None
    then: Callable[[], None] | None = None  # run once every record is stored

    def stored(self) -> None:
        """The records are in the outbox: let the flow remember them."""
        if self.then is not None:
            self.then()

    @staticmethod
    def refuse(message: str) -> "Result":
        return Result(refused=message)


@dataclass
class FloorMemory:
    """What the station remembers across flows (in memory; the server is the authority)."""

    batches: list[str] = field(default_factory=list)  # batch ids started or used here
    harvest_batches: list[str] = field(default_factory=list)
    harvested: dict[str, datetime] = field(default_factory=dict)  # uid -> when, today

    def remember_batch(self, batch_id: str) -> None:
        if batch_id in self.batches:
            self.batches.remove(batch_id)
        self.batches.insert(0, batch_id)
        del self.batches[8:]

    def remember_harvest_batch(self, name: str) -> None:
        if name in self.harvest_batches:
            self.harvest_batches.remove(name)
        self.harvest_batches.insert(0, name)
        del self.harvest_batches[8:]


def short_uid(uid: str) -> str:
    """``1A4FF0100000022000000123`` -> ``…000123``: what a worker reads off a tag."""
    return f"…{uid[-6:]}"


def scale_evidence(reading: WeightReading, device_id: str) -> Record:
    """The contract's ``scale_reading`` for a reading (HARVEST-WET-WEIGHT evidence)."""
    return {
        "device_id": reading.device_id or device_id,
        "weight": {"value": str(reading.value), "unit": reading.unit.value},
        "stable": reading.stable,
        "raw_hex": reading.raw.hex()[:512],
        "read_at": reading.at.astimezone(UTC).isoformat(),
    }


def weight_of(reading: WeightReading) -> Record:
    return {"value": str(reading.value), "unit": reading.unit.value}


def show_weight(reading: WeightReading) -> str:
    return f"{reading.value} {reading.unit.value}"


class Flow:
    """Base: refuses every input; subclasses accept what their current step needs."""

    title = ""

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        self.config = config
        self.memory = memory
        self.clock = clock  # stamps what the flow remembers and names (batch, harvest day)
        self.scale_id = config.scale_id or "scale"

    def prompt(self) -> Prompt:
        raise NotImplementedError

    def tag(self, uid: str) -> Result:
        return Result.refuse(f"Tag {short_uid(uid)} scanned, but {self._waiting_for()}")

    def weight(self, reading: WeightReading) -> Result:
        return Result.refuse(
            f"Weight {show_weight(reading)} on the scale, but {self._waiting_for()}"
        )

    def choose(self, key: str, value: str) -> Result:
        return Result.refuse(f"{key!r} is not a choice here; {self._waiting_for()}")

    def _waiting_for(self) -> str:
        text = self.prompt().text
        return "this step is: " + text[0].lower() + text[1:]


class ScaleGate:
    """Hands a flow each new load once: a stable reading of at least ``min_grams``, after
    the pan has been seen (nearly) empty since the last load taken, or since start.

    Without it, the plant still on the pan from the last weighing would be weighed again for
    the next plant scanned; and a load already on the pan when the station starts (a bucket
    left there, a plant from before a restart) would be taken as the first plant's weight.
    So the gate starts closed: the pan must read below ``min_grams`` once before any weight is
    taken. Readings are in grams (:attr:`WeightReading.grams`).
    """

    def __init__(self, min_grams: float) -> None:
        self.min_grams = Decimal(str(min_grams))
        self.armed = False  # nothing is taken until the pan has been seen empty

    def needs_empty_pan(self, reading: WeightReading) -> bool:
        """True if ``reading`` is a settled load the gate holds back because the pan has not
        been seen empty since the last load (or since start): the worker must lift it."""
        return reading.stable and reading.grams >= self.min_grams and not self.armed

    def offer(self, reading: WeightReading) -> bool:
        """True if this reading is a new load to take."""
        if reading.grams < self.min_grams:
            self.armed = True
            return False
        return reading.stable and self.armed

    def taken(self) -> None:
        self.armed = False
