"""The running instance's pid file, so that `lotse content reload` can send it SIGHUP.

The running `lotse run` keeps an exclusive lock on the file for as long as it lives; a file that
nobody holds locked is left over from an instance that is gone, and its pid is never signalled
(it may belong to another process by now)."""
from __future__ import annotations

import fcntl
import logging
import os
import signal
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


def lock_exclusively(path: Path, *, wait: bool = False) -> IO[str] | None:
    """Open `path` (and its folder) and take an exclusive lock on it: the open file, which holds
    the lock until it is closed, or None when another process holds it (with `wait`: once the
    other one let it go, blocking the thread meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class PidFile:
    """Written and locked while the instance runs; `release` unlocks and removes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def hold(self) -> bool:
        """Write our pid and lock the file; False (and nothing written) when another running
        instance holds it."""
        handle = lock_exclusively(self.path)
        if handle is None:
            log.warning("pid file %s is held by another running instance", self.path)
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is None:
            return
        self.path.unlink(missing_ok=True)
        self._file.close()  # closing drops the lock
        self._file = None


def running_pid(path: Path) -> int | None:
    """The pid of the instance holding `path`, or None when no running instance holds it."""
    try:
        handle = path.open()
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else None
        return None  # we got the lock: nobody runs


def signal_reload(path: Path) -> int | None:
    """Send SIGHUP to the running instance; its pid, or None when none runs."""
    pid = running_pid(path)
    if pid is not None:
        os.kill(pid, signal.SIGHUP)
    return pid
