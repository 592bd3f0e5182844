"""A simulated UHF RFID module on a pty, speaking the ``BB ... 7E`` frames of
:mod:`devices.rfid.uhf_codec`.

It answers what the driver sends, as a real module does:

* single inventory (``22``): one notice per tag in the field, or the "no tag" error;
* multi-poll inventory (``27``): a round of notices every ``round_interval`` seconds for the
  given number of rounds, silent while the field is empty, until stop (``28``), which it
  acknowledges with ``BB 01 28 00 01 00 2A 7E``;
* anything else: the "command error" response (code 0x17). Frames with a bad checksum are
  ignored, as the module ignores line noise.

The field is scripted with :meth:`UhfModuleSim.put` / :meth:`take`. Fault knobs:
``garbage`` (noise bytes before every frame, including stray ``BB`` and ``7E``), ``split``
(each frame written in two writes, 1 ms apart), EPCs that contain ``BB``/``7E``
(:data:`TRICKY_EPC`) and :meth:`unplug` / :meth:`replug`, which also resets the module, as
pulling a USB cable powers it off.
"""

import random
import threading
import time
from collections.abc import Iterable

from devices.rfid.uhf_codec import (
    CMD_INVENTORY,
    CMD_MULTI_INVENTORY,
    CMD_STOP_MULTI,
    NO_TAG,
    Deframer,
    Frame,
    FrameType,
    error_frame,
    tag_notice,
)
from devices.sim.pty import PtySimulator
from devices.uid import normalise_uid

COMMAND_ERROR = 0x17
TRICKY_EPC = "BB7E00BB7EBB00000000007E"  # a valid EPC full of delimiters and a fake frame
_NOISE = bytes([0xBB, 0x7E, 0x00, 0xFF, 0x22, 0x02, 0x11])


class UhfModuleSim(PtySimulator):
    def __init__(
        self,
        tags: Iterable[str] = (),
        *,
        rssi: int = -55,
        garbage: bool = False,
        split: bool = False,
        round_interval: float = 0.02,
    ) -> None:
        super().__init__("uhf-module", "uhf-sim")
        self.rssi = rssi
        self.garbage = garbage
        self.split = split
        self.round_interval = round_interval
        self.commands_seen = 0  # well-formed commands received; benchmarks and tests read it
        self._field: dict[bytes, int] = {}
        self._lock = threading.Lock()
        self._noise = random.Random(20240501)  # seeded: a failing run can be replayed
        self._deframer = Deframer()
        self._rounds_left = 0
        self._next_round = 0.0
        for uid in tags:
            self.put(uid)

    @property
    def url(self) -> str:
        return f"uhf://{self.pty.path}?baudrate=115200"

    # -- the field ---------------------------------------------------------------------------

    def put(self, uid: str, rssi: int | None = None) -> None:
        """Bring a tag into the field; ``uid`` is its EPC in hex (24 digits for 96 bits)."""
        epc = normalise_uid(uid)
        try:
            raw = bytes.fromhex(epc)
        except ValueError as err:
            raise ValueError(f"tag {uid!r} is not hexadecimal; a UHF tag's UID is its EPC") from err
        with self._lock:
            self._field[raw] = self.rssi if rssi is None else rssi

    def take(self, uid: str) -> None:
        with self._lock:
            self._field.pop(bytes.fromhex(normalise_uid(uid)), None)

    def clear(self) -> None:
        with self._lock:
            self._field.clear()

    # -- the cable ---------------------------------------------------------------------------

    def unplug(self) -> None:
        self.pty.unplug()
        with self._lock:
            self._rounds_left = 0
            self._deframer.clear()

    def replug(self) -> None:
        self.pty.replug()

    # -- the module --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.pty.plugged:
                time.sleep(0.01)
                continue
            wait = 0.05
            if self._rounds_left:
                wait = min(wait, max(0.0, self._next_round - time.monotonic()))
            data = self.pty.read(timeout=wait)
            for frame in self._deframer.feed(data):
                if frame.type == FrameType.COMMAND:
                    self.commands_seen += 1
                    self._answer(frame)
            if self._rounds_left and time.monotonic() >= self._next_round:
                self._rounds_left -= 1
                self._next_round = time.monotonic() + self.round_interval
                self._send_notices(empty_reply=None)

    def _answer(self, frame: Frame) -> None:
        if frame.command == CMD_INVENTORY:
            self._send_notices(empty_reply=error_frame(NO_TAG))
        elif frame.command == CMD_MULTI_INVENTORY and len(frame.params) == 3:
            self._rounds_left = int.from_bytes(frame.params[1:3], "big")
            self._next_round = time.monotonic()
        elif frame.command == CMD_STOP_MULTI:
            self._rounds_left = 0
            self._send(Frame(FrameType.RESPONSE, CMD_STOP_MULTI, b"\x00"))
        else:
            self._send(error_frame(COMMAND_ERROR))

    def _send_notices(self, empty_reply: Frame | None) -> None:
        with self._lock:
            field = list(self._field.items())
        if not field and empty_reply is not None:
            self._send(empty_reply)
        for epc, rssi in field:
            self._send(tag_notice(epc, rssi=rssi & 0xFF))

    def _send(self, frame: Frame) -> None:
        wire = frame.encode()
        if self.garbage:
            noise = bytes(self._noise.choice(_NOISE) for _ in range(self._noise.randint(1, 6)))
            wire = noise + wire
        if self.split:
            cut = len(wire) // 2
            self.pty.write(wire[:cut])
            time.sleep(0.001)
            wire = wire[cut:]
        self.pty.write(wire)


def make_uhf_sim(
    tags: str = "", rssi: str = "-55", garbage: str = "0", split: str = "0"
) -> UhfModuleSim:
    """``seedtrace sim uhf -o tags=UID1,UID2 -o garbage=1 -o split=1 -o rssi=-60``."""
    return UhfModuleSim(
        [t for t in tags.split(",") if t.strip()],
        rssi=int(rssi),
        garbage=garbage.lower() in ("1", "true", "yes"),
        split=split.lower() in ("1", "true", "yes"),
    )
