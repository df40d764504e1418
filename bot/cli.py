"""The `lotse` command: argument parsing only; each subcommand lives with what it operates on."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import SettingsError, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lotse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="Telegram when BOT_TOKEN is set, otherwise the console chat")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"lotse: {exc}", file=sys.stderr)
        return 2
    del settings, args
    return 0
