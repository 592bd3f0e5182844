"""What the barcode readers whose scanner sends text (:mod:`devices.barcode.scanner` on a serial
port, :mod:`devices.barcode.wedge` as a keyboard) share once a line is cut.

:class:`TextCodeReader` takes the URL's ``aim=1`` (strip AIM symbology identifiers; otherwise
the symbology is ``UNKNOWN``) and ``window=0`` (seconds; the same code within it counts once)
options, keeps the last 100 rejected lines in :attr:`~TextCodeReader.rejected` (each also
logged as a warning) and runs the :meth:`~TextCodeReader.reads` loop; a subclass says how the
lines come (:meth:`~TextCodeReader._reads_within`).
"""

import logging
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime

from devices.barcode.lines import UNKNOWN_SYMBOLOGY, Line, Rejected, split_aim
from devices.base import BarcodeRead, OpenCloseContext
from devices.repeat import RepeatFilter
from devices.urls import DeviceUrl

log = logging.getLogger(__name__)


class TextCodeReader(OpenCloseContext):
    """Satisfies :class:`devices.base.BarcodeReader` with the subclass's ``open``/``close``."""

    decoder = ""  # what BarcodeRead.decoder says: "scanner", "wedge"

    def __init__(self, url: DeviceUrl, device_id: str | None) -> None:
        self.device_id = device_id
        self.aim = url.option("aim", "0") in ("1", "true", "yes")
        window = url.float_option("window", 0.0)
        self._filter = RepeatFilter(window) if window > 0 else None
        self.rejected: deque[Rejected] = deque(maxlen=100)

    def _reads_within(self, wait: float) -> Iterator[BarcodeRead]:
        """The reads of the lines that come within ``wait`` seconds; raises
        DeviceUnavailable when the scanner is lost."""
        raise NotImplementedError

    def _reject(self, item: Rejected, where: str, what: str, raw_label: str) -> None:
        self.rejected.append(item)
        log.warning(
            "%s: dropped %s (%s): %s; %s=%r",
            where,
            what,
            item.reason,
            item.detail,
            raw_label,
            item.raw,
        )

    def _to_read(self, line: Line) -> BarcodeRead | None:
        """The read ``line`` is, or None when it repeats a code within the window."""
        symbology, text = split_aim(line.text) if self.aim else (UNKNOWN_SYMBOLOGY, line.text)
        if self._filter is not None and not self._filter.accept(text):
            return None
        return BarcodeRead(text, symbology, datetime.now(UTC), self.decoder, self.device_id)

    def reads(self, timeout: float | None = None) -> Iterator[BarcodeRead]:
        """Codes as they are scanned; stops after ``timeout`` seconds with none (None:
        never). Raises DeviceUnavailable when the scanner is lost; call again to reopen."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            for read in self._reads_within(wait):
                yield read
                if timeout is not None:
                    deadline = time.monotonic() + timeout
            if deadline is not None and time.monotonic() >= deadline:
                return
