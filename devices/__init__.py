"""Station device drivers: RFID tag readers, barcode sources and serial scales.

Each device is three layers (``docs/architecture.md``):

1. a **transport** opened from a URL (:mod:`devices.urls`): a serial port or pty, a TCP socket,
   a PC/SC reader name, a camera index or video file;
2. a pure **codec** that turns bytes into frames (no I/O; tested with recorded bytes, split and
   corrupted);
3. a **driver** that satisfies one of the protocols in :mod:`devices.base` and is a context
   manager.

Every driver has a simulator that speaks the device's real bytes. This package imports only
``schemas`` of ours.
"""
