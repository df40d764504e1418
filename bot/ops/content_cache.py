"""The loaded content kept on disk, so that a start with unchanged content and code skips the
seconds of parsing, checking and indexing (`lotse run`'s cold start, issue 18).

A file holds what `load` returned — the `Content` (without its interface catalogs, which are
opened afresh) and the problems — under a key that covers everything the result depends on:
every file under the content root's faq/ and flows/ (path and bytes), the code of `bot/core`, the
Python and library versions, the languages that have interface catalogs, the RETENTION_DAYS
setting and today's date (the freshness checks count days). A file under another key is never used, so an edit anywhere loads afresh.

The file is a pickle: reading one runs code, like reading a `.pyc`. So it is written only by
this process's user, into a folder of its own (0700) as a file only that user may read or write
(0600), and a file owned by anyone else or writable by others is ignored and replaced. It holds
content only, never what people write. At most `KEEP` files stay; the oldest go."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import bot.core
from bot.core.content.loader import load
from bot.core.content.model import Content
from bot.core.content.problems import Problem
from bot.core.i18n import Catalogs

log = logging.getLogger(__name__)

FORMAT = b"lotse-content-cache 1"
KEEP = 4
"""Cache files kept (content versions, roots); tests switch between a few roots."""
LIBRARIES = ("pydantic", "rapidfuzz", "PyStemmer", "ruamel.yaml", "Babel")
CODE = Path(bot.core.__file__).parent


def key(root: Path, ui_dir: Path, retention_days: int, today: dt.date | None = None) -> str:
    """The hex digest that names what `load(root, ui_dir, retention_days)` would return today."""
    digest = hashlib.sha256(FORMAT)
    digest.update(f"\0{sys.version}\0{retention_days}\0{today or dt.date.today()}\0".encode())
    digest.update(" ".join(Catalogs(ui_dir).languages()).encode() + b"\0")  # checked by load
    for name in LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}\0".encode())
    for base, folder in ((CODE, CODE), (root, root / "faq"), (root, root / "flows")):
        for path in sorted(folder.rglob("*.py" if base is CODE else "*")):
            if path.is_file():
                digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    digest.update(str(root).encode())
    return digest.hexdigest()


def cached_load(root: Path, ui_dir: Path, retention_days: int,
                folder: Path | None) -> tuple[Content | None, list[Problem]]:
    """`load(root, ui_dir, retention_days)`, from `folder`'s file when it holds this key (None:
    no cache, always load). A missing, foreign or unreadable file means loading afresh."""
    if folder is None:
        return load(root, ui_dir, retention_days)
    name = key(root, ui_dir, retention_days)
    path = folder / f"content-{name[:32]}.pickle"
    kept = _read(path, name)
    if kept is not None:
        content, problems = kept
        return (dataclasses.replace(content, ui=Catalogs(ui_dir)) if content else None), problems
    content, problems = load(root, ui_dir, retention_days)
    _write(folder, path, name, content, problems)
    return content, problems


def _read(path: Path, name: str) -> tuple[Content | None, list[Problem]] | None:
    try:
        with path.open("rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                log.warning("content cache %s is not this user's own file; ignored", path)
                return None
            stored, result = pickle.load(file)  # our own file, checked above
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 -- any unreadable file only means loading afresh
        log.warning("content cache %s unreadable, loading afresh (%s)", path, type(exc).__name__)
        return None
    return result if stored == name else None


def _write(folder: Path, path: Path, name: str, content: Content | None,
           problems: list[Problem]) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".content-", delete=False) as file:
            try:
                pickle.dump((name, (content, problems)), file, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                os.unlink(file.name)
                raise
        os.replace(file.name, path)  # NamedTemporaryFile's file is 0600
        for old in sorted(folder.glob("content-*.pickle"), key=lambda p: p.stat().st_mtime,
                          reverse=True)[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("content cache %s not written (%s)", path, type(exc).__name__)
