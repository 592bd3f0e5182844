"""``seedtrace devices`` and ``seedtrace sim``: the technician's tools on the floor."""

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
    count: Annotated[int, typer.Option(help="Stop after this many readings (0: run on).")] = 0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each reading.")] = 5.0,
) -> None:
    """Print live readings from one device, decoded and raw."""
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
        _print_readings(driver, kind, count, timeout)
    finally:
        driver.__exit__(None, None, None)


def _print_readings(driver: Any, kind: str, count: int, timeout: float) -> None:
    from devices.errors import DeviceError

    seen = 0
    while count == 0 or seen < count:
        try:
            if kind == "scale":
                r = driver.read(timeout=timeout)
                flag = "stable  " if r.stable else "unstable"
                typer.echo(f"{r.value} {r.unit.value}  ({r.grams} g)  {flag}  raw={r.raw!r}")
                seen += 1
            else:
                got = False
                for read in driver.reads(timeout=timeout):
                    typer.echo(_describe(read))
                    seen += 1
                    got = True
                    if count and seen >= count:
                        break
                if not got:
                    typer.echo(f"(nothing in {timeout:g} s)")
        except TimeoutError:
            typer.echo(f"(nothing in {timeout:g} s)")
        except DeviceError as err:
            typer.echo(f"device: {err}", err=True)
            time.sleep(1.0)


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
