"""No module in bot/ over 400 lines, no function over 80 (issue 14): a module that grows past
that splits along its seams, as the engine did (`bot/core/engine.py` and its layers). Alembic's
migrations are exempt: each is one generated step."""
from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
EXEMPT = ("storage/migrations/versions/",)
WAITING: dict[str, str] = {
    "bot/handoff/outbox.py": "the outbox helper's (issue 14)",
}
"""Modules still too long, each with who splits it. A module that no longer is fails the test
until it leaves this list, so the list only shrinks."""


def too_long(root: Path) -> list[str]:
    """Each module under `root` over the limit, and each function (or method) over it, with its
    length in lines (a function from its `def` to its last line)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        if any(part in name for part in EXEMPT):
            continue
        source = path.read_text(encoding="utf-8")
        if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_module_or_function_in_bot_is_too_long() -> None:
    waiting = [f for f in too_long(BOT) if f.split(":")[0] in WAITING]
    assert [f for f in too_long(BOT) if f not in waiting] == []
    assert sorted({f.split(":")[0] for f in waiting}) == sorted(WAITING), \
        "a module in WAITING is short enough now: take it off the list"


def test_the_rule_sees_a_long_module_and_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "bot"
    (package / "storage/migrations/versions").mkdir(parents=True)
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (package / "long.py").write_text("def f():\n" + body + "\n" * 320)
    (package / "short.py").write_text("def g():\n" + body[:-len("    x79 = 79\n")])
    (package / "storage/migrations/versions/0001_x.py").write_text("\n" * 500)
    assert too_long(package) == ["bot/long.py: 401 lines", "bot/long.py:1 f: 81 lines"]
