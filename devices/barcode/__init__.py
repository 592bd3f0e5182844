"""Barcode sources: cameras, serial scanners and keyboard-wedge scanners.

* :mod:`devices.barcode.decoders` - the :class:`~devices.barcode.decoders.Decoder` interface
  over zxing-cpp and zbar; Code 128, QR, DataMatrix (zbar: no DataMatrix).
* :mod:`devices.barcode.camera` - ``camera://0``, ``camera:///path/video.avi``,
  ``camera://rtsp://host/stream``, ``rtsp://host/stream``: OpenCV frames, decoded.
* :mod:`devices.barcode.lines` - the pure codec of a scanner's text lines.
* :mod:`devices.barcode.scanner` - ``scanner:///dev/ttyACM0``: a serial (USB CDC) scanner.
* :mod:`devices.barcode.keymap` - the pure codec of key events into lines (US layout).
* :mod:`devices.barcode.wedge` - ``wedge:///dev/input/by-id/...``: a keyboard-wedge scanner.
* :mod:`devices.barcode.textreader` - what the serial and wedge scanners share: ``aim``,
  ``window``, rejected lines, the reads loop.

Simulators: :mod:`devices.sim.frames` and :mod:`devices.sim.camera` (rendered frames in a
video file), :mod:`devices.sim.scanner` (a serial scanner on a pty) and
:mod:`devices.sim.keyboard` (key events for the wedge driver). OpenCV is imported
only by the camera, decoder and frame modules, so importing this package costs nothing.
See ``docs/devices-barcode.md``.
"""
