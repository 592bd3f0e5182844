"""The pure codec of a keyboard-wedge scanner: Linux key events in, text lines out. No I/O.

A wedge scanner is a USB keyboard that "types" each code and presses ENTER. The kernel
reports ``(type, code, value)`` events (``linux/input-event-codes.h``): ``type`` 1 is
``EV_KEY``; ``value`` 1 is key down, 0 key up, 2 autorepeat. Other types (``EV_SYN``,
``EV_MSC``) and key-up and autorepeat events carry no characters and are ignored.

**Layout: US (ANSI).** Key codes are positions, not characters: the scanner must be set to
the US keyboard layout (its factory default), or ``Z`` arrives as ``Y`` on a German setting.
Letters, digits, space and the US punctuation keys map as on a US keyboard, SHIFT (left or
right) gives the shifted character, CAPS LOCK (pressed by the scanner itself) toggles the
case of letters, the numeric keypad gives digits and ``. / * - +``. ENTER or keypad ENTER
ends a line (``suffix="tab"``: TAB does).

A line is rejected (never partly used: a UID with a character missing is another tag) when
it has a key with no character in this layout (F-keys, arrows, ESC, BACKSPACE), a
character typed with CTRL, ALT or META held (scanners' "function code" modes), or more than
``max_length`` characters; the rest of it is dropped up to the next line end.
"""

from devices.barcode.lines import Line, Rejected

EV_KEY = 1
KEY_DOWN, KEY_UP = 1, 0

KEY_ENTER, KEY_KPENTER, KEY_TAB = 28, 96, 15
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58
SHIFTS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
# LEFTCTRL, RIGHTCTRL, LEFTALT, RIGHTALT, LEFTMETA, RIGHTMETA
COMBINERS = frozenset({29, 97, 56, 100, 125, 126})
IGNORED = frozenset({69})  # NUMLOCK: scanners toggle it around keypad digits

# The four rows of a US keyboard: (code of the first key, plain, shifted); codes run on
# along a row (KEY_1 = 2 ... KEY_EQUAL = 13, KEY_Q = 16 ..., KEY_A = 30 ..., KEY_BACKSLASH
# = 43, KEY_Z = 44 ... KEY_SLASH = 53).
_ROWS = [
    (2, "1234567890-=", "!@#$%^&*()_+"),
    (16, "qwertyuiop[]", "QWERTYUIOP{}"),
    (30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    (43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
]
# Keypad: the same character with or without shift (KEY_KP0 = 82, KEY_KP1 = 79, ...).
_KEYPAD = {82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8"}
_KEYPAD |= {73: "9", 83: ".", 98: "/", 55: "*", 74: "-", 78: "+"}

# code -> (plain, shifted), US layout.
US_KEYS: dict[int, tuple[str, str]] = {
    first + offset: pair
    for first, plain, shifted in _ROWS
    for offset, pair in enumerate(zip(plain, shifted, strict=True))
}
US_KEYS[57] = (" ", " ")  # KEY_SPACE
US_KEYS |= {code: (char, char) for code, char in _KEYPAD.items()}


class KeyDecoder:
    def __init__(self, suffix: str = "enter", max_length: int = 512) -> None:
        ends = {"enter": frozenset({KEY_ENTER, KEY_KPENTER}), "tab": frozenset({KEY_TAB})}
        if suffix not in ends:
            raise ValueError(f"suffix {suffix!r} is not one of {', '.join(ends)}")
        self.end_keys = ends[suffix]
        self.max_length = max_length
        self.reset()

    def reset(self) -> None:
        """Forget the line so far and every key held (the device was lost)."""
        self._chars: list[str] = []
        self._held: set[int] = set()
        self._caps = False
        self._problem: Rejected | None = None

    def feed(self, type_: int, code: int, value: int) -> Line | Rejected | None:
        """One event; returns a finished line (or why it was dropped) at its end key."""
        if type_ != EV_KEY:
            return None
        if value == KEY_UP:
            self._held.discard(code)
            return None
        if value != KEY_DOWN:
            return None  # autorepeat: a scanner does not hold keys down
        if code in SHIFTS or code in COMBINERS:
            self._held.add(code)
        elif code == KEY_CAPSLOCK:
            self._caps = not self._caps
        elif code in self.end_keys:
            return self._finish()
        elif code not in IGNORED:
            self._type(code)
        return None

    def _type(self, code: int) -> None:
        if self._problem is not None:
            return  # the line is already lost; drop the rest of it
        pair = US_KEYS.get(code)
        if pair is None:
            self._reject("garbage", f"key code {code} has no character in the US layout")
        elif self._held & COMBINERS:
            self._reject("garbage", f"key code {code} typed with CTRL, ALT or META held")
        elif len(self._chars) >= self.max_length:
            self._reject("overlong", f"more than {self.max_length} characters without ENTER")
        else:
            shifted = bool(self._held & SHIFTS)
            if self._caps and pair[0].isalpha():
                shifted = not shifted
            self._chars.append(pair[1] if shifted else pair[0])

    def _reject(self, reason: str, detail: str) -> None:
        self._problem = Rejected(reason, detail, "".join(self._chars).encode()[:64])

    def _finish(self) -> Line | Rejected | None:
        text, problem = "".join(self._chars), self._problem
        self._chars, self._problem = [], None
        if problem is not None:
            return problem
        return Line(text, text.encode()) if text else None
