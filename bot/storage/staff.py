"""The web workspace's rows: staff accounts, their signed-in sessions and the audit log of case
actions, as plain records (`bot.channels.web` reads and writes them through `StaffRows`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.models import AuditEntry, StaffAccount, StaffSession
from bot.storage.repository import Storage


@dataclass(frozen=True)
class AccountRecord:
    id: int
    login: str
    name: str
    role: str
    """"counsellor" or "admin"."""
    password_hash: str
    disabled: bool


@dataclass(frozen=True)
class SessionRecord:
    account: AccountRecord
    csrf: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class AuditRecord:
    at: dt.datetime
    login: str
    case_id: int | None
    action: str


def _account(row: StaffAccount) -> AccountRecord:
    return AccountRecord(row.id, row.login, row.name, row.role, row.password_hash,
                         row.disabled_at is not None)


class StaffRows:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def add_account(self, login: str, name: str, role: str, password_hash: str,
                          now: dt.datetime) -> AccountRecord | None:
        """A new account; None when the login is taken."""
        try:
            async with self.storage.session() as session:
                row = StaffAccount(login=login, name=name, role=role,
                                   password_hash=password_hash, created_at=now)
                session.add(row)
                await session.flush()
                return _account(row)
        except IntegrityError:
            return None

    async def account(self, login: str) -> AccountRecord | None:
        async with self.storage.session() as session:
            row = await session.scalar(select(StaffAccount).where(StaffAccount.login == login))
            return None if row is None else _account(row)

    async def accounts(self) -> list[AccountRecord]:
        async with self.storage.session() as session:
            return [_account(row) for row in
                    await session.scalars(select(StaffAccount).order_by(StaffAccount.login))]

    async def disable(self, login: str, now: dt.datetime) -> bool:
        """Disable the account and end its sessions; False when there is no such login."""
        async with self.storage.session() as session:
            row = await session.scalar(select(StaffAccount).where(StaffAccount.login == login))
            if row is None:
                return False
            row.disabled_at = row.disabled_at or now
            await session.execute(delete(StaffSession).where(StaffSession.account_id == row.id))
            return True

    async def set_password(self, account_id: int, password_hash: str) -> None:
        """A rehash with newer parameters, after a sign-in."""
        async with self.storage.session() as session:
            await session.execute(update(StaffAccount).where(StaffAccount.id == account_id)
                                  .values(password_hash=password_hash))

    async def open_session(self, account_id: int, token_hash: str, csrf: str,
                           now: dt.datetime, expires_at: dt.datetime) -> None:
        """A new session, and the account's expired ones removed."""
        async with self.storage.session() as session:
            await session.execute(delete(StaffSession).where(StaffSession.account_id == account_id,
                                                             StaffSession.expires_at <= now))
            session.add(StaffSession(token_hash=token_hash, account_id=account_id, csrf=csrf,
                                     created_at=now, expires_at=expires_at))

    async def session(self, token_hash: str, now: dt.datetime) -> SessionRecord | None:
        """The session of an enabled account, unexpired; None otherwise."""
        async with self.storage.session() as session:
            row = (await session.execute(
                select(StaffSession, StaffAccount)
                .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
                .where(StaffSession.token_hash == token_hash, StaffSession.expires_at > now,
                       StaffAccount.disabled_at.is_(None)))).first()
            return None if row is None else SessionRecord(_account(row[1]), row[0].csrf,
                                                          row[0].expires_at)

    async def end_session(self, token_hash: str) -> None:
        async with self.storage.session() as session:
            await session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash))

    async def audit(self, account_id: int, case_id: int | None, action: str, form_key: str,
                    now: dt.datetime) -> None:
        """An entry, once per `form_key` (the same form again adds none)."""
        try:
            async with self.storage.session() as session:
                session.add(AuditEntry(at=now, account_id=account_id, case_id=case_id,
                                       action=action, form_key=form_key))
        except IntegrityError:
            pass

    async def audit_log(self, case_id: int) -> list[AuditRecord]:
        """What was done to case `case_id` in the workspace, oldest first."""
        async with self.storage.session() as session:
            rows = await session.execute(
                select(AuditEntry.at, StaffAccount.login, AuditEntry.case_id, AuditEntry.action)
                .join(StaffAccount, StaffAccount.id == AuditEntry.account_id)
                .where(AuditEntry.case_id == case_id).order_by(AuditEntry.id))
            return [AuditRecord(*row) for row in rows]
