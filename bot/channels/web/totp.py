"""One-time codes for signing in (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six digits, as
every authenticator app reads them from an otpauth:// link): an account that has a secret
(`lotse staff totp LOGIN`) signs in with its password and the current code, each code once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
"""A code of the step before or after is accepted too (a phone's clock a little off)."""


def new_secret() -> str:
    """A random secret, base32 as authenticator apps take it (160 bits, RFC 4226's advice)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def link(secret: str, login: str, issuer: str = "Lotse") -> str:
    """The otpauth:// link an authenticator app reads (typed in, or as a QR code)."""
    return (f"otpauth://totp/{quote(issuer)}:{quote(login)}?secret={secret}"
            f"&issuer={quote(issuer)}&digits={DIGITS}&period={STEP_SECONDS}")


def code(secret: str, step: int) -> str:
    """The code of `step` (RFC 4226's HOTP of the step number)."""
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, given: str, after: int | None,
                  now: float | None = None) -> int | None:
    """The step whose code `given` is, within the drift, if it is later than `after` (the step
    last used: a code is good once); None otherwise."""
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    given = given.strip().replace(" ", "")
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(code(secret, step), given):
            return step
    return None
