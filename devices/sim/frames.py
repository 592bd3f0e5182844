"""Render barcodes into camera-like frames, for tests, the camera simulator and benchmarks.

:func:`render_label` draws one code (Code 128, QR or DataMatrix, encoded by zxing-cpp) as a
grayscale label: dark ink on white paper with ``quiet_modules`` (>= 10) modules of quiet zone
on every side, ``module_px`` pixels per module. :func:`render_frame` places the label in the
middle of a frame of ``size`` (width, height) pixels on a grey, unevenly lit background, then
applies the knobs in the order a camera does: ``angle`` (degrees, counter-clockwise), ``blur``
(Gaussian sigma in pixels: focus), ``noise`` (Gaussian sigma in grey levels: sensor). Frames
are BGR ``uint8``, as OpenCV delivers them. ``seed`` makes the noise repeatable.

Raises ValueError when the label cannot fit the frame or the text cannot be encoded.
"""

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

from devices.barcode.decoders import Symbology, parse_symbologies

Image = npt.NDArray[np.uint8]

_FORMATS = {
    Symbology.CODE128: zxingcpp.BarcodeFormat.Code128,
    Symbology.QRCODE: zxingcpp.BarcodeFormat.QRCode,
    Symbology.DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
}
_PAPER, _INK = 235, 25  # a printed label is never pure white on pure black


def _u8(array: object) -> Image:
    """OpenCV's stubs type every result as a generic array; ours are 8-bit (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def parse_size(text: str) -> tuple[int, int]:
    """``"640x360"`` -> (640, 360)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 640x360")
    return int(width), int(height)


def symbology_of(name: str | Symbology) -> Symbology:
    """``"code128"``, ``"qr"``, ``"datamatrix"``... -> the Symbology."""
    if isinstance(name, Symbology):
        return name
    found = parse_symbologies(name)
    if found is None or len(found) != 1:
        raise ValueError(f"expected one symbology, got {name!r}")
    return next(iter(found))


def render_label(
    text: str, symbology: str | Symbology, *, module_px: int = 2, quiet_modules: int = 10
) -> Image:
    """The code alone on white paper, ``module_px`` pixels per module."""
    if quiet_modules < 10:
        raise ValueError("keep at least 10 modules of quiet zone (docs/platform-facts.md)")
    try:
        code = zxingcpp.create_barcode(text, _FORMATS[symbology_of(symbology)])
    except Exception as err:  # zxing-cpp raises its own types for unencodable content
        raise ValueError(f"cannot encode {text!r} as {symbology}: {err}") from err
    modules = np.asarray(code.to_image(scale=1, add_quiet_zones=False), dtype=np.uint8)
    # Linear codes come back 50 px tall at scale 1; that height is fine per module width.
    ink = np.where(modules < 128, _INK, _PAPER).astype(np.uint8)
    ink = np.pad(ink, quiet_modules, constant_values=_PAPER)
    size = (ink.shape[1] * module_px, ink.shape[0] * module_px)
    return _u8(cv2.resize(ink, size, interpolation=cv2.INTER_NEAREST))


def fit_module_px(
    text: str, symbology: str | Symbology, size: tuple[int, int], share: float = 0.9
) -> int:
    """The largest whole module size at which the label fills at most ``share`` of the
    frame in each direction (at least 1)."""
    one = render_label(text, symbology, module_px=1)
    width, height = size
    label_height, label_width = int(one.shape[0]), int(one.shape[1])
    return max(1, min(int(width * share) // label_width, int(height * share) // label_height))


def background(size: tuple[int, int]) -> Image:
    """A grey bench under uneven light: brighter on the left than on the right."""
    width, height = size
    ramp = np.linspace(150, 95, width, dtype=np.float32)
    return np.broadcast_to(ramp, (height, width)).astype(np.uint8)


def finish(
    gray: Image,
    *,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> Image:
    """Rotate, blur and add noise to a grayscale frame; return it as BGR."""
    height, width = gray.shape
    frame = gray
    if angle:
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        frame = _u8(cv2.warpAffine(frame, turn, (width, height), borderMode=cv2.BORDER_REPLICATE))
    if blur > 0:
        frame = _u8(cv2.GaussianBlur(frame, (0, 0), blur))
    if noise > 0:
        rng = np.random.default_rng(seed)
        noisy = frame.astype(np.float32) + rng.normal(0.0, noise, frame.shape)
        frame = np.clip(noisy, 0, 255).astype(np.uint8)
    return _u8(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))


def render_frame(
    text: str,
    symbology: str | Symbology = Symbology.CODE128,
    size: tuple[int, int] = (640, 360),
    *,
    module_px: int | None = None,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> Image:
    """A BGR frame of ``size`` showing one code in its middle."""
    px = module_px or fit_module_px(text, symbology, size)
    label = render_label(text, symbology, module_px=px)
    width, height = size
    lh, lw = label.shape
    if lw > width or lh > height:
        raise ValueError(f"a {lw}x{lh} label does not fit a {width}x{height} frame")
    frame = background(size).copy()
    top, left = (height - lh) // 2, (width - lw) // 2
    frame[top : top + lh, left : left + lw] = label
    return finish(frame, angle=angle, blur=blur, noise=noise, seed=seed)


def empty_frame(
    size: tuple[int, int] = (640, 360), *, noise: float = 0.0, seed: int | None = None
) -> Image:
    """A frame with nothing to decode: the bench with no label on it."""
    return finish(background(size).copy(), noise=noise, seed=seed)
