"""The commands of the web workspace: `lotse web`'s arguments (the command itself is `bot.cli.web`:
`lotse run` with the workspace) and `lotse staff add|disable|list`, its accounts."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.config import Settings

DEFAULT_LISTEN = "127.0.0.1:8090"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = sub.add_parser("web", help="serve the bot with the counsellors' web workspace "
                         f"(on WEB_LISTEN, or {DEFAULT_LISTEN})")
    web.add_argument("--listen", metavar="HOST:PORT", help="where the workspace listens")
    staff = sub.add_parser("staff", help="the web workspace's accounts").add_subparsers(
        dest="staff_command", required=True)
    add = staff.add_parser("add", help="a new account; the password is asked for (or read "
                           "from standard input when that is no terminal)")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="the name colleagues and case notes show")
    add.add_argument("--role", choices=("counsellor", "admin"), default="counsellor")
    disable = staff.add_parser("disable", help="end an account's sessions and refuse its "
                               "sign-ins (kept for the audit log)")
    disable.add_argument("login")
    staff.add_parser("list", help="the accounts, their role and whether they are disabled")


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def staff(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.web.accounts import Accounts, Role
    from bot.clock import utcnow
    from bot.storage.migrate import upgrade
    from bot.storage.repository import Storage
    from bot.storage.staff import StaffRows

    async def changing() -> int:
        await upgrade(settings.DATABASE_URL)
        storage = Storage.open(settings.DATABASE_URL)
        try:
            rows = StaffRows(storage)
            if args.staff_command == "add":
                account = await Accounts(rows).add(args.login, args.name, Role(args.role),
                                                   _password())
                print(f"added {account.login} ({account.role})")
            elif args.staff_command == "disable":
                if not await rows.disable(args.login, utcnow()):
                    print(f"lotse: no account {args.login!r}", file=sys.stderr)
                    return 1
                print(f"disabled {args.login}")
            else:
                for account in await rows.accounts():
                    state = "disabled" if account.disabled else "active"
                    print(f"{account.login}\t{account.role}\t{state}\t{account.name}")
            return 0
        finally:
            await storage.close()

    try:
        return asyncio.run(changing())
    except ValueError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 1
