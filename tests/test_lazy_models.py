"""bot/ops/lazy_models.py: aiogram's models built on first use. The Bot API traffic
the bot has (tests/lazy_models_probe.py) parses and serialises the same with the shim as with plain
aiogram; the shim takes effect with the pinned versions and steps aside, saying so, where it
cannot."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.ops import lazy_models

REPO = Path(__file__).resolve().parent.parent


def probe(*arguments: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "tests.lazy_models_probe", *arguments],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


@pytest.fixture(scope="module")
def plain() -> dict[str, Any]:
    return probe()


@pytest.fixture(scope="module")
def shimmed() -> dict[str, Any]:
    return probe("--shim")


def test_the_traffic_parses_and_serialises_as_with_plain_aiogram(
        plain: dict[str, Any], shimmed: dict[str, Any]) -> None:
    assert plain["update_kinds"] == ["callback_query", "edited_message", "message",
                                     "my_chat_member"]
    assert len(plain["sent"]) == len(plain["answers"]) == 16
    for name in ("update_kinds", "sent", "answers"):
        assert shimmed[name] == plain[name], name


def test_the_shim_leaves_the_models_unbuilt_at_import(
        plain: dict[str, Any], shimmed: dict[str, Any]) -> None:
    assert plain["built_at_import"] > 500  # every type and every method, as aiogram does it
    assert shimmed["deferred"] > 300 and shimmed["methods_deferred"]
    assert shimmed["built_at_import"] < 10


def test_it_is_pinned_to_the_versions_it_is_tested_with() -> None:
    assert lazy_models.effect.installed and lazy_models.effect.why_not is None  # this process
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for name, version in lazy_models.TESTED.items():
        assert f"{name}=={version}" in project["dependencies"]


@pytest.mark.parametrize(("before", "why"), [
    ("import aiogram", "aiogram was imported before the shim"),
    ("import importlib.metadata as m; v = m.version; "
     "m.version = lambda n: '3.99.0' if n == 'aiogram' else v(n)",
     "aiogram 3.99.0 is not the version the shim is tested with"),
])
def test_otherwise_aiogram_imports_as_usual_with_a_warning(before: str, why: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"{before}\nimport bot, aiogram.types as t\n"
                           "from bot.ops.lazy_models import effect\n"
                           "print(effect.installed, t.Message.__pydantic_complete__)"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
    assert why in done.stderr


def test_it_is_in_effect_in_the_e2e_fork_server() -> None:
    """The fork server (tests/e2e/forks.py) imports the bot once for every forked `lotse run`."""
    from tests.e2e.forks import SERVER
    imports = next(line for line in SERVER.splitlines() if line.startswith("import bot."))
    done = subprocess.run([sys.executable, "-W", "error", "-c",
                           f"{imports}\nfrom bot.ops.lazy_models import effect\n"
                           "from aiogram.types import Message\n"
                           "print(effect.installed, Message.__pydantic_complete__)"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
