"""A contactless card for ``vpcd``, the virtual PC/SC reader, that answers GET DATA (UID).

``vsmartcard-vpcd`` makes ``pcscd`` show readers ``Virtual PCD 00 00`` and ``00 01``; each
listens on TCP (``/etc/reader.conf.d/vpcd``: ``DEVICENAME /dev/null:0x8C7B`` = port 35963,
the next slot 35964) for a card emulator. Connecting is inserting the card; closing the
socket is removing it. The packaged ``vicc`` cannot answer ``FF CA``, hence this module.

Wire format, both ways: a 2-byte big-endian length, then the payload::

    +---------+---------+----------------------+
    | len hi  | len lo  | payload (len bytes)  |
    +---------+---------+----------------------+

vpcd -> card: a 1-byte payload is a control code (0 power off, 1 power on, 2 reset, 4 send
the ATR: answered with the ATR), anything longer is a command APDU, answered with the
response APDU (data + SW1 SW2). This card answers:

=======================  ===============================================================
``FF CA 00 00 Le``       UID + ``90 00`` (Le 00 or >= UID length); ``6C xx`` if Le is short
``FF CA p1 ..`` p1 != 0  ``6A 81`` (function not supported: no ATS/historical bytes here)
anything else            ``6D 00`` (instruction not supported)
=======================  ===============================================================

``refuse_uid`` makes it answer GET DATA with that status word instead (e.g. ``6A 81``), as
some cards on some readers do, to test the driver's error path.

Latency: ``TCP_NODELAY``, and ``TCP_QUICKACK`` before every ``recv``; without them each APDU
waits ~40 ms for a delayed ACK (``docs/platform-facts.md``).
"""

import logging
import socket
import threading
from typing import Self

from devices.base import ClosingContext
from devices.uid import normalise_uid

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 35963  # slot 00 00; slot n listens on VPCD_BASE_PORT + n
MIFARE_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
SW_OK = b"\x90\x00"
SW_FUNCTION_NOT_SUPPORTED = b"\x6a\x81"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0, 1, 2, 4


def reader_name(port: int) -> str:
    """The PC/SC reader a vpcd port belongs to: 35963 -> ``Virtual PCD 00 00``."""
    return f"Virtual PCD 00 {port - VPCD_BASE_PORT:02X}"


def answer(apdu: bytes, uid: bytes, refuse_uid: bytes | None = None) -> bytes:
    """The response APDU to ``apdu`` (pure; the table in the module docstring)."""
    if len(apdu) >= 4 and apdu[0] == 0xFF and apdu[1] == 0xCA:
        if apdu[2] != 0x00:
            return SW_FUNCTION_NOT_SUPPORTED
        if refuse_uid is not None:
            return refuse_uid
        le = apdu[4] if len(apdu) >= 5 else 0
        if 0 < le < len(uid):
            return bytes([0x6C, len(uid)])
        return uid + SW_OK
    return SW_INS_NOT_SUPPORTED


class VirtualCard(ClosingContext):
    """A card with ``uid`` that can be put on (``insert``) and taken off (``remove``) the
    vpcd reader listening on ``port``. Also a context manager (inserted inside)."""

    def __init__(
        self,
        uid: str,
        port: int = VPCD_BASE_PORT,
        *,
        host: str = "127.0.0.1",
        atr: bytes = MIFARE_ATR,
        refuse_uid: bytes | None = None,
    ) -> None:
        self.uid = bytes.fromhex(normalise_uid(uid))
        self.port = port
        self.host = host
        self.atr = atr
        self.refuse_uid = refuse_uid
        self.apdus = 0  # APDUs answered; tests and benchmarks read it
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def reader(self) -> str:
        return reader_name(self.port)

    @property
    def url(self) -> str:
        return f"pcsc://{self.reader}"

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout: float = 2.0) -> None:
        """Connect to vpcd. Raises ConnectionError if no reader listens (pcscd not running)."""
        if self.inserted:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as err:
            raise ConnectionError(
                f"no vpcd reader on {self.host}:{self.port} (is pcscd running?): {err}"
            ) from err
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vcard-{self.port}", daemon=True
        )
        self._thread.start()

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # vpcd already closed it (pcscd stopped): the card is off either way
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                payload = _receive(sock)
                if payload is None:
                    return  # vpcd went away
                if len(payload) == 1:
                    if payload[0] == _GET_ATR:
                        _send(sock, self.atr)
                    continue  # power on/off and reset need no answer
                self.apdus += 1
                _send(sock, answer(payload, self.uid, self.refuse_uid))
        except OSError as err:
            log.debug("virtual card on port %d: connection ended: %s", self.port, err)

    def __enter__(self) -> Self:
        self.insert()
        return self

    def close(self) -> None:
        """Take the card off (:meth:`remove`), as leaving its ``with`` does."""
        self.remove()


def _receive_exactly(sock: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        # Quick ACK is reset by the kernel after each ACK, so it is set before every recv.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    return _receive_exactly(sock, int.from_bytes(header, "big"))


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


def make_virtual_card(uid: str = "04A2241AB75C80", port: str = str(VPCD_BASE_PORT)) -> VirtualCard:
    """``seedtrace sim card -o uid=04A2241AB75C80 -o port=35964``."""
    return VirtualCard(uid, int(port))
