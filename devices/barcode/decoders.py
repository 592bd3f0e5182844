"""Barcode decoders behind one interface: zxing-cpp and zbar (through pyzbar).

A :class:`Decoder` takes one image as a numpy ``uint8`` array, grayscale ``(h, w)`` or BGR
``(h, w, 3)`` as OpenCV delivers it, and returns every code it found, possibly none. Pass
grayscale when you can: both libraries work on luminance, and converting once per frame is
cheaper than letting each call convert.

Symbologies are named by :class:`Symbology` (``CODE128``, ``QRCODE``, ``DATAMATRIX``), the
same strings as :attr:`devices.base.BarcodeRead.symbology`.

* ``zxing`` (:class:`ZxingDecoder`, the ``zxingcpp`` module): reads all three. The default:
  see ``docs/devices-barcode.md`` for the benchmark that chose it.
* ``zbar`` (:class:`ZbarDecoder`, ``pyzbar`` over Debian's ``libzbar0``): reads Code 128 and
  QR but **not DataMatrix** (zbar has no DataMatrix reader). Asking it for DataMatrix raises
  :class:`~devices.errors.DeviceConfigError` instead of silently never finding one; by
  default it looks for the symbologies it can read.

Failure modes: a missing native library raises DeviceConfigError when the decoder is made
(``libzbar0`` not installed); an image of the wrong shape or type raises ValueError.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from devices.errors import DeviceConfigError

Image = npt.NDArray[np.uint8]


class Symbology(StrEnum):
    CODE128 = "CODE128"
    QRCODE = "QRCODE"
    DATAMATRIX = "DATAMATRIX"


ALL_SYMBOLOGIES = frozenset(Symbology)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One code found in an image. ``symbology`` is a :class:`Symbology` value where the
    code is one of ours, else the library's own name in capitals."""

    text: str
    symbology: str


class Decoder(Protocol):
    name: str
    symbologies: frozenset[Symbology]

    def decode(self, image: Image) -> list[Decoded]: ...


def parse_symbologies(text: str | None) -> frozenset[Symbology] | None:
    """``"code128,qrcode"`` -> the set; None or ``""`` -> None (the decoder's default).
    Accepts ``qr`` and ``dm`` as short names."""
    if not text:
        return None
    aliases = {"QR": Symbology.QRCODE, "DM": Symbology.DATAMATRIX}
    found: set[Symbology] = set()
    for item in text.split(","):
        key = item.strip().upper().replace("_", "").replace(" ", "")
        try:
            found.add(aliases.get(key) or Symbology(key))
        except ValueError:
            known = ", ".join(s.value.lower() for s in Symbology)
            raise DeviceConfigError(f"unknown symbology {item!r} (known: {known})") from None
    return frozenset(found)


def _check_image(image: Image) -> None:
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 gray or BGR image, got {image.dtype} {image.shape}")


def _gray(image: Image) -> Image:
    if image.ndim == 2:
        return image
    import cv2  # only when a caller hands us colour; the camera driver converts itself

    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


class ZxingDecoder:
    """zxing-cpp. Reads Code 128, QR and DataMatrix, upright or turned by 90/180/270
    degrees; a linear code not beyond ~15-20 degrees off those (``docs/platform-facts.md``).

    ``invert`` also looks for light-on-dark codes (a phone screen in dark mode). Off by
    default: printed labels are dark on light, and the second pass costs up to ~40% of the decode
    time on a noisy frame.
    """

    name = "zxing"

    def __init__(
        self, symbologies: Iterable[Symbology] | None = None, *, invert: bool = False
    ) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self.invert = invert
        self.symbologies = frozenset(symbologies) if symbologies else ALL_SYMBOLOGIES
        self._to_ours = {
            zxingcpp.BarcodeFormat.Code128: Symbology.CODE128,
            zxingcpp.BarcodeFormat.QRCode: Symbology.QRCODE,
            zxingcpp.BarcodeFormat.DataMatrix: Symbology.DATAMATRIX,
        }
        wanted = [fmt for fmt, ours in self._to_ours.items() if ours in self.symbologies]
        self._formats: Any = zxingcpp.barcode_formats_from_str(",".join(fmt.name for fmt in wanted))

    def decode(self, image: Image) -> list[Decoded]:
        _check_image(image)
        found = self._zx.read_barcodes(image, formats=self._formats, try_invert=self.invert)
        return [
            Decoded(text=b.text, symbology=self._to_ours.get(b.format, b.format.name.upper()))
            for b in found
            if b.valid
        ]


class ZbarDecoder:
    """zbar through pyzbar. Code 128 and QR only: zbar cannot read DataMatrix."""

    name = "zbar"
    CAN_READ = frozenset({Symbology.CODE128, Symbology.QRCODE})

    def __init__(self, symbologies: Iterable[Symbology] | None = None) -> None:
        wanted = frozenset(symbologies) if symbologies else self.CAN_READ
        if Symbology.DATAMATRIX in wanted:
            raise DeviceConfigError(
                "zbar cannot read DataMatrix; use decoder=zxing for DataMatrix labels"
            )
        try:
            from pyzbar import pyzbar
        except ImportError as err:  # pyzbar raises ImportError when libzbar.so is missing
            raise DeviceConfigError(
                f"zbar decoder unavailable ({err}); install Debian's libzbar0"
            ) from err
        self._pyzbar = pyzbar
        self.symbologies = wanted
        self._symbols = [getattr(pyzbar.ZBarSymbol, s.value) for s in sorted(wanted)]

    def decode(self, image: Image) -> list[Decoded]:
        _check_image(image)
        found = self._pyzbar.decode(_gray(image), symbols=self._symbols)
        # zbar hands back bytes; our labels are ASCII/UTF-8, and a bad byte should show up as
        # U+FFFD in the read rather than crash the camera loop.
        return [Decoded(r.data.decode("utf-8", "replace"), str(r.type).upper()) for r in found]


DECODERS: dict[str, type[ZxingDecoder] | type[ZbarDecoder]] = {
    "zxing": ZxingDecoder,
    "zbar": ZbarDecoder,
}

# Chosen by benchmarks/device_parts/barcode.py; the numbers are in docs/devices-barcode.md.
DEFAULT_DECODER = "zxing"


def make_decoder(
    name: str | None = None, symbologies: Iterable[Symbology] | None = None
) -> Decoder:
    """A decoder by name (``zxing`` or ``zbar``; None: :data:`DEFAULT_DECODER`)."""
    key = (name or DEFAULT_DECODER).lower()
    try:
        cls = DECODERS[key]
    except KeyError:
        raise DeviceConfigError(
            f"unknown decoder {name!r} (known: {', '.join(sorted(DECODERS))})"
        ) from None
    return cls(symbologies)
