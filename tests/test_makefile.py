"""The Makefile's `catalogs` target, as `make run` and `make setup` use it: the real `make` and
`pybabel` on a copy of the Makefile and the catalogs, with a virtualenv folder whose pybabel is
this one (so that nothing is installed)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import REPO_ROOT

LANGS = sorted(p.name for p in (REPO_ROOT / "translations").iterdir() if p.is_dir())


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    for lang in LANGS:
        folder = tmp_path / "translations" / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "translations" / lang / "LC_MESSAGES" / "lotse.po", folder)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pybabel").symlink_to(Path(sys.executable).parent / "pybabel")
    (tmp_path / ".venv" / ".installed-stamp").touch()
    hour_ago = time.time() - 3600  # the copies older than the stamp (no install) and the .mo files
    for copy in [tmp_path / "pyproject.toml", *tmp_path.glob("translations/*/LC_MESSAGES/*.po")]:
        os.utime(copy, (hour_ago, hour_ago))
    return tmp_path


def make(checkout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", "catalogs"], cwd=checkout,
                          capture_output=True, text=True, timeout=120)


def edited_after_its_compile(checkout: Path, lang: str) -> None:
    """Date the catalog's .mo back and its .po between the two, both in the past: a .po dated
    into the future would make `make` warn of clock skew."""
    folder = checkout / "translations" / lang / "LC_MESSAGES"
    earlier = (folder / "lotse.mo").stat().st_mtime_ns - 20 * 10**9
    os.utime(folder / "lotse.mo", ns=(earlier, earlier))
    os.utime(folder / "lotse.po", ns=(earlier + 10**10, earlier + 10**10))


def compiled(checkout: Path) -> dict[str, int]:
    return {lang: (checkout / "translations" / lang / "LC_MESSAGES" / "lotse.mo").stat().st_mtime_ns
            for lang in LANGS}


def test_catalogs_compile_quietly_and_only_when_changed(checkout: Path) -> None:
    first = make(checkout)
    assert first.returncode == 0, first.stderr
    assert first.stdout == first.stderr == ""  # was twenty lines on every `make run`
    built = compiled(checkout)
    assert len(built) == 10

    again = make(checkout)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert compiled(checkout) == built  # nothing changed, nothing compiled

    po = checkout / "translations" / "de" / "LC_MESSAGES" / "lotse.po"
    po.write_text(po.read_text(encoding="utf-8"), encoding="utf-8")
    edited_after_its_compile(checkout, "de")  # whatever the clock's resolution
    changed = make(checkout)
    assert (changed.returncode, changed.stdout, changed.stderr) == (0, "", "")
    now = compiled(checkout)
    assert now["de"] >= built["de"]  # compiled again, not the back-dated file
    assert {lang: t for lang, t in now.items() if lang != "de"} == \
        {lang: t for lang, t in built.items() if lang != "de"}


def test_a_broken_catalog_stops_make_and_is_named(checkout: Path) -> None:
    assert make(checkout).returncode == 0
    po = checkout / "translations" / "tr" / "LC_MESSAGES" / "lotse.po"
    po.write_text(po.read_text(encoding="utf-8") +
                  '\nmsgid "Only %(count)s left"\nmsgstr "Nur %(anzahl)s übrig"\n',
                  encoding="utf-8")
    edited_after_its_compile(checkout, "tr")
    broken = make(checkout)
    assert broken.returncode != 0
    assert "translations/tr/LC_MESSAGES/lotse.po" in broken.stdout + broken.stderr
    assert "unknown named placeholder 'anzahl'" in broken.stdout + broken.stderr
