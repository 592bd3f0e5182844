"""Keyboard-wedge scanners: the key-event codec and the driver, fed key events through our
KeyEventSource interface (there is no /dev/uinput here to fake a kernel device)."""

import logging
import subprocess
import sys

import evdev.ecodes as ecodes
import pytest

from devices.barcode.keymap import EV_KEY, KEY_DOWN, KEY_UP, US_KEYS, KeyDecoder
from devices.barcode.lines import Line, Rejected
from devices.barcode.wedge import WedgeScanner
from devices.base import BarcodeReader, DeviceState
from devices.errors import DeviceConfigError, DeviceUnavailable
from devices.registry import open_device
from devices.sim.keyboard import ScriptedKeyboard, key_events
from devices.urls import parse_device_url

UID = "1A4FF0100000022000000123"
EV_SYN, EV_MSC = 0, 4
A, F1, ESC, LCTRL, RSHIFT, CAPS = 30, 59, 1, 29, 54, 58


def decode(events: list[tuple[int, int, int]], **options: object) -> list[str]:
    decoder = KeyDecoder(**options)  # type: ignore[arg-type]
    out: list[str] = []
    for event in events:
        item = decoder.feed(*event)
        if isinstance(item, Line):
            out.append(item.text)
        elif isinstance(item, Rejected):
            out.append(f"<{item.reason}: {item.detail}>")
    return out


def tap(code: int) -> list[tuple[int, int, int]]:
    return [(EV_KEY, code, KEY_DOWN), (EV_SYN, 0, 0), (EV_KEY, code, KEY_UP), (EV_SYN, 0, 0)]


# ---- the codec -------------------------------------------------------------------------


def test_a_uid_typed_with_shift_becomes_one_line() -> None:
    assert decode(key_events(UID)) == [UID]


def test_every_us_character_round_trips() -> None:
    text = "".join(sorted({c for pair in US_KEYS.values() for c in pair}))
    assert decode(key_events(text)) == [text]


def test_right_shift_caps_lock_and_keypad() -> None:
    events = [(EV_KEY, RSHIFT, KEY_DOWN), *tap(A), (EV_KEY, RSHIFT, KEY_UP), *tap(A)]
    events += [*tap(CAPS), *tap(A), (EV_KEY, RSHIFT, KEY_DOWN), *tap(A), (EV_KEY, RSHIFT, KEY_UP)]
    events += [*tap(CAPS), *tap(ecodes.KEY_KP7), *tap(ecodes.KEY_KPDOT), *tap(ecodes.KEY_KPENTER)]
    assert decode(events) == ["AaAa7."]


def test_key_up_autorepeat_sync_and_misc_events_type_nothing() -> None:
    events = [(EV_MSC, 4, 0x70004), (EV_KEY, A, KEY_DOWN), (EV_KEY, A, 2), (EV_KEY, A, KEY_UP)]
    assert decode([*events, (EV_KEY, A, KEY_UP), *tap(ecodes.KEY_ENTER)]) == ["a"]


def test_an_unknown_key_drops_the_whole_line_and_says_which() -> None:
    events = key_events("1A4F", end_key=None) + tap(F1) + key_events("F01") + key_events(UID)
    assert decode(events) == ["<garbage: key code 59 has no character in the US layout>", UID]


def test_a_character_typed_with_ctrl_held_drops_the_line() -> None:
    events = [(EV_KEY, LCTRL, KEY_DOWN), *tap(A), (EV_KEY, LCTRL, KEY_UP), *tap(28)]
    assert decode(events + key_events("OK")) == [
        "<garbage: key code 30 typed with CTRL, ALT or META held>",
        "OK",
    ]


def test_escape_backspace_and_overlong() -> None:
    assert decode(tap(ESC) + key_events("A")) == [
        "<garbage: key code 1 has no character in the US layout>"
    ]
    assert decode(key_events("X" * 40) + key_events("ok"), max_length=32) == [
        "<overlong: more than 32 characters without ENTER>",
        "ok",
    ]


def test_tab_suffix_and_empty_lines() -> None:
    assert decode(key_events(UID, end_key=ecodes.KEY_TAB) * 2, suffix="tab") == [UID, UID]
    assert decode(tap(ecodes.KEY_ENTER) + tap(ecodes.KEY_ENTER)) == []


def test_our_key_codes_are_the_kernels() -> None:
    for code, (plain, _) in US_KEYS.items():
        name = ecodes.KEY[code]
        if plain.isalnum():
            assert name in (f"KEY_{plain.upper()}", f"KEY_KP{plain}"), (code, plain, name)
    assert ecodes.KEY[43] == "KEY_BACKSLASH"
    assert ecodes.KEY[57] == "KEY_SPACE"


# ---- the driver ------------------------------------------------------------------------


def wedge(keys: ScriptedKeyboard, options: str = "") -> WedgeScanner:
    url = parse_device_url(f"wedge:///dev/input/by-id/usb-Test-Scanner-event-kbd{options}")
    return WedgeScanner(url, device_id="bench-wedge", source=keys)


def test_scans_arrive_as_reads() -> None:
    keys = ScriptedKeyboard()
    with wedge(keys) as scan:
        assert isinstance(scan, BarcodeReader)
        keys.scan(UID)
        keys.scan("LOT-7")
        reads = list(scan.reads(timeout=0.2))
    assert [(r.text, r.symbology, r.decoder, r.device_id) for r in reads] == [
        (UID, "UNKNOWN", "wedge", "bench-wedge"),
        ("LOT-7", "UNKNOWN", "wedge", "bench-wedge"),
    ]
    assert not keys.is_open


def test_unknown_keys_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    keys = ScriptedKeyboard()
    with wedge(keys) as scan, caplog.at_level(logging.WARNING, "devices.barcode.wedge"):
        keys.send(key_events("1A4", end_key=None) + tap(F1) + tap(ecodes.KEY_ENTER))
        keys.scan(UID)
        assert [r.text for r in scan.reads(timeout=0.2)] == [UID]
        assert [r.reason for r in scan.rejected] == ["garbage"]
    assert "dropped a scan (garbage): key code 59" in caplog.text
    assert "typed so far=b'1A4'" in caplog.text


def test_aim_and_window_options() -> None:
    keys = ScriptedKeyboard()
    with wedge(keys, "?aim=1&window=5") as scan:
        keys.scan("]Q1" + UID)
        keys.scan("]Q1" + UID)
        reads = list(scan.reads(timeout=0.2))
    assert [(r.text, r.symbology) for r in reads] == [(UID, "QRCODE")]


def test_unplug_and_replug_are_survived() -> None:
    keys = ScriptedKeyboard()
    with wedge(keys) as scan:
        keys.send(key_events("1A4F", end_key=None))  # half a code when the cable goes
        assert list(scan.reads(timeout=0.1)) == []
        keys.unplug()
        with pytest.raises(DeviceUnavailable, match="device was lost"):
            list(scan.reads(timeout=1))
        assert scan.state is DeviceState.UNAVAILABLE
        with pytest.raises(DeviceUnavailable, match="no such device"):
            list(scan.reads(timeout=1))
        keys.replug()
        keys.scan(UID)
        assert [r.text for r in scan.reads(timeout=1)] == [UID]
        assert scan.state.value == "ready"
        assert keys.opens == 2


def test_a_missing_input_device_is_unavailable() -> None:
    scan = open_device("wedge:///dev/input/by-id/no-such-scanner-event-kbd")
    assert isinstance(scan, WedgeScanner)
    with pytest.raises(DeviceUnavailable, match="cannot open /dev/input/by-id/no-such-scanner"):
        scan.open()
    assert scan.state is DeviceState.UNAVAILABLE


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(DeviceConfigError, match="suffix 'cr'"):
        wedge(ScriptedKeyboard(), "?suffix=cr")


def test_scanners_do_not_import_opencv() -> None:
    # A scale- or scanner-only station must not pay for (or need) OpenCV and numpy.
    code = (
        "import sys, devices.registry, devices.barcode.scanner, devices.barcode.wedge\n"
        "assert 'cv2' not in sys.modules and 'numpy' not in sys.modules, 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
