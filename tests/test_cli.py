"""The `lotse` command as a shell runs it: `lotse … | head` ends quietly when the reader stops."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("arguments", [["--help"], ["db", "current"]])
def test_a_pipe_closed_early_ends_without_a_traceback(tmp_path: Path,
                                                      arguments: list[str]) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # the reader is gone before the first line, as `head -0` would be
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *arguments], cwd=tmp_path, stdout=writing,
            stderr=subprocess.PIPE, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}"})
    finally:
        os.close(writing)
    assert result.stderr == ""  # was a BrokenPipeError's traceback or "Exception ignored"
    assert result.returncode == 128 + signal.SIGPIPE
