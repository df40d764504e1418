"""The content-check corpus in tests/data/content_check: a valid base tree and broken cases.

Each case folder holds only the files that differ from base, `expected.txt` (the exact lines the
checker prints) and optionally `DELETE` (paths of base files to remove, one a line)."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = DATA / "content_check"
BASE = CORPUS / "base"
CASES = CORPUS / "cases"
CASE_META = ("expected.txt", "DELETE")
UI_DIR = Path(__file__).resolve().parent.parent.parent / "translations"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def build_tree(case: str | None, into: Path) -> Path:
    """base, with the case's files laid over it, copied to `into`/content."""
    root = into / "content"
    shutil.copytree(BASE, root)
    if case is None:
        return root
    folder = CASES / case
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_dir() or str(rel) in CASE_META:
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    delete = folder / "DELETE"
    if delete.is_file():
        for line in delete.read_text(encoding="utf-8").splitlines():
            target = root / line.strip()
            if line.strip() and target.is_dir():
                shutil.rmtree(target)
            elif line.strip():
                target.unlink()
    return root


def expected_lines(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def check_lines(root: Path) -> list[str]:
    """What `lotse content check` prints for `root`, one line per problem (cwd = root)."""
    from bot.core.content.loader import load

    with working_directory(root):
        _, problems = load(Path("."), UI_DIR)
    return [str(p) for p in problems]
