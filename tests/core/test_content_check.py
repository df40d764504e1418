"""`lotse content check` on a corpus of broken content: exact messages, lines and exit codes.

Each case in tests/data/content_check/cases is the valid base tree with a few files changed; its
expected.txt holds exactly what the checker prints (paths relative to the content root)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from content_cases import BASE, CASES, build_tree, case_names, check_lines, expected_lines

REPO = Path(__file__).resolve().parent.parent.parent


def test_base_content_has_no_problems(tmp_path: Path) -> None:
    assert check_lines(build_tree(None, tmp_path)) == []


def test_corpus_is_big_enough() -> None:
    assert len(case_names()) >= 20
    for name in case_names():
        assert (CASES / name / "expected.txt").is_file(), name
        assert expected_lines(name), f"{name}: expected.txt is empty"


@pytest.mark.parametrize("case", case_names())
def test_case_reports_exactly_the_expected_lines(case: str, tmp_path: Path) -> None:
    assert check_lines(build_tree(case, tmp_path)) == expected_lines(case)


def test_cases_change_only_what_they_need() -> None:
    """A case holds only files that differ from base (so a base edit shows up in every case)."""
    for name in case_names():
        for path in (CASES / name).rglob("*.yaml"):
            original = BASE / path.relative_to(CASES / name)
            if original.is_file():
                assert path.read_bytes() != original.read_bytes(), f"{name}: {path.name} = base"


def run_cli(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": "sqlite:///unused.sqlite3"}
    env.pop("CONTENT_ROOT", None)
    return subprocess.run([sys.executable, "-m", "bot", "content", "check", "--root", "."],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("case", "code"), [(None, 0), ("bad-date", 1), ("unreachable-node", 0)])
def test_cli_exit_codes(case: str | None, code: int, tmp_path: Path) -> None:
    result = run_cli(build_tree(case, tmp_path))
    assert result.returncode == code, result.stderr
    printed = [line for line in result.stdout.splitlines() if line.strip()]
    assert printed == (expected_lines(case) if case else [])
    if case is None:
        assert result.stderr.strip() == "content OK: 4 FAQ entries, 2 flows"
    elif code == 0:
        assert "0 error(s), 1 warning(s)" in result.stderr
    else:
        assert "1 error(s), 0 warning(s)" in result.stderr
    assert "Traceback" not in result.stderr
