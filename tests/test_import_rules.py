"""The layers' import rules (docs/architecture.md, "Packages"): the pure core imports no framework,
no database and not the clock, the handoff and the voice know no channel, and no bot modules import each other
in a circle, not even through an import inside a function. Read off the source (every import
statement, also one inside a function), and once at run time for what the handoff pulls in."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
RULES = {
    "core": ("aiogram", "sqlalchemy", "bot.clock"),  # time enters the engine inside events
    "handoff": ("aiogram", "bot.channels"),
    "voice": ("aiogram", "sqlalchemy", "bot.channels", "bot.storage"),  # channel-free
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


def run_time_imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` a file imports when it runs (anywhere in it, but not under
    `if TYPE_CHECKING:`); `from package import module` counts as importing the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                  "typing.TYPE_CHECKING"):
            node.body = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names & modules


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycles(root: Path) -> list[list[str]]:
    """The circles of modules under `root` (a package) that import each other, each once, as
    the strongly connected components of the import graph that hold more than one module."""
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = {name: sorted(run_time_imports(path, set(paths)) - {name})
             for name, path in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:  # Tarjan's algorithm
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in graph[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = []
            while (top := stack.pop()) != name:
                component.append(top)
            if component:
                cycles.append(sorted([name, *component]))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(cycles)


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


def test_no_bot_modules_import_each_other_in_a_circle() -> None:
    """Not even through an import inside a function: such a circle works only as long as nobody
    moves that import to the top, and it hides which module the shared name belongs to."""
    assert import_cycles(BOT) == []


def test_the_cycle_rule_sees_a_circle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import B\nA = 1\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n    return a.A\nB = 2\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from pkg.a import A\n")
    (package / "d.py").write_text("from pkg.c import *\n")
    assert import_cycles(package) == [["pkg.a", "pkg.b"]]


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


DATABASE_LIBRARIES = ("sqlalchemy", "alembic")


def test_only_storage_imports_the_database_libraries() -> None:
    """Everything else reaches the database through the storage API (bot/storage/)."""
    importing = {str(path.relative_to(BOT.parent)) for path in BOT.rglob("*.py")
                 if (BOT / "storage") not in path.parents
                 and any(name.split(".")[0] in DATABASE_LIBRARIES for name in imported(path))}
    assert importing == set()
