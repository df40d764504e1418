"""Staff accounts of the web workspace: created, disabled and listed with `lotse staff`, their
passwords hashed with Argon2id (argon2-cffi's defaults, rehashed on sign-in when those change),
and the counsellor an account acts as on a case."""
from __future__ import annotations

from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.clock import utcnow
from bot.handoff.records import Counsellor
from bot.storage.staff import AccountRecord, StaffRows

HASHER = PasswordHasher()
MIN_PASSWORD = 12
"""Characters a password has at least."""
_UNUSABLE = HASHER.hash("an unusable password that only keeps timing even")
"""Verified against when the login is unknown, so that a sign-in takes as long either way."""


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    ADMIN = "admin"
    """A counsellor who may also see the statistics (and, later, manage accounts)."""


def counsellor(account: AccountRecord) -> Counsellor:
    """Whom the account acts as on a case: its name, and the negative of its id, which no
    Telegram user id is, so a web account and a Telegram counsellor never pass for each other."""
    return Counsellor(-account.id, account.name)


class Accounts:
    def __init__(self, rows: StaffRows) -> None:
        self.rows = rows

    async def add(self, login: str, name: str, role: Role, password: str) -> AccountRecord:
        """A new account; ValueError (said for the admin) when the login is taken or the
        password too short."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
        if not login or not login.isascii() or not login.replace(".", "").replace("-", "") \
                .replace("_", "").isalnum():
            raise ValueError("a login is letters, digits, '.', '-' or '_'")
        added = await self.rows.add_account(login, name, role.value, HASHER.hash(password),
                                            utcnow())
        if added is None:
            raise ValueError(f"the login {login!r} is taken")
        return added

    async def verify(self, login: str, password: str) -> AccountRecord | None:
        """The enabled account `login` if `password` is its password."""
        account = await self.rows.account(login)
        try:
            HASHER.verify(account.password_hash if account else _UNUSABLE, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        if HASHER.check_needs_rehash(account.password_hash):
            await self.rows.set_password(account.id, HASHER.hash(password))
        return account
