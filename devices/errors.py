"""The devices exception tree.

::

    DeviceError
    ├── DeviceUnavailable      the transport is gone (cable pulled, pcscd restarted, camera
    │                          lost); the driver will try to reopen
    ├── DeviceConfigError      the URL or options are wrong; retrying will not help
    └── ReadingRefused         the device answered, but the answer is not a usable reading
        │                      (overload, underload, motion, negative, error code)
        └── ...

Drivers translate pyserial, pyscard, OpenCV and OS errors into these with ``raise ... from``.
"""


class DeviceError(Exception):
    """Base of every error a device driver raises."""


class DeviceUnavailable(DeviceError):
    """The device cannot be reached now; the driver reopens it when it comes back."""


class DeviceConfigError(DeviceError):
    """The device URL or its options are invalid."""


class ReadingRefused(DeviceError):
    """The device answered with something that is not a usable reading.

    ``reason`` is one of ``overload``, ``underload``, ``motion``, ``negative``,
    ``device_error`` or ``unsupported``; ``raw`` is the frame that said so.
    """

    def __init__(self, reason: str, message: str, raw: bytes = b"") -> None:
        super().__init__(message)
        self.reason = reason
        self.raw = raw
