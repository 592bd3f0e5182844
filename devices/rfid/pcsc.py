"""Driver for cards and HF tags on a PC/SC reader, through ``pcscd``.

URL: ``pcsc://<reader name>?window=2.0``, e.g. ``pcsc://Virtual PCD 00 00`` or
``pcsc://ACS ACR122U PICC Interface 00 00`` (``seedtrace devices list`` prints them).

How a read happens: ``SCardGetStatusChange`` waits for the reader's state to change; when a
card is present that was not before (or the reader's card-event counter, the state's high 16
bits, moved: a card swapped between two looks), the driver connects (shared), sends GET DATA
``FF CA 00 00 00`` and expects ``UID 90 00``; the UID becomes a
:class:`~devices.base.TagRead` (normalised, :mod:`devices.uid`) unless the same UID was seen
within ``window`` seconds (:class:`devices.repeat.RepeatFilter`).

Failure modes:

* a status word other than ``90 00`` raises :class:`~devices.errors.ReadingRefused` (reason
  ``device_error``) with its meaning (:data:`STATUS_WORDS`), once per presented card;
* a card that does not answer at all (taken away mid-read, or swapped for another faster
  than the reader polls, so that pcscd reports no event for the new card:
  ``SCARD_E_NOT_TRANSACTED``) is retried every 0.1 s for about a second while the reader
  shows a card, then logged, not raised;
* ``pcscd`` stopping or restarting: a call blocked in the old context returns
  ``SCARD_F_COMM_ERROR`` and every later call ``SCARD_E_NO_SERVICE`` (0x8010001D) *forever*,
  even once pcscd is back (pyscard's high-level ``readers()`` keeps such a context too). So
  the driver uses the low-level ``smartcard.scard`` API, releases the context on any such
  error, marks itself ``unavailable`` and establishes a fresh context every 0.2 s until
  pcscd and the reader answer again, then it is ``ready``;
* the reader unplugged or misnamed: ``unavailable``, with the readers pcscd does know in
  the message.

:meth:`PcscReader.reads` rides through outages; if its ``timeout`` ends while unavailable, it
raises :class:`~devices.errors.DeviceUnavailable` instead of returning as if all were quiet.
"""

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from smartcard import scard

from devices.base import DeviceState, OpenCloseContext, TagRead, TagSource
from devices.errors import DeviceConfigError, DeviceError, DeviceUnavailable, ReadingRefused
from devices.repeat import RepeatFilter
from devices.uid import uid_from_bytes
from devices.urls import DeviceUrl

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
RETRY_INTERVAL = 0.2  # seconds between attempts to reach pcscd while it is away
MAX_WAIT_MS = 500  # one SCardGetStatusChange; short so a timeout given to reads() holds
RETRY_READ_MS = 100  # after a card did not answer, look again this soon...
MAX_FAILED_READS = 10  # ...this many times (about a second) before giving up on it

STATUS_WORDS = {
    0x6282: "end of data before Le bytes",
    0x6700: "wrong length",
    0x6A81: "function not supported (the reader cannot report this card's UID)",
    0x6B00: "wrong parameters P1-P2",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported (not a PC/SC part 3 reader)",
    0x6F00: "no precise diagnosis",
}


def _code(rc: int) -> int:
    return rc & 0xFFFFFFFF  # pyscard may hand back HRESULTs as negative ints


_SUCCESS = _code(scard.SCARD_S_SUCCESS)
_TIMEOUT = _code(scard.SCARD_E_TIMEOUT)
_SERVICE_GONE = {
    _code(scard.SCARD_E_NO_SERVICE),
    _code(scard.SCARD_E_SERVICE_STOPPED),
    _code(scard.SCARD_F_COMM_ERROR),
    _code(scard.SCARD_E_INVALID_HANDLE),
    _code(scard.SCARD_E_READER_UNAVAILABLE),
    _code(scard.SCARD_E_UNKNOWN_READER),
}


def _describe(rc: int) -> str:
    return f"{scard.SCardGetErrorMessage(rc).strip()} (0x{_code(rc):08X})"


def readers() -> list[str]:
    """The readers pcscd offers now ([] if it does not answer), asked on a fresh context that
    is released again: a context made before a pcscd restart never answers again."""
    rc, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rc != scard.SCARD_S_SUCCESS:
        return []
    try:
        rc, names = scard.SCardListReaders(context, [])
        return list(names) if rc == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


class PcscReader(OpenCloseContext):
    def __init__(self, url: DeviceUrl, device_id: str | None = None) -> None:
        self.reader = url.location
        try:
            self._filter = RepeatFilter(url.float_option("window", 2.0))
        except ValueError as err:
            raise DeviceConfigError(f"window: {err}") from err
        self.device_id = device_id
        self.contexts = 0  # contexts established; more than one means it recovered
        self._context: Any = None
        self._known = scard.SCARD_STATE_UNAWARE
        self._present = False
        self._events = -1
        self._failed_reads = 0  # GET DATA attempts that got no answer for the card present
        self._last_error = ""

    def open(self) -> None:
        """Reach pcscd and the reader; if either is missing the state is ``unavailable`` and
        :meth:`reads` keeps trying."""
        self._state = DeviceState.READY  # until _establish says otherwise, logging why
        self._establish()

    def close(self) -> None:
        self._release()
        self._state = DeviceState.CLOSED

    def reads(self, timeout: float | None = None) -> Iterator[TagRead]:
        if self._state is DeviceState.CLOSED:
            raise DeviceError("the reader is closed; use it as a context manager")
        quiet_since = time.monotonic()
        while True:
            left = None if timeout is None else timeout - (time.monotonic() - quiet_since)
            if left is not None and left <= 0:
                break
            wait = MAX_WAIT_MS if left is None else min(MAX_WAIT_MS, max(1, int(left * 1000)))
            read = self._look(wait)
            if read is not None:
                yield read
                quiet_since = time.monotonic()
        if self._state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(self._last_error)

    # -- one look at the reader --------------------------------------------------------------

    def _look(self, wait_ms: int) -> TagRead | None:
        if self._context is None and not self._establish():
            time.sleep(min(RETRY_INTERVAL, wait_ms / 1000))
            return None
        if self._failed_reads:
            wait_ms = min(wait_ms, RETRY_READ_MS)
        rc, states = scard.SCardGetStatusChange(
            self._context, wait_ms, [(self.reader, self._known)]
        )
        rc = _code(rc)
        if rc == _TIMEOUT:
            # No event, but the card on the reader did not answer last time: try again.
            return self._read_card() if self._failed_reads and self._present else None
        if rc != _SUCCESS:
            self._lost(f"pcscd: {_describe(rc)}")
            return None
        _, event, _atr = states[0]
        self._known = event & ~scard.SCARD_STATE_CHANGED
        if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            self._lost(f"reader {self.reader!r} went away")
            return None
        self._ready()
        events = event >> 16  # pcsc-lite counts card insertions and removals here
        present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
        is_new = present and (not self._present or events != self._events)
        self._present, self._events = present, events
        if is_new or not present:
            self._failed_reads = 0
        return self._read_card() if is_new else None

    def _read_card(self) -> TagRead | None:
        rc, card, protocol = scard.SCardConnect(
            self._context,
            self.reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if _code(rc) == _SUCCESS:
            try:
                rc, response = scard.SCardTransmit(card, protocol, GET_UID)
            finally:
                scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        rc = _code(rc)
        if rc in _SERVICE_GONE:
            self._lost(f"pcscd: {_describe(rc)}")
            return None
        if rc != _SUCCESS:
            # A card swiped past, or swapped faster than the reader polls, so the reader shows
            # no event for the new one. Retry a few times while it stays, then give up.
            self._failed_reads += 1
            if self._failed_reads > MAX_FAILED_READS:
                self._failed_reads = 0
                log.warning("PC/SC reader %r: card does not answer: %s", self.reader, _describe(rc))
            return None
        self._failed_reads = 0
        return self._to_read(bytes(response))

    def _to_read(self, response: bytes) -> TagRead | None:
        if len(response) < 2:
            raise ReadingRefused("device_error", f"answer {response.hex()} has no status word")
        data, sw = response[:-2], int.from_bytes(response[-2:], "big")
        if sw != 0x9000:
            meaning = STATUS_WORDS.get(sw, "unknown status")
            if sw >> 8 == 0x6C:
                meaning = f"wrong Le, the UID has {sw & 0xFF} bytes"
            raise ReadingRefused(
                "device_error", f"card answered GET DATA (UID) with {sw:04X}: {meaning}", response
            )
        try:
            uid = uid_from_bytes(data)
        except ValueError as err:
            raise ReadingRefused("device_error", f"card UID unusable: {err}", response) from err
        if not self._filter.accept(uid):
            return None
        return TagRead(
            uid=uid,
            raw=data,
            source=TagSource.PCSC,
            at=datetime.now(UTC),
            device_id=self.device_id,
        )

    # -- the connection to pcscd ---------------------------------------------------------------

    def _establish(self) -> bool:
        """A fresh context that can see our reader; False (and unavailable) if not yet."""
        self._release()
        rc, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(rc) != _SUCCESS:
            self._lost(f"pcscd not reachable: {_describe(rc)}")
            return False
        self._context = context
        self.contexts += 1
        rc, readers = scard.SCardListReaders(context, [])
        if _code(rc) != _SUCCESS or self.reader not in readers:
            known = ", ".join(readers) if _code(rc) == _SUCCESS else _describe(rc)
            self._lost(f"reader {self.reader!r} not found (pcscd has: {known})")
            return False
        self._known = scard.SCARD_STATE_UNAWARE  # ask for the current state, not a change
        self._present = False
        return True

    def _release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)  # fails on a dead context; nothing to free

    def _lost(self, why: str) -> None:
        if self._state is not DeviceState.UNAVAILABLE or why != self._last_error:
            log.warning("PC/SC reader %r unavailable: %s", self.reader, why)
        self._state = DeviceState.UNAVAILABLE
        self._last_error = why
        self._release()

    def _ready(self) -> None:
        if self._state is DeviceState.UNAVAILABLE:
            log.info("PC/SC reader %r is ready", self.reader)
        self._state = DeviceState.READY
        self._last_error = ""


def make_pcsc_reader(url: DeviceUrl, device_id: str | None = None) -> PcscReader:
    return PcscReader(url, device_id=device_id)
