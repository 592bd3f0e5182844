"""The table of scale protocols: URL scheme -> codec and commands. A new protocol is one codec
module and one entry here (plus one line in :data:`devices.registry.DRIVERS`).

==========  =======  ========================  =====================  ==========================
scheme      baud     weight                    zero / tare            acknowledged by
==========  =======  ========================  =====================  ==========================
mt-sics     9600     SI now, S when stable     Z / T                  Z A, T S <tare weight>
and         2400     Q now, S when stable      R / T                  <AK> x2 / <AK> (erCd 1)
ohaus       9600     IP now, SP when stable    Z / T                  nothing: a stable zero
toledo      9600     streamed, unasked         not supported          -
nci         9600     W (polled until stable)   Z / T                  status bytes
==========  =======  ========================  =====================  ==========================

The baud rate is each family's factory setting where one is common; set ``?baudrate=`` to
match the scale. Toledo takes ``?checksum=yes|no|auto`` (default auto).
"""

from devices.errors import DeviceConfigError
from devices.scales import aandd, mtsics, nci, ohaus, toledo
from devices.scales.driver import ScaleProtocol, SerialScale
from devices.scales.frames import Commands, Decode
from devices.urls import DeviceUrl


class _Fixed:
    """A decoder factory that ignores the URL."""

    def __init__(self, decode: Decode) -> None:
        self._decode = decode

    def __call__(self, url: DeviceUrl) -> Decode:
        return self._decode


def _toledo_decoder(url: DeviceUrl) -> Decode:
    setting = (url.option("checksum", "auto") or "auto").lower()
    choices: dict[str, bool | None] = {"auto": None, "yes": True, "no": False}
    if setting not in choices:
        raise DeviceConfigError(f"checksum={setting!r}: expected yes, no or auto")
    return toledo.decoder(choices[setting])


PROTOCOLS: dict[str, ScaleProtocol] = {
    "mt-sics": ScaleProtocol(
        "mt-sics", _Fixed(mtsics.decode), 9600, mtsics.COMMANDS, tare_reports_weight=True
    ),
    "and": ScaleProtocol(
        "and",
        _Fixed(aandd.decode),
        2400,
        aandd.COMMANDS,
        zero_replies=aandd.ZERO_ACKS,
        tare_replies=aandd.TARE_ACKS,
    ),
    "ohaus": ScaleProtocol(
        "ohaus", _Fixed(ohaus.decode), 9600, ohaus.COMMANDS, zero_replies=0, tare_replies=0
    ),
    "toledo": ScaleProtocol("toledo", _toledo_decoder, 9600, Commands()),
    "nci": ScaleProtocol("nci", _Fixed(nci.decode), 9600, nci.COMMANDS),
}


def open_scale(url: DeviceUrl, device_id: str | None = None) -> SerialScale:
    """The registry's factory for every scale scheme: an unopened driver for ``url``."""
    try:
        protocol = PROTOCOLS[url.scheme]
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise DeviceConfigError(f"no scale protocol {url.scheme!r} (known: {known})") from None
    return SerialScale(url, protocol, device_id=device_id)
