"""The pure codec of a barcode scanner's output: text lines, one per scan. No I/O.

A serial (USB CDC or RS-232) scanner sends each code as text followed by a suffix::

    1A4FF0100000022000000123 CR          suffix=cr   (the usual factory setting)
    1A4FF0100000022000000123 CR LF       suffix=crlf
    1A4FF0100000022000000123 LF          suffix=lf

:class:`LineSplitter` takes bytes as they arrive (a line may come in pieces, several lines in
one read) and returns :class:`Line` and :class:`Rejected` items in order. It is tolerant of a
scanner set to CR LF while we expect CR (or the reverse with LF): stray CR and LF at either end
of a line are dropped, and empty lines are ignored. It rejects, rather than guesses at:

* ``garbage``: a line that is not UTF-8 text, or holds control characters (line noise, a
  baud-rate mismatch). Tab and GS (0x1D, the GS1 field separator) are allowed.
* ``overlong``: more than ``max_length`` bytes without a suffix (a wrong ``suffix=`` setting,
  or a stuck stream); the rest of that line is dropped up to the next suffix.

A rejected line is never partly used: a tag UID with a byte missing is a different tag.

With AIM symbology identifiers turned on in the scanner, each line starts ``]`` + a code
letter + a modifier (``]C0`` Code 128, ``]Q1`` QR, ``]d2`` DataMatrix); :func:`split_aim`
takes it off and names the symbology.
"""

from dataclasses import dataclass

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
_ALLOWED_CONTROLS = {"\t", "\x1d"}

_AIM_CODES = {"C": "CODE128", "Q": "QRCODE", "d": "DATAMATRIX", "E": "EAN", "A": "CODE39"}
UNKNOWN_SYMBOLOGY = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line dropped. ``reason`` is ``garbage`` or ``overlong``; ``detail`` says why in
    words a technician can act on; ``raw`` is (the start of) what was dropped."""

    reason: str
    detail: str
    raw: bytes


def check_text(raw: bytes) -> Line | Rejected:
    """One line's bytes (without suffix) as text, or why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        detail = f"not UTF-8 text (byte 0x{raw[err.start]:02X} at {err.start}); check baudrate"
        return Rejected("garbage", detail, raw)
    for index, char in enumerate(text):
        if (char < " " or char == "\x7f") and char not in _ALLOWED_CONTROLS:
            detail = f"control character 0x{ord(char):02X} at {index}"
            return Rejected("garbage", detail, raw)
    return Line(text, raw)


class LineSplitter:
    def __init__(self, suffix: str = "cr", max_length: int = 512) -> None:
        try:
            self.terminator = SUFFIXES[suffix.lower()]
        except KeyError:
            known = ", ".join(SUFFIXES)
            raise ValueError(f"suffix {suffix!r} is not one of {known}") from None
        self.suffix = suffix.lower()
        self.max_length = max_length
        self._buffer = bytearray()
        self._discarding = False  # inside an overlong line, dropping up to its suffix

    def reset(self) -> None:
        """Forget a partial line (the port was lost mid-line)."""
        self._buffer.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[Line | Rejected]:
        self._buffer += data
        out: list[Line | Rejected] = []
        while True:
            end = self._buffer.find(self.terminator)
            if end < 0:
                break
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + len(self.terminator)]
            if self._discarding:
                self._discarding = False  # the tail of an overlong line, already reported
                continue
            raw = raw.strip(b"\r\n")
            if len(raw) > self.max_length:
                out.append(self._overlong(raw))
            elif raw:
                out.append(check_text(raw))
        if not self._discarding and len(self._buffer) > self.max_length:
            out.append(self._overlong(bytes(self._buffer)))
            self._discarding = True
        if self._discarding:
            # Keep a possible split terminator's first byte; drop the rest as it comes.
            del self._buffer[: max(0, len(self._buffer) - len(self.terminator) + 1)]
        return out

    def _overlong(self, raw: bytes) -> Rejected:
        suffix = self.suffix.upper()
        detail = f"more than {self.max_length} bytes without {suffix}; check the suffix setting"
        return Rejected("overlong", detail, raw[:64])


def split_aim(text: str) -> tuple[str, str]:
    """``"]C0ABC"`` -> ``("CODE128", "ABC")``; text without an identifier -> UNKNOWN."""
    if len(text) >= 3 and text[0] == "]":
        return _AIM_CODES.get(text[1], f"AIM-{text[1]}"), text[3:]
    return UNKNOWN_SYMBOLOGY, text
