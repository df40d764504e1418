"""`lotse` under cProfile, switched on and off by signals, to see where a running bot spends its
CPU under load (py-spy is not available here): SIGUSR1 starts profiling, SIGUSR2 stops it and
writes the statistics to the file given first.

Run: python bench/profiled_bot.py /tmp/bot.prof run   (then: python -m pstats /tmp/bot.prof)"""
from __future__ import annotations

import cProfile
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import main

profile = cProfile.Profile()


def stop_and_write(*_: object) -> None:
    profile.disable()
    profile.dump_stats(target)


if __name__ == "__main__":
    target = sys.argv.pop(1)
    signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
    signal.signal(signal.SIGUSR2, stop_and_write)
    raise SystemExit(main(sys.argv[1:]))
