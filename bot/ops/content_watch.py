"""Noticing edits under CONTENT_ROOT/faq and /flows by polling the files' modification times.

Polling every second or two costs a few hundred `stat` calls, needs no dependency and works on
every filesystem (network shares and bind mounts included, where inotify events often never
arrive). A change counts once the files have stopped changing for one interval, so that an editor
saving several files, or writing one in several steps, causes one reload."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

WATCHED = ("faq", "flows")
Snapshot = dict[str, tuple[int, int, int]]
"""Each watched file's (modification time in ns, size, inode)."""


def snapshot(root: Path) -> Snapshot:
    found: Snapshot = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*.yaml"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted while we looked
                continue
            found[str(path)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


async def changes(root: Path, interval: float) -> AsyncIterator[None]:
    """Yields each time the content files changed and then stayed unchanged for `interval`."""
    seen = await asyncio.to_thread(snapshot, root)
    while True:
        await asyncio.sleep(interval)
        now = await asyncio.to_thread(snapshot, root)
        if now == seen:
            continue
        while True:  # wait until the writing is over
            seen = now
            await asyncio.sleep(interval)
            now = await asyncio.to_thread(snapshot, root)
            if now == seen:
                break
        yield
