"""Driver for UHF RFID serial modules of the ``BB ... 7E`` family (M100/R200/JRD-100).

URL: ``uhf:///dev/ttyUSB1?baudrate=115200&window=2.0&mode=single`` (or ``uhf+socket://...``).
Options:

* ``baudrate`` (115200), ``window`` - seconds a tag must be out of view before it counts
  again (2.0, see :class:`devices.repeat.RepeatFilter`);
* ``mode`` - ``single``: the driver sends a single inventory every ``interval`` seconds (0.1);
  ``multi``: the module polls by itself (multi-poll inventory, re-armed after a second of
  silence, since it ends after its round count or after a power cut) and is stopped on close.

Each tag notice becomes a :class:`~devices.base.TagRead` with the EPC as ``uid`` (normalised,
see :mod:`devices.uid`), the EPC bytes as ``raw`` and ``rssi`` in dBm (the module's byte
read as a signed 8-bit number, :func:`~devices.rfid.uhf_codec.rssi_dbm`).

Failure modes: line noise is skipped by the codec; a notice that makes no sense or an EPC
that is not 96 bits is logged and dropped (it cannot be a plant tag); error responses other
than "no tag" are logged with their meaning; a lost port (cable pulled) makes the state
``unavailable`` and the driver reopens it by path when it comes back. :meth:`reads` keeps
trying through an outage; if its ``timeout`` ends while the port is still gone it raises
:class:`~devices.errors.DeviceUnavailable` rather than pretending nothing was read.
"""

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from devices.base import DeviceState, OpenCloseContext, TagRead, TagSource
from devices.errors import DeviceConfigError, DeviceError, DeviceUnavailable
from devices.repeat import RepeatFilter
from devices.rfid import uhf_codec as codec
from devices.serialport import SerialTransport
from devices.uid import TAG_LENGTH, uid_from_bytes
from devices.urls import DeviceUrl

log = logging.getLogger(__name__)

REARM_AFTER = 1.0  # seconds of silence before a multi-poll inventory is started again
MULTI_ROUNDS = 0xFFFF


class UhfReader(OpenCloseContext):
    def __init__(self, url: DeviceUrl, device_id: str | None = None) -> None:
        mode = url.option("mode") or "single"
        if mode not in ("single", "multi"):
            raise DeviceConfigError(f"mode={mode!r} is not single or multi")
        self.mode = mode
        self.interval = url.float_option("interval", 0.1)
        try:
            self._filter = RepeatFilter(url.float_option("window", 2.0))
        except ValueError as err:
            raise DeviceConfigError(f"window: {err}") from err
        self.device_id = device_id
        self._transport = SerialTransport(url, default_baudrate=115200)
        self._deframer = codec.Deframer()
        self._last_error = ""
        self._next_command = 0.0
        self.last_command_at = 0.0  # time.monotonic() of the last inventory command sent

    @property
    def failures(self) -> int:
        """How many times the port was lost since the driver was made."""
        return self._transport.failures

    def open(self) -> None:
        """Open the port; if it is not there, the state is ``unavailable`` and :meth:`reads`
        keeps trying."""
        try:
            self._transport.open()
        except DeviceUnavailable as err:
            self._unavailable(err)
        else:
            self._ready()
        self._next_command = 0.0

    def close(self) -> None:
        if self._transport.is_open and self.mode == "multi":
            try:
                self._transport.write(codec.stop_multi_inventory())
            except DeviceUnavailable:
                pass  # the module is gone; there is nothing to stop
        self._transport.close()
        self._state = DeviceState.CLOSED

    def reads(self, timeout: float | None = None) -> Iterator[TagRead]:
        if self._state is DeviceState.CLOSED:
            raise DeviceError("the reader is closed; use it as a context manager")
        quiet_since = time.monotonic()
        while timeout is None or time.monotonic() - quiet_since < timeout:
            for read in self._poll():
                yield read
                quiet_since = time.monotonic()
        if self._state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(self._last_error)

    # -- one turn of the loop ----------------------------------------------------------------

    def _poll(self) -> list[TagRead]:
        try:
            reopened = not self._transport.is_open
            now = time.monotonic()
            if reopened or now >= self._next_command:
                self._send_command(now)
            if reopened:
                self._ready()
            data = self._transport.read(timeout=0.02)
        except DeviceUnavailable as err:
            self._unavailable(err)
            return []
        frames = self._deframer.feed(data) if data else self._deframer.expire()
        if frames and self.mode == "multi":
            self._next_command = time.monotonic() + REARM_AFTER
        return [read for frame in frames if (read := self._handle(frame)) is not None]

    def _send_command(self, now: float) -> None:
        self.last_command_at = now
        if self.mode == "single":
            self._transport.write(codec.single_inventory())
            self._next_command = now + self.interval
        else:
            self._transport.write(codec.multi_inventory(MULTI_ROUNDS))
            self._next_command = now + REARM_AFTER

    def _handle(self, frame: codec.Frame) -> TagRead | None:
        if frame.is_error:
            code = frame.error_code
            if code is not None and code != codec.NO_TAG:
                log.warning("UHF module %s answered: %s", self._where, codec.error_text(code))
            return None
        if frame.type != codec.FrameType.NOTICE:
            return None  # acknowledgements (stop multi-poll) carry nothing to report
        try:
            notice = codec.parse_notice(frame)
            uid = uid_from_bytes(notice.epc)
        except ValueError as err:  # UhfFrameError is a ValueError too
            log.warning("UHF module %s sent an unusable notice %s: %s", self._where, frame, err)
            return None
        if len(uid) != TAG_LENGTH:
            log.warning("UHF module %s: EPC %s is not 96 bits; not a plant tag", self._where, uid)
            return None
        if not self._filter.accept(uid):
            return None
        return TagRead(
            uid=uid,
            raw=notice.epc,
            source=TagSource.UHF,
            at=datetime.now(UTC),
            rssi=codec.rssi_dbm(notice.rssi),
            device_id=self.device_id,
        )

    @property
    def _where(self) -> str:
        return self._transport.target

    def _ready(self) -> None:
        if self._state is DeviceState.UNAVAILABLE:
            log.info("UHF module %s is back", self._where)
        self._state = DeviceState.READY
        self._deframer.clear()
        self._last_error = ""

    def _unavailable(self, err: DeviceUnavailable) -> None:
        if self._state is not DeviceState.UNAVAILABLE:
            log.warning("UHF module %s unavailable: %s", self._where, err)
        self._state = DeviceState.UNAVAILABLE
        self._last_error = str(err)
        time.sleep(0.05)  # the transport paces reopening; this keeps a dead loop from spinning


def make_uhf_reader(url: DeviceUrl, device_id: str | None = None) -> UhfReader:
    return UhfReader(url, device_id=device_id)
