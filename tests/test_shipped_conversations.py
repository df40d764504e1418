"""The conversation tests that ship in conversations/ pass on the shipped content, and a broken
text makes `lotse content test` fail at the conversation it broke."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_ROOT

pytestmark = pytest.mark.e2e  # real `python -m bot content test` processes


def lotse_content_test(root: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", "content", "test", "--root", str(root)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_shipped_conversations_pass(tmp_path: Path) -> None:
    done = lotse_content_test(REPO_ROOT, tmp_path)
    assert done.stdout == "" and done.returncode == 0, done.stdout + done.stderr
    found = re.fullmatch(r"(\d+) of (\d+) conversation\(s\) passed, 0 failed, in (\d+) file\(s\)\n",
                         done.stderr)
    assert found and found[1] == found[2] and int(found[1]) >= 20, done.stderr
    languages = {line.split(":", 1)[1].strip()
                 for path in (REPO_ROOT / "conversations").glob("*.yaml")
                 for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip().startswith("language:")}
    assert len(languages) >= 5 and languages & {"ar", "fa", "ps"}


def test_a_broken_text_fails_at_its_conversation(tmp_path: Path) -> None:
    root = tmp_path / "content"
    for folder in ("faq", "flows", "conversations"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    flow = root / "flows" / "language-courses.yaml"
    sentence = "با هم پیدا می‌کنیم که کدام کورس برای شما ممکن است"
    flow.write_text(flow.read_text(encoding="utf-8").replace(sentence, "با هم"), encoding="utf-8")
    script = (root / "conversations" / "language-courses.yaml").read_text(encoding="utf-8")
    line = next(n for n, text in enumerate(script.splitlines(), 1) if sentence in text)

    done = lotse_content_test(root, root)

    assert done.returncode == 1
    assert done.stdout.startswith(
        f"conversations/language-courses.yaml:{line}: Residence status unknown, a counsellor is "
        f"offered: expected a text containing \"{sentence}\", got \"")
    assert done.stdout.count("\n") == 1
    assert ", 1 failed, in " in done.stderr
