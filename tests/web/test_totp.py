"""One-time codes at sign-in: RFC 6238's codes, the drift allowed, each code once, and the
accounts that have them (`lotse staff totp`)."""
from __future__ import annotations

import base64
import time

from bot.channels.web import totp
from bot.core.content.model import Content
from bot.services.conversation import Conversations
from bot.storage.repository import Storage
from tests.web.workspace import account, client, sign_in, workspace

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
"""RFC 6238's test key for SHA-1 (its appendix B)."""


def test_the_codes_are_rfc_6238s() -> None:
    # the RFC's eight-digit codes, of which authenticator apps show the last six
    assert totp.code(RFC_SECRET, 59 // 30) == "287082"
    assert totp.code(RFC_SECRET, 1111111109 // 30) == "081804"
    assert totp.code(RFC_SECRET, 2000000000 // 30) == "279037"


def test_a_code_of_the_next_or_last_step_counts_and_each_only_once() -> None:
    now = 1111111109.0
    step = int(now // totp.STEP_SECONDS)
    assert totp.matching_step(RFC_SECRET, totp.code(RFC_SECRET, step - 1), None, now) == step - 1
    assert totp.matching_step(RFC_SECRET, totp.code(RFC_SECRET, step + 1), None, now) == step + 1
    assert totp.matching_step(RFC_SECRET, totp.code(RFC_SECRET, step - 2), None, now) is None
    assert totp.matching_step(RFC_SECRET, totp.code(RFC_SECRET, step), step, now) is None
    assert totp.matching_step(RFC_SECRET, "12 34 56", None, now) is None
    assert totp.link("ABC", "lena") == ("otpauth://totp/Lotse:lena?secret=ABC&issuer=Lotse"
                                        "&digits=6&period=30")


async def test_an_account_with_codes_signs_in_with_the_current_one_once(
        storage: Storage, shipped_content: Content) -> None:
    desk = workspace(Conversations(storage, lambda: shipped_content), shipped_content)
    secret = totp.new_secret()
    async with client(desk) as first, client(desk) as second:
        await account(desk, "lena", "Lena")
        assert await desk.staff.set_totp("lena", secret)
        assert (await sign_in(first, "lena")).status == 403  # no code
        now = totp.code(secret, int(time.time() // totp.STEP_SECONDS))
        signed = await sign_in(first, "lena", code=now)
        assert signed.status == 303, await signed.text()
        assert (await sign_in(second, "lena", code=now)).status == 403  # used already
        assert await desk.staff.set_totp("lena", None)
        assert (await sign_in(second, "lena")).status == 303
