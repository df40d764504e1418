"""The layers' import rules (docs/architecture.md, "Packages"): the pure core imports no framework
and no database, and the handoff knows no channel. Read off the source (every import statement,
also one inside a function), and once at run time for what the handoff pulls in with it."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
RULES = {
    "core": ("aiogram", "sqlalchemy"),
    "handoff": ("aiogram", "bot.channels"),
}
"""Package under bot/ -> the modules no file in it may import (or anything inside them)."""


def imported(path: Path) -> set[str]:
    """The modules a file imports, by their full names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def breaking(package: str) -> list[str]:
    forbidden = RULES[package]
    return sorted(f"{path.relative_to(BOT.parent)} imports {name}"
                  for path in (BOT / package).rglob("*.py") for name in imported(path)
                  if any(name == f or name.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("package", sorted(RULES))
def test_a_package_imports_nothing_its_layer_forbids(package: str) -> None:
    assert breaking(package) == []


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from aiogram.types import Message\n    import sqlalchemy\n")
    assert imported(module) == {"aiogram.types", "sqlalchemy"}


def test_the_handoff_pulls_in_no_channel_when_imported() -> None:
    """Nothing it imports imports aiogram or a channel either (a second staff channel, or none,
    must be possible without Telegram's code)."""
    code = ("import sys, bot.handoff.cases, bot.handoff.deliveries, bot.handoff.delivery, "
            "bot.handoff.erasure, bot.handoff.outage, bot.handoff.outbox; "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] == 'aiogram' or m.startswith('bot.channels')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=BOT.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
