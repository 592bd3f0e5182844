"""Workflows without the scale: start a batch, record germination, tag plants, change phase,
move, receive tags."""

from devices.uid import TAG_LENGTH
from edge.config import StationConfig
from edge.flows.base import Choice, FloorMemory, Flow, InputField, Prompt, Result, short_uid
from schemas.clock import Clock, local_time
from schemas.events import PlantOrigin, TagType, tag_range

ORIGIN_LABELS = {
    PlantOrigin.SEED: "Seed",
    PlantOrigin.CLONE: "Clone",
    PlantOrigin.TISSUE_CULTURE: "Tissue culture",
    PlantOrigin.NURSERY_SEEDLING: "Nursery seedling",
}
MAX_PER_EVENT = 500  # plants.phase_changed / plants.moved take up to 500 UIDs
MAX_GERMINATED = 10_000  # plant_batch.germinated's count, as a batch's


def _choices(key: str, options: list[str], current: str | None) -> tuple[Choice, ...]:
    return tuple(Choice(key, o, o, o == current) for o in options)


def _rooms(config: StationConfig) -> list[str]:
    rooms = list(config.floor.rooms)
    return rooms if config.location in rooms else [config.location, *rooms]


class StartBatch(Flow):
    """Origin, strain and count (and batch id and room, prefilled) -> ``plant_batch.created``."""

    title = "Start a plant batch"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.values: dict[str, str] = {"location": config.location, "batch_id": self._new_id()}

    def _new_id(self) -> str:
        local = local_time(self.clock.now(), self.config.time_zone)  # the premises' wall clock
        return f"B-{local.strftime('%Y%m%d-%H%M%S')}"

    def prompt(self) -> Prompt:
        v = self.values
        missing = [k for k in ("origin", "strain", "count") if not v.get(k)]
        text = f"Choose the {missing[0]}" if missing else "Check the batch, then press Record batch"
        choices = [
            Choice("origin", o.value, ORIGIN_LABELS[o], v.get("origin") == o.value)
            for o in PlantOrigin
        ]
        choices += _choices("strain", list(self.config.floor.strains), v.get("strain"))
        choices += _choices("location", _rooms(self.config), v.get("location"))
        if not missing:
            choices.append(Choice("confirm", "yes", "Record batch"))
        return Prompt(
            text,
            choices=tuple(choices),
            fields=(
                InputField("strain", "Strain", v.get("strain", "")),
                InputField("count", "How many", v.get("count", ""), "number"),
                InputField("batch_id", "Batch", v["batch_id"]),
            ),
            step="details" if missing else "confirm",
        )

    def choose(self, key: str, value: str) -> Result:
        if key in ("origin", "strain", "location", "batch_id"):
            self.values[key] = value.strip()
            return Result()
        if key == "count":
            if not value.strip().isdigit() or int(value) < 1:
                return Result.refuse(f"How many plants: {value!r} is not a whole number from 1")
            self.values["count"] = str(int(value))
            return Result()
        if key == "confirm":
            v = self.values
            missing = [k for k in ("origin", "strain", "count") if not v.get(k)]
            if missing:
                return Result.refuse(f"Choose the {missing[0]} first")
            record = {
                "kind": "plant_batch.created",
                "batch_id": v["batch_id"],
                "origin": v["origin"],
                "count": int(v["count"]),
                "strain": v["strain"],
                "location": v["location"],
            }

            def stored() -> None:
                self.memory.remember_batch(v["batch_id"])
                self.values = {"location": v["location"], "batch_id": self._new_id()}

            return Result([record], then=stored)
        return super().choose(key, value)


class Germinate(Flow):
    """Choose the batch and say how many of its seeds or cultures came up (0 is a record:
    checked, none came up) -> ``plant_batch.germinated``. The server refuses more than the
    batch holds as seeds or cultures, and plants beyond its 100 (BATCH-MAX-100)."""

    title = "Germination"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.batch_id: str | None = memory.batches[0] if memory.batches else None
        self.count: int | None = None

    def prompt(self) -> Prompt:
        choices = list(_choices("batch_id", self.memory.batches, self.batch_id))
        ready = self.batch_id is not None and self.count is not None
        if ready:
            choices.append(Choice("confirm", "yes", f"Record {self.count} as plants"))
        if self.batch_id is None:
            text = "Choose the batch whose seeds or cultures came up"
        elif self.count is None:
            text = f"How many seeds or cultures of batch {self.batch_id} are plants now?"
        else:
            text = "Check the count, then press Record"
        return Prompt(
            text,
            choices=tuple(choices),
            fields=(
                InputField("batch_id", "Batch", self.batch_id or ""),
                InputField(
                    "count", "Came up", "" if self.count is None else str(self.count), "number"
                ),
            ),
            step="confirm" if ready else "details",
        )

    def choose(self, key: str, value: str) -> Result:
        if key == "batch_id":
            self.batch_id = value.strip() or None
            return Result()
        if key == "count":
            text = value.strip()
            if not (text.isascii() and text.isdigit()) or int(text) > MAX_GERMINATED:
                return Result.refuse(
                    f"How many came up: {value!r} is not a whole number from 0 to "
                    f"{MAX_GERMINATED:,}"
                )
            self.count = int(text)
            return Result()
        if key == "confirm":
            if self.batch_id is None or self.count is None:
                return Result.refuse("Choose the batch and say how many came up first")
            batch_id, count = self.batch_id, self.count
            record = {"kind": "plant_batch.germinated", "batch_id": batch_id, "count": count}

            def stored() -> None:
                self.memory.remember_batch(batch_id)
                self.count = None

            return Result([record], then=stored)
        return super().choose(key, value)


class TagPlants(Flow):
    """Choose the batch, then each scan tags one plant of it (``plants.tagged``, one UID)."""

    title = "Tag plants"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.batch_id: str | None = memory.batches[0] if memory.batches else None
        self.tagged: list[str] = []

    def prompt(self) -> Prompt:
        choices = _choices("batch_id", self.memory.batches, self.batch_id)
        fields = (InputField("batch_id", "Batch", self.batch_id or ""),)
        if self.batch_id is None:
            return Prompt("Choose the batch to tag", choices=choices, fields=fields, step="batch")
        return Prompt(
            f"Scan the tag of each plant of batch {self.batch_id}",
            expects=("tag",),
            choices=choices,
            fields=fields,
            items=tuple(short_uid(u) for u in self.tagged[-10:]),
            step="scan",
        )

    def choose(self, key: str, value: str) -> Result:
        if key == "batch_id":
            self.batch_id = value.strip() or None
            self.tagged = []
            return Result()
        return super().choose(key, value)

    def tag(self, uid: str) -> Result:
        if self.batch_id is None:
            return Result.refuse("Choose the batch before scanning tags")
        if uid in self.tagged:
            return Result.refuse(f"Tag {short_uid(uid)} was already scanned for this batch")
        batch_id = self.batch_id

        def stored() -> None:
            self.tagged.append(uid)
            self.memory.remember_batch(batch_id)

        return Result([{"kind": "plants.tagged", "batch_id": batch_id, "uids": [uid]}], then=stored)


class ScanPlants(Flow):
    """Scan plants, choose the phase and/or room, then Done records them in one event."""

    def __init__(
        self, config: StationConfig, memory: FloorMemory, clock: Clock, *, phase: bool
    ) -> None:
        super().__init__(config, memory, clock)
        self.with_phase = phase
        self.title = "Change phase" if phase else "Move plants"
        self.uids: list[str] = []
        self.phase: str | None = "flowering" if phase else None
        self.room: str | None = None

    def prompt(self) -> Prompt:
        choices: list[Choice] = []
        if self.with_phase:
            choices += [
                Choice("phase", p, p.capitalize(), p == self.phase)
                for p in ("vegetative", "flowering")
            ]
        choices += _choices("room", _rooms(self.config), self.room)
        ready = self.uids and (self.phase if self.with_phase else self.room)
        if ready:
            choices.append(Choice("done", "yes", f"Done: {len(self.uids)} plant(s)"))
        choices.append(Choice("clear", "yes", "Start over"))
        what = "the new phase and room" if self.with_phase else "the new room"
        text = (
            f"Scan the plants, choose {what}, then press Done"
            if self.uids
            else f"Scan the plants to {'change' if self.with_phase else 'move'}"
        )
        return Prompt(
            text,
            expects=("tag",),
            choices=tuple(choices),
            fields=(InputField("room", "Room", self.room or ""),),
            items=tuple(short_uid(u) for u in self.uids[-10:]),
            step="scan",
        )

    def tag(self, uid: str) -> Result:
        if uid in self.uids:
            return Result.refuse(f"Plant {short_uid(uid)} is already in this list")
        if len(self.uids) >= MAX_PER_EVENT:
            return Result.refuse(f"{MAX_PER_EVENT} plants at most at once: press Done first")
        self.uids.append(uid)
        return Result(message=f"{len(self.uids)} plant(s) scanned")

    def _clear(self) -> None:
        self.uids = []

    def choose(self, key: str, value: str) -> Result:
        if key == "phase" and self.with_phase and value in ("vegetative", "flowering"):
            self.phase = value
            return Result()
        if key == "room":
            self.room = value.strip() or None
            return Result()
        if key == "clear":
            self.uids = []
            return Result(message="List cleared")
        if key == "done":
            if not self.uids:
                return Result.refuse("Scan at least one plant first")
            if self.with_phase:
                record = {"kind": "plants.phase_changed", "uids": self.uids, "phase": self.phase}
                if self.room is not None:
                    record["location"] = self.room
            elif self.room is None:
                return Result.refuse("Choose the room the plants go to")
            else:
                record = {"kind": "plants.moved", "uids": self.uids, "location": self.room}
            return Result([record], then=self._clear)
        return super().choose(key, value)


class ReceiveTags(Flow):
    """A delivered roll (scan the first and the last tag) or a list (scan each, then Done)."""

    title = "Receive tags"

    def __init__(self, config: StationConfig, memory: FloorMemory, clock: Clock) -> None:
        super().__init__(config, memory, clock)
        self.tag_type = TagType.PLANT.value
        self.as_list = False
        self.uids: list[str] = []

    def prompt(self) -> Prompt:
        choices = [
            Choice("tag_type", t.value, f"{t.value.capitalize()} tags", t.value == self.tag_type)
            for t in TagType
        ]
        choices += [
            Choice("shape", "roll", "A roll (first and last)", not self.as_list),
            Choice("shape", "list", "Single tags", self.as_list),
        ]
        if self.as_list:
            text = "Scan each tag, then press Done" if self.uids else "Scan each tag received"
            if self.uids:
                choices.append(Choice("done", "yes", f"Done: {len(self.uids)} tag(s)"))
        elif not self.uids:
            text = "Scan the FIRST tag of the roll"
        elif len(self.uids) == 1:
            text = "Scan the LAST tag of the roll"
        else:
            count = len(tag_range(self.uids[0], self.uids[1]))
            text = f"Roll of {count} tags: press Record roll"
            choices.append(Choice("done", "yes", "Record roll"))
        choices.append(Choice("clear", "yes", "Start over"))
        return Prompt(
            text,
            expects=("tag",),
            choices=tuple(choices),
            items=tuple(short_uid(u) for u in self.uids[-10:]),
            step="scan",
        )

    def tag(self, uid: str) -> Result:
        if len(uid) != TAG_LENGTH:
            return Result.refuse(f"{uid} is not a tag UID")
        if uid in self.uids:
            return Result.refuse(f"Tag {short_uid(uid)} was already scanned")
        if not self.as_list:
            if len(self.uids) == 2:
                return Result.refuse("First and last are scanned: Record roll or Start over")
            if len(self.uids) == 1:
                try:
                    tag_range(self.uids[0], uid)
                except ValueError as err:
                    return Result.refuse(f"Not the end of this roll: {err}")
        self.uids.append(uid)
        return Result()

    def _clear(self) -> None:
        self.uids = []

    def choose(self, key: str, value: str) -> Result:
        if key == "tag_type" and value in {t.value for t in TagType}:
            self.tag_type = value
            return Result()
        if key == "shape" and value in ("roll", "list"):
            self.as_list = value == "list"
            self.uids = []
            return Result()
        if key == "clear":
            self.uids = []
            return Result()
        if key == "done":
            record: dict[str, object] = {"kind": "tags.received", "tag_type": self.tag_type}
            if self.as_list and self.uids:
                record["uids"] = self.uids
            elif not self.as_list and len(self.uids) == 2:
                record["first"], record["last"] = self.uids
            else:
                return Result.refuse("Scan the tags first")
            return Result([record], then=self._clear)
        return super().choose(key, value)
