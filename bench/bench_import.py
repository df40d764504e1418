"""What importing costs (issue 18): CPU seconds and resident memory of a fresh Python process
once it has imported aiogram, and once it has imported what `lotse run` imports, with aiogram's
models built on first use (bot/ops/lazy_models.py, as `lotse run` does) and without (aiogram
imported before `bot`, so the shim steps aside: the eager import, as before). Plain
`import aiogram` is the floor: what the echo bot pays. Median of `--runs` processes. Figures, not
tests.

Run: python -m bench.bench_import [--runs 3]"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOTSE = "import bot.channels.telegram.app, bot.cli, bot.core.content.loader, bot.storage.migrate"
CASES = {
    "import aiogram (the echo bot's floor)": "import aiogram",
    "import aiogram, shim": "import bot.ops.lazy_models, aiogram",
    "Lotse's imports, eager aiogram (before)": "import aiogram\n" + LOTSE,
    "Lotse's imports, shim (as lotse run)": LOTSE,
}
MEASURE = """
import time, warnings
warnings.simplefilter("ignore")
started = time.process_time()
{code}
cpu = time.process_time() - started
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(json.dumps([cpu, rss / 1024]))
"""


def once(code: str) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", "import json\n" + MEASURE.format(code=code)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    cpu, rss = json.loads(done.stdout)
    return cpu, rss


def run(runs: int = 3) -> dict[str, dict[str, float]]:
    figures = {}
    for name, code in CASES.items():
        found = [once(code) for _ in range(runs)]
        figures[name] = {"cpu_s": round(statistics.median(c for c, _ in found), 2),
                         "rss_mb": round(statistics.median(r for _, r in found))}
    return figures


def describe(figures: dict[str, dict[str, float]]) -> str:
    lines = [f"{'import, median of fresh processes':<42} {'CPU s':>6} {'RSS MB':>7}"]
    lines += [f"{name:<42} {f['cpu_s']:>6.2f} {f['rss_mb']:>7.0f}" for name, f in figures.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    print(describe(run(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
