"""``seedtrace devices`` and ``seedtrace sim``: the technician's tools on the floor.

``seedtrace devices read URL --count N`` exits when N answers came (a reading, a refusal such
as an overload, or nothing within ``--timeout``), with the status scripts check:

* 0: every answer was a reading;
* 1: the device could not be opened, or was lost (one line on stderr says why);
* 2: the URL or an option is wrong;
* 3: the device answered, but not always with a reading (refused, or nothing in time).
"""

import glob
import signal
import time
from typing import Annotated, Any

import typer

devices_app = typer.Typer(
    help="Find and check station devices: scales, RFID readers, barcode scanners and cameras.",
    no_args_is_help=True,
)


@devices_app.command("list")
def list_devices() -> None:
    """List serial ports, PC/SC readers and cameras this machine can see."""
    from serial.tools import list_ports

    typer.echo("Serial ports:")
    ports = list(list_ports.comports())
    for port in ports:
        typer.echo(f"  {port.device}  {port.description}")
    for path in sorted(glob.glob("/dev/serial/by-id/*")):
        typer.echo(f"  {path}")
    if not ports:
        typer.echo("  (none)")
    typer.echo("PC/SC readers:")
    try:
        from smartcard.System import readers

        names = [str(r) for r in readers()]
    except Exception as err:  # pcscd not running is a finding to report, not a crash
        typer.echo(f"  (PC/SC unavailable: {err})")
    else:
        for name in names:
            typer.echo(f"  pcsc://{name}")
        if not names:
            typer.echo("  (none)")
    typer.echo("Cameras:")
    cams = sorted(glob.glob("/dev/video*"))
    for cam in cams:
        typer.echo(f"  camera://{cam.removeprefix('/dev/video')}  ({cam})")
    if not cams:
        typer.echo("  (none)")


@devices_app.command("read")
def read_device(
    url: Annotated[str, typer.Argument(help="Device URL, e.g. mt-sics:///dev/ttyUSB0")],
    count: Annotated[
        int,
        typer.Option(
            min=0,
            help="Stop after this many answers: readings, refusals or timeouts (0: run on).",
        ),
    ] = 0,
    timeout: Annotated[
        float, typer.Option(min=0.01, help="Seconds to wait for each reading.")
    ] = 5.0,
) -> None:
    """Print live readings from one device, decoded and raw.

    Exit status: 0 every answer was a reading; 1 the device could not be opened or was lost;
    3 some answers were refusals (overload...) or nothing came within --timeout.
    """
    from devices.errors import DeviceError
    from devices.registry import device_kind, open_device

    try:
        kind = device_kind(url)
        driver = open_device(url, device_id="cli")
    except DeviceError as err:
        raise typer.BadParameter(str(err), param_hint="URL") from err
    try:
        driver.__enter__()
    except DeviceError as err:  # absent device: say so instead of a traceback
        typer.echo(f"cannot open {url}: {err}", err=True)
        raise typer.Exit(1) from err
    try:
        status = _print_readings(driver, kind, count, timeout)
    finally:
        driver.__exit__(None, None, None)
    if status:
        raise typer.Exit(status)


def _print_readings(driver: Any, kind: str, count: int, timeout: float) -> int:
    """Print answers until ``count`` of them came (0: until Ctrl-C); the exit status."""
    from devices.errors import DeviceUnavailable, ReadingRefused

    answers = readings = 0
    lost = False
    while count == 0 or answers < count:
        try:
            if kind == "scale":
                r = driver.read(timeout=timeout)
                flag = "stable  " if r.stable else "unstable"
                typer.echo(f"{r.value} {r.unit.value}  ({r.grams} g)  {flag}  raw={r.raw!r}")
                answers, readings = answers + 1, readings + 1
            else:
                got = False
                for read in driver.reads(timeout=timeout):
                    typer.echo(_describe(read))
                    answers, readings, got = answers + 1, readings + 1, True
                    if count and answers >= count:
                        break
                if not got:
                    raise TimeoutError
        except TimeoutError:
            typer.echo(f"(nothing in {timeout:g} s)")
            answers += 1
        except ReadingRefused as err:  # the device answered: overload, motion, error code
            typer.echo(f"refused: {err.reason}: {err}  raw={err.raw!r}")
            answers += 1
        except DeviceUnavailable as err:
            typer.echo(f"device unavailable: {err}", err=True)
            answers, lost = answers + 1, True
            if count == 0:
                time.sleep(1.0)  # running on: the driver reopens the port on the next read
    if lost:
        return 1
    return 0 if readings == answers else 3


def wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM (systemd's stop), then return so context managers close."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


def _describe(read: object) -> str:
    from devices.base import BarcodeRead, TagRead

    if isinstance(read, TagRead):
        rssi = "" if read.rssi is None else f"  rssi={read.rssi} dBm"
        return f"{read.source.value}  {read.uid}{rssi}  raw={read.raw.hex()}"
    if isinstance(read, BarcodeRead):
        return f"{read.symbology}  {read.text}  ({read.decoder})"
    return repr(read)


def sim(
    name: Annotated[
        str | None, typer.Argument(help="Simulator: scale, uhf, card, camera, scanner, ...")
    ] = None,
    protocol: Annotated[
        str | None, typer.Option(help="Protocol, for simulators that speak several.")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="key=value, repeatable.")
    ] = None,
    list_names: Annotated[bool, typer.Option("--list", help="List the simulators.")] = False,
) -> None:
    """Run a simulated device that speaks the real bytes; prints the URL a driver opens.

    Example: seedtrace sim scale --protocol mt-sics
    """
    from devices.errors import DeviceError
    from devices.registry import SIMULATORS, make_simulator

    if list_names or name is None:
        for known in sorted(SIMULATORS):
            typer.echo(known)
        return
    options: dict[str, str] = {}
    if protocol is not None:
        options["protocol"] = protocol
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not key=value", param_hint="--option")
        options[key] = value
    try:
        simulator = make_simulator(name, **options)
    except (DeviceError, TypeError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="NAME/--option") from err
    try:
        simulator.__enter__()
    except (DeviceError, OSError) as err:  # e.g. the card simulator while pcscd is down
        typer.echo(f"cannot start the {name} simulator: {err}", err=True)
        raise typer.Exit(1) from err
    try:
        typer.echo(simulator.url)
        typer.echo("Running; Ctrl-C stops.", err=True)
        wait_for_stop()
    finally:
        simulator.__exit__(None, None, None)
