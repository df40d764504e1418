"""The Makefile: its `catalogs` target, as `make run` and `make setup` use it (the real `make`
and `pybabel` on a copy of the Makefile and the catalogs, with a virtualenv folder whose pybabel
is this one, so that nothing is installed); `make` alone; and the messages of a setup that cannot
work (a Python without venv's pip, apt-get that cannot download), with stand-ins for the Debian
Python and apt-get that fail as those do."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import REPO_ROOT

MAKE = shutil.which("make") or "make"
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


def make(checkout: Path, *targets: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`make TARGETS` (default: catalogs) in `checkout`; `variables` replace the environment's."""
    env = {**os.environ, **variables}
    return subprocess.run([MAKE, "--no-print-directory", *(targets or ("catalogs",))],
                          cwd=checkout, capture_output=True, text=True, timeout=120, env=env)


def script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return path


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


def test_make_alone_prints_the_targets_and_starts_nothing(checkout: Path) -> None:
    plan = subprocess.run(["make", "--no-print-directory", "--dry-run"], cwd=checkout,
                          capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    assert lines and all(line.startswith("echo ") for line in lines), lines  # no other recipe
    alone = subprocess.run(["make", "--no-print-directory"], cwd=checkout,
                           capture_output=True, text=True, timeout=60)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.startswith("make run ")
    assert {"make check", "make test", "make setup"} <= {
        " ".join(line.split()[:2]) for line in alone.stdout.splitlines()}


def test_a_python_without_venvs_pip_is_named_and_leaves_no_half_made_venv(
        tmp_path: Path) -> None:
    """Debian's python3 without python3-venv creates .venv/bin/python, then fails in ensurepip;
    the next `make` used to skip the venv and fail with "No module named pip"."""
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    debian_python = script(tmp_path / "python3", f"""\
mkdir -p "$3/bin" && ln -sf {sys.executable} "$3/bin/python"
echo "The virtual environment was not created successfully because ensurepip is not"
echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv"
echo "package using the following command."
exit 1
""")
    for _ in range(2):
        failed = make(tmp_path, "setup", PYTHON=str(debian_python))
        assert failed.returncode != 0
        assert "sudo apt-get install python3-venv" in failed.stderr
        assert "No module named pip" not in failed.stdout + failed.stderr
        assert not (tmp_path / ".venv").exists()


def apt_world(tmp_path: Path, uid: int) -> dict[str, str]:
    """A PATH without redis-server, chromium and zbarimg (so `make services` wants them), with
    `id` saying `uid` and an apt-get that cannot reach its mirror, as when offline."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("grep", "ldconfig", "ls", "mktemp", "tail", "rm", "cat", "mkdir"):
        found = shutil.which(tool, path=os.defpath + ":/sbin:/usr/sbin")
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    script(bin_dir / "id", f"echo {uid}\n")
    script(bin_dir / "apt-get", """\
case "$*" in *update*) echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  \
Temporary failure resolving 'deb.debian.org'"; exit 0;; esac
echo "E: Unable to locate package redis-server"
exit 100
""")
    return {"PATH": str(bin_dir)}


def test_a_failed_apt_download_is_named_as_such(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    failed = make(tmp_path, "services", **apt_world(tmp_path, 0))
    assert failed.returncode != 0
    assert "apt-get could not install redis-server chromium zbar-tools" in failed.stderr
    assert "Temporary failure resolving 'deb.debian.org'" in failed.stderr  # the real cause
    assert "needs root" not in failed.stderr


def test_installing_without_root_says_so(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    failed = make(tmp_path, "services", **apt_world(tmp_path, 1000))
    assert failed.returncode != 0
    assert "installing them needs root: sudo apt-get install redis-server" in failed.stderr
