"""Codec for the ``BB ... 7E`` frames of common UHF RFID serial modules (M100/R200/JRD-100).

Pure: bytes in, frames out, no I/O. The link is 115200 8N1. Every frame, both ways::

    +----+------+-----+-----------+----------------+----------+----+
    | BB | type | cmd | len (2,BE)| params (len)   | checksum | 7E |
    +----+------+-----+-----------+----------------+----------+----+
           \\________________ summed ________________/
    checksum = (type + cmd + len_hi + len_lo + sum(params)) & 0xFF

``type`` is 00 for a command (host -> module), 01 for a response, 02 for a notice (a tag
seen during an inventory). Commands used here::

    single inventory        BB 00 22 00 00 22 7E
    multi-poll inventory    BB 00 27 00 03 22 <count hi> <count lo> <cs> 7E
                            (reserved byte 0x22, then how many rounds: 1..65535)
    stop multi-poll         BB 00 28 00 00 28 7E  -> response BB 01 28 00 01 00 2A 7E

A tag notice (type 02, cmd 22; multi-poll notices also carry cmd 22)::

    params = RSSI (1) | PC (2) | EPC (PC bits 15..11 = length in 16-bit words) | CRC-16 (2)
    (the CRC is the tag's own Gen2 CRC over PC+EPC, see gen2_crc; the frame checksum
    already guards the serial link, so the driver does not insist on it)
    BB 02 22 00 11 C9 34 00 30 75 1F EB 70 5C 59 04 E3 D5 0D 70 3A 76 EF 7E
                   RSSI PC    EPC 30751FEB705C5904E3D50D70             CRC

An error response is type 01, cmd FF, one parameter: the error code, e.g. "no tag"
(inventory failed) ``BB 01 FF 00 01 15 16 7E``. Codes: :data:`ERROR_CODES`.

RSSI: the module sends one byte that is the signal strength in dBm as a signed 8-bit
number (0xC9 = -55 dBm); :func:`rssi_dbm` does that conversion and nothing more.

Framing is by the length field, never by searching for ``7E``: ``BB`` and ``7E`` occur inside
EPCs. Failure modes handled by :func:`decode`: bytes before a ``BB`` (noise on the line, a
module booting) are skipped; a frame split across reads waits for the rest; a frame with a
wrong checksum, a wrong end byte, an unknown type or an absurd length is treated as noise
from its ``BB`` on and the search resumes one byte later. A stray ``BB`` whose length field
promises more bytes than ever come is dropped by :meth:`Deframer.expire` once the line is
quiet (guessing earlier, by looking for a valid frame further on, would cut real frames that
carry a frame-shaped EPC).
"""

from dataclasses import dataclass
from enum import IntEnum

HEADER = 0xBB
END = 0x7E
OVERHEAD = 7  # BB type cmd len_hi len_lo checksum 7E
MAX_PARAMS = 255  # real frames stay well below: a 496-bit EPC notice has 67 parameter bytes

CMD_INVENTORY = 0x22
CMD_MULTI_INVENTORY = 0x27
CMD_STOP_MULTI = 0x28
CMD_ERROR = 0xFF
MULTI_RESERVED = 0x22  # the first parameter of 0x27, fixed by the module's manual

ERROR_CODES = {
    0x09: "read failed",
    0x10: "write failed",
    0x12: "kill failed",
    0x13: "lock failed",
    0x15: "no tag (inventory failed)",
    0x16: "access failed",
    0x17: "command error",
    0x20: "frequency hopping failed",
}
NO_TAG = 0x15


class FrameType(IntEnum):
    COMMAND = 0x00
    RESPONSE = 0x01
    NOTICE = 0x02


class UhfFrameError(ValueError):
    """A well-framed frame whose content does not make sense (e.g. a notice too short)."""


@dataclass(frozen=True, slots=True)
class Frame:
    type: FrameType
    command: int
    params: bytes = b""

    def encode(self) -> bytes:
        if len(self.params) > 0xFFFF:
            raise ValueError("parameters longer than 65535 bytes cannot be framed")
        body = bytes([self.type, self.command]) + len(self.params).to_bytes(2, "big")
        body += self.params
        return bytes([HEADER]) + body + bytes([sum(body) & 0xFF, END])

    @property
    def is_error(self) -> bool:
        return self.type == FrameType.RESPONSE and self.command == CMD_ERROR

    @property
    def error_code(self) -> int | None:
        return self.params[0] if self.is_error and self.params else None


@dataclass(frozen=True, slots=True)
class TagNotice:
    rssi: int  # the raw byte as sent (see rssi_dbm)
    pc: int
    epc: bytes
    crc: int


def single_inventory() -> bytes:
    return Frame(FrameType.COMMAND, CMD_INVENTORY).encode()


def multi_inventory(rounds: int) -> bytes:
    if not 1 <= rounds <= 0xFFFF:
        raise ValueError("multi-poll rounds must be 1..65535")
    params = bytes([MULTI_RESERVED]) + rounds.to_bytes(2, "big")
    return Frame(FrameType.COMMAND, CMD_MULTI_INVENTORY, params).encode()


def stop_multi_inventory() -> bytes:
    return Frame(FrameType.COMMAND, CMD_STOP_MULTI).encode()


def rssi_dbm(raw: int) -> int:
    """The module's RSSI byte as dBm: a signed 8-bit value (0xC9 -> -55)."""
    return raw - 0x100 if raw >= 0x80 else raw


def error_text(code: int) -> str:
    return ERROR_CODES.get(code, f"error 0x{code:02X}")


def _frame_at(buffer: bytes | bytearray, start: int) -> tuple[int, Frame | None]:
    """Try a frame at ``start`` (a ``BB``): (length, frame) if complete and valid,
    (0, None) if it could still become one, (-1, None) if it cannot."""
    available = len(buffer) - start
    if available >= 2 and buffer[start + 1] not in (0, 1, 2):
        return -1, None
    if available < 5:
        return 0, None
    length = int.from_bytes(buffer[start + 3 : start + 5], "big")
    if length > MAX_PARAMS:
        return -1, None
    total = OVERHEAD + length
    if available < total:
        return 0, None
    end = start + total
    if buffer[end - 1] != END or sum(buffer[start + 1 : end - 2]) & 0xFF != buffer[end - 2]:
        return -1, None
    params = bytes(buffer[start + 5 : end - 2])
    return total, Frame(FrameType(buffer[start + 1]), buffer[start + 2], params)


def decode(buffer: bytes | bytearray) -> tuple[int, Frame | None]:
    """Decode the start of ``buffer``: ``(used, frame)``.

    ``(n, Frame)``: a frame of ``n`` bytes. ``(n, None)`` with ``n > 0``: ``n`` bytes of
    noise to drop. ``(0, None)``: need more bytes.
    """
    start = buffer.find(HEADER)
    if start < 0:
        return len(buffer), None
    if start > 0:
        return start, None
    used, frame = _frame_at(buffer, 0)
    if used < 0:
        return 1, None
    return used, frame


class Deframer:
    """Feeds arbitrary chunks, returns whole frames; counts the noise bytes it dropped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.skipped = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while self._buffer:
            used, frame = decode(self._buffer)
            if used == 0:
                break
            del self._buffer[:used]
            if frame is None:
                self.skipped += used
            else:
                frames.append(frame)
        return frames

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buffer)

    def expire(self) -> list[Frame]:
        """The line went quiet with bytes pending: they are not the start of a frame.

        A module sends a frame in one burst (23 ms for the longest at 115200 baud), so bytes
        still pending after a quiet spell are noise, e.g. a stray ``BB`` whose "length" would
        otherwise hold up the real frames behind it. Drop them a byte at a time, keeping any
        whole frame found behind them.
        """
        frames: list[Frame] = []
        while self._buffer:
            del self._buffer[:1]
            self.skipped += 1
            frames += self.feed(b"")
        return frames

    def clear(self) -> None:
        self._buffer.clear()


def parse_notice(frame: Frame) -> TagNotice:
    """The tag in an inventory notice. Raises UhfFrameError if it is not one."""
    if frame.type != FrameType.NOTICE or frame.command != CMD_INVENTORY:
        raise UhfFrameError(f"not a tag notice: type {frame.type:#04x} cmd {frame.command:#04x}")
    params = frame.params
    if len(params) < 5:
        raise UhfFrameError(f"tag notice too short: {len(params)} parameter bytes")
    pc = int.from_bytes(params[1:3], "big")
    epc_len = (pc >> 11) * 2
    if len(params) != 1 + 2 + epc_len + 2:
        raise UhfFrameError(
            f"tag notice has {len(params)} parameter bytes but PC {pc:04X} announces an "
            f"EPC of {epc_len} bytes"
        )
    return TagNotice(
        rssi=params[0], pc=pc, epc=bytes(params[3 : 3 + epc_len]), crc=int.from_bytes(params[-2:])
    )


def gen2_crc(data: bytes) -> int:
    """The EPC Gen2 CRC-16 (CCITT polynomial, preset FFFF, inverted) a tag stores over PC+EPC."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def tag_notice(
    epc: bytes, rssi: int = 0xC9, crc: int | None = None, pc_flags: int = 0x0400
) -> Frame:
    """The notice a module sends for ``epc`` (used by the simulator and tests).

    ``pc_flags`` are the PC's low 11 bits (0x0400: the tag has user memory, as most do);
    the EPC length bits are computed. ``crc`` defaults to the tag's Gen2 CRC.
    """
    if len(epc) % 2 or len(epc) > 62:
        raise ValueError("an EPC is a whole number of 16-bit words, at most 31")
    pc = (len(epc) // 2) << 11 | (pc_flags & 0x07FF)
    if crc is None:
        crc = gen2_crc(pc.to_bytes(2, "big") + epc)
    params = bytes([rssi & 0xFF]) + pc.to_bytes(2, "big") + epc + crc.to_bytes(2, "big")
    return Frame(FrameType.NOTICE, CMD_INVENTORY, params)


def error_frame(code: int) -> Frame:
    return Frame(FrameType.RESPONSE, CMD_ERROR, bytes([code]))
