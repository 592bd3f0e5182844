"""Hashing operators' PINs and passwords for the station's local credential list.

We use ``hashlib.scrypt`` (RFC 7914) from the standard library rather than argon2: the edge
extra stays free of compiled dependencies we do not already need on a Pi (``argon2-cffi`` is
a server dependency), and scrypt is memory-hard, which is what matters for a 4-to-6-digit PIN
whose hash could be read off a stolen SD card. Even so a PIN has little entropy: the station
also locks sign-in after repeated failures (:mod:`edge.session`).

Format, one string (``$``-separated, base64 without padding)::

    scrypt$<log2 n>$<r>$<p>$<salt>$<hash>
    scrypt$15$8$1$0uCq1S0Q9dRrbvfoyl2Hxg$wH6...

``n = 2**15, r = 8, p = 1`` needs 32 MiB and about 0.1 s on a Pi 4: fine for one sign-in,
slow for guessing. ``seedtrace edge hash-secret`` prints a hash for the config file.
"""

import base64
import hashlib
import hmac
import os

PREFIX = "scrypt"
LOG2_N, R, P = 15, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=n * r * 129 + (1 << 20), dklen=HASH_BYTES
    )


def hash_secret(secret: str, *, log2_n: int = LOG2_N) -> str:
    """A new salted hash of ``secret``. Raises ValueError for an empty secret."""
    if not secret:
        raise ValueError("an empty PIN or password cannot be hashed")
    salt = os.urandom(SALT_BYTES)
    digest = _derive(secret, salt, log2_n, R, P)
    return f"{PREFIX}${log2_n}${R}${P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != PREFIX:
        raise ValueError("not a seedtrace hash (expected scrypt$n$r$p$salt$hash)")
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError as err:
        raise ValueError(f"malformed hash: {err}") from err
    if not (10 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16) or len(digest) != HASH_BYTES:
        raise ValueError("hash parameters out of range")
    return log2_n, r, p, salt, digest


def check_hash_format(stored: str) -> None:
    """Raises ValueError naming what is wrong with a stored hash."""
    _parse(stored)


def verify_secret(secret: str, stored: str) -> bool:
    """True if ``secret`` matches ``stored`` (compared in constant time)."""
    log2_n, r, p, salt, digest = _parse(stored)
    return hmac.compare_digest(_derive(secret, salt, log2_n, r, p), digest)
