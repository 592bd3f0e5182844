"""A scripted keyboard-wedge scanner: key events for :class:`devices.barcode.wedge.WedgeScanner`.

``/dev/uinput`` does not exist in our sandboxes, so no kernel input device can be faked;
instead this implements :class:`~devices.barcode.wedge.KeyEventSource` and queues the events
a US-layout scanner sends: for each character SHIFT down if needed, key down, key up, SHIFT
up, each followed by ``EV_SYN``, then ENTER. :meth:`ScriptedKeyboard.unplug` makes the next
read fail (and opening fail) until :meth:`replug`, as a pulled USB cable does.
"""

import threading
from collections import deque

from devices.barcode.keymap import EV_KEY, KEY_DOWN, KEY_ENTER, KEY_LEFTSHIFT, KEY_UP, US_KEYS
from devices.errors import DeviceUnavailable

KeyEvent = tuple[int, int, int]
EV_SYN = 0

# character -> (key code, shift); the main keys win over the keypad for digits and . / * - +
_TYPING: dict[str, tuple[int, bool]] = {}
for _code, (_plain, _shifted) in sorted(US_KEYS.items(), reverse=True):
    _TYPING[_shifted] = (_code, _shifted != _plain)
    _TYPING[_plain] = (_code, False)


def key_events(text: str, end_key: int | None = KEY_ENTER) -> list[KeyEvent]:
    """The events a US-layout scanner sends to type ``text``; ValueError for a character
    it cannot type."""
    events: list[KeyEvent] = []

    def tap(code: int) -> None:
        events.extend([(EV_KEY, code, KEY_DOWN), (EV_SYN, 0, 0)])
        events.extend([(EV_KEY, code, KEY_UP), (EV_SYN, 0, 0)])

    for char in text:
        try:
            code, shift = _TYPING[char]
        except KeyError:
            raise ValueError(f"{char!r} cannot be typed on a US keyboard") from None
        if shift:
            events.extend([(EV_KEY, KEY_LEFTSHIFT, KEY_DOWN), (EV_SYN, 0, 0)])
        tap(code)
        if shift:
            events.extend([(EV_KEY, KEY_LEFTSHIFT, KEY_UP), (EV_SYN, 0, 0)])
    if end_key is not None:
        tap(end_key)
    return events


class ScriptedKeyboard:
    """A :class:`~devices.barcode.wedge.KeyEventSource` fed by the test."""

    def __init__(self) -> None:
        self._events: deque[KeyEvent] = deque()
        self._ready = threading.Condition()
        self.plugged = True
        self.is_open = False
        self.opens = 0

    def scan(self, text: str, end_key: int | None = KEY_ENTER) -> None:
        """The scanner types ``text`` and presses ``end_key``."""
        self.send(key_events(text, end_key))

    def send(self, events: list[KeyEvent]) -> None:
        with self._ready:
            if self.plugged:
                self._events.extend(events)
                self._ready.notify_all()

    def unplug(self) -> None:
        with self._ready:
            self.plugged = False
            self._events.clear()
            self._ready.notify_all()

    def replug(self) -> None:
        with self._ready:
            self.plugged = True

    def open(self) -> None:
        if not self.plugged:
            raise DeviceUnavailable("scripted keyboard: no such device")
        self.is_open = True
        self.opens += 1

    def close(self) -> None:
        self.is_open = False

    def read(self, timeout: float) -> list[KeyEvent]:
        with self._ready:
            if not self._events and self.plugged:
                self._ready.wait(timeout)
            if not self.plugged:
                self.is_open = False
                raise DeviceUnavailable("scripted keyboard: device was lost")
            # a real device hands over at most a read buffer's worth at a time
            batch = [self._events.popleft() for _ in range(min(64, len(self._events)))]
            return batch
