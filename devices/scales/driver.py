"""One serial scale driver for every protocol: a codec and a command table make the difference.

:class:`SerialScale` satisfies :class:`devices.base.Scale`. A :class:`ScaleProtocol` says how
to ask (or, for streaming scales, that the scale talks unasked), which commands exist, and how
the scale acknowledges them; the codec turns bytes into :class:`~devices.scales.frames.
ScaleFrame`. Only frames whose status is a weight become a :class:`~devices.base.
WeightReading`; the rest are refused with :class:`~devices.errors.ReadingRefused`::

    overload  -> "overload"     underload -> "underload"    negative -> "negative"
    busy (MT-SICS "S I"/"Z I", NCI in motion) -> "motion"    error replies -> "device_error"

Zero is a weight like any other. A pulled cable makes the current call raise
:class:`~devices.errors.DeviceUnavailable` and :attr:`state` UNAVAILABLE; the next call
reopens the port by its path (:class:`~devices.serialport.SerialTransport`) and the state
returns to READY. Before each command, input still buffered from before is discarded, and
after a command that timed out the driver first waits for the line to go quiet, so a late
answer to an earlier command is never taken for the answer to this one.

URL options besides the serial ones: ``poll_interval`` (seconds between polls while the scale
moves, default 0.05), ``command_timeout`` (zero/tare, default 5), ``reopen_interval``
(default 0.5).
"""

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from devices.base import DeviceState, OpenCloseContext, WeightReading
from devices.errors import DeviceUnavailable, ReadingRefused
from devices.scales.frames import Commands, Decode, FrameBuffer, Garbage, ScaleFrame, Status
from devices.serialport import SerialTransport
from devices.urls import DeviceUrl
from schemas.weights import Weight

log = logging.getLogger(__name__)

_REASONS = {
    Status.OVERLOAD: "overload",
    Status.UNDERLOAD: "underload",
    Status.NEGATIVE: "negative",
    Status.BUSY: "motion",
}


@dataclass(frozen=True, slots=True)
class ScaleProtocol:
    """One table entry: what makes a protocol different.

    ``commands``: what the driver sends (:class:`~devices.scales.frames.Commands`; none at all
    for a scale that streams frames unasked). ``*_replies``: how many frames acknowledge the
    zero or tare command (0: none; then a stable zero reading confirms it).
    ``tare_reports_weight``: the tare reply carries the tared weight (MT-SICS ``T S``);
    otherwise the stable weight read just before taring is returned.
    """

    name: str
    decoder: Callable[[DeviceUrl], Decode]
    baudrate: int
    commands: Commands
    zero_replies: int = 1
    tare_replies: int = 1
    tare_reports_weight: bool = False


class SerialScale(OpenCloseContext):
    def __init__(
        self, url: DeviceUrl, protocol: ScaleProtocol, *, device_id: str | None = None
    ) -> None:
        self.protocol = protocol
        self.device_id = device_id
        self.poll_interval = url.float_option("poll_interval", 0.05)
        self.command_timeout = url.float_option("command_timeout", 5.0)
        self._transport = SerialTransport(
            url,
            default_baudrate=protocol.baudrate,
            reopen_interval=url.float_option("reopen_interval", 0.5),
        )
        self._frames = FrameBuffer(protocol.decoder(url))
        self._pending: deque[ScaleFrame] = deque()
        self._unanswered = False  # a command timed out; its late answer may still come

    # -- Device --------------------------------------------------------------------------

    @property
    def garbage_bytes(self) -> int:
        """Bytes skipped because they were not part of any frame, since this driver was made."""
        return self._frames.garbage_bytes

    def open(self) -> None:
        self._drop_input()
        try:
            self._transport.open()
        except DeviceUnavailable:
            self._state = DeviceState.UNAVAILABLE
            raise
        self._state = DeviceState.READY

    def close(self) -> None:
        self._transport.close()
        self._state = DeviceState.CLOSED

    # -- Scale ---------------------------------------------------------------------------

    def read(self, timeout: float = 2.0) -> WeightReading:
        deadline = time.monotonic() + timeout
        with self._link():
            if self.protocol.commands.immediate is None:
                self._drop_input()  # a streaming scale: only a frame sent from now is current
                frame = self._next_frame(deadline)
            else:
                frame = self._ask(self.protocol.commands.immediate, deadline)
        return self._reading(frame)

    def read_stable(self, timeout: float = 10.0) -> WeightReading:
        deadline = time.monotonic() + timeout
        command = self.protocol.commands.stable or self.protocol.commands.immediate
        with self._link():
            if command is None:
                self._drop_input()
            while True:
                frame = (
                    self._next_frame(deadline) if command is None else self._ask(command, deadline)
                )
                if frame.stable and frame.status is not Status.BUSY:
                    return self._reading(frame)  # a weight, or a stable refusal (negative...)
                if frame.status in (Status.OVERLOAD, Status.UNDERLOAD, Status.ERROR):
                    return self._reading(frame)  # raises: waiting will not make it a weight
                if command is not None:  # motion or busy: ask again a little later
                    time.sleep(max(0.0, min(self.poll_interval, deadline - time.monotonic())))

    def zero(self) -> None:
        if self.protocol.commands.zero is None:
            raise ReadingRefused("unsupported", f"{self.protocol.name} scales cannot be zeroed")
        self._command(self.protocol.commands.zero, self.protocol.zero_replies, "zero")

    def tare(self) -> WeightReading:
        if self.protocol.commands.tare is None:
            raise ReadingRefused("unsupported", f"{self.protocol.name} scales cannot be tared")
        if self.protocol.tare_reports_weight:
            reply = self._command(self.protocol.commands.tare, self.protocol.tare_replies, "tare")
            if reply is None or reply.tare is None or reply.unit is None:
                raise ReadingRefused("device_error", "tare reply without a tare weight")
            return self._make_reading(reply, reply.tare)
        before = self.read_stable(self.command_timeout)
        self._command(self.protocol.commands.tare, self.protocol.tare_replies, "tare")
        return before

    # -- internals -----------------------------------------------------------------------

    @contextmanager
    def _link(self) -> Iterator[None]:
        """Keep :attr:`state` true to the link: lost -> UNAVAILABLE (the transport reopens on
        the next call), any answer -> READY."""
        try:
            yield
        except DeviceUnavailable:
            self._state = DeviceState.UNAVAILABLE
            self._drop_input()
            raise
        self._state = DeviceState.READY

    def _drop_input(self) -> None:
        self._pending.clear()
        self._frames.clear()
        self._transport.discard_input()

    def _next_frame(self, deadline: float) -> ScaleFrame:
        while not self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer from the {self.protocol.name} scale in time")
            data = self._transport.read(timeout=min(remaining, 0.05))
            self._state = DeviceState.READY  # the port is open again, if it was lost
            for item in self._frames.feed(data):
                if isinstance(item, Garbage):
                    log.warning(
                        "%s: skipped %d bytes of garbage: %r",
                        self.protocol.name,
                        len(item.raw),
                        item.raw[:32],
                    )
                else:
                    self._pending.append(item)
        return self._pending.popleft()

    def _ask(self, command: bytes, deadline: float) -> ScaleFrame:
        if self._unanswered:
            self._drain()
        self._drop_input()
        self._transport.write(command)
        self._unanswered = True
        frame = self._next_frame(deadline)
        self._unanswered = False
        return frame

    def _drain(self, quiet: float = 0.05, limit: float = 0.5) -> None:
        """The last command timed out, and its answer may still be on the way (an MT-SICS
        ``S`` answers ``S I`` only when the balance gives up): wait until the line is quiet,
        so that answer is not taken for the next command's."""
        end = time.monotonic() + limit
        while self._transport.read(timeout=quiet) and time.monotonic() < end:
            pass
        self._unanswered = False

    def _command(self, command: bytes, replies: int, what: str) -> ScaleFrame | None:
        """Send zero/tare and check every acknowledgement; with none expected, wait for a
        stable zero on the display instead."""
        deadline = time.monotonic() + self.command_timeout
        reply: ScaleFrame | None = None
        with self._link():
            if replies == 0:
                self._drop_input()
                self._transport.write(command)
            for n in range(replies):
                reply = self._ask(command, deadline) if n == 0 else self._next_frame(deadline)
                if reply.status is not Status.DONE:
                    raise self._refusal(reply, f"{what} not carried out")
        if replies == 0:
            try:
                self._confirm_zero(deadline)
            except TimeoutError as err:
                raise ReadingRefused("device_error", f"{what} not confirmed by the scale") from err
        return reply

    def _confirm_zero(self, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no stable zero")
            reading = self.read_stable(remaining)
            if reading.value == 0:
                return

    def _reading(self, frame: ScaleFrame) -> WeightReading:
        if not frame.is_weight or frame.value is None:
            raise self._refusal(frame, "not a weight")
        return self._make_reading(frame, frame.value)

    def _make_reading(self, frame: ScaleFrame, value: Decimal) -> WeightReading:
        if frame.unit is None:
            raise ReadingRefused("device_error", "a number without a unit", frame.raw)
        try:
            weight = Weight.model_validate({"value": value, "unit": frame.unit})
        except ValueError as err:  # pydantic's ValidationError: more digits than a Weight holds
            raise ReadingRefused("device_error", f"weight {value} out of range", frame.raw) from err
        return WeightReading(
            value=weight.value,
            unit=weight.unit,
            grams=weight.in_grams(),
            stable=frame.stable,
            raw=frame.raw,
            at=datetime.now(UTC),
            net=frame.net,
            device_id=self.device_id,
        )

    def _refusal(self, frame: ScaleFrame, what: str) -> ReadingRefused:
        reason = _REASONS.get(frame.status, "device_error")
        detail = f" ({frame.detail})" if frame.detail else ""
        return ReadingRefused(reason, f"{what}: {frame.status.value}{detail}", frame.raw)
