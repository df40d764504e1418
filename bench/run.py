"""`make bench`: the whole benchmark suite. The load generator (bench/suite.py) on SQLite and on
PostgreSQL+Redis (real servers, started here as the tests start theirs), the matcher
(bench/bench_matcher.py: crisis signals and matcher per text, and the matcher's index on two
corpora), the optional semantic layer (bench/bench_semantic.py), what importing costs
(bench/bench_import.py) and the cold start to the first answer (bench/bench_start.py). Prints a
table with the targets and writes the figures as JSON.

Run: python -m bench.run [--json bench/results/latest.json] [--people-with-state N]
Figures, not tests: nothing fails because the machine is slow; see BENCHMARKS.md."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bench_import, bench_matcher, bench_semantic, bench_start
from bench.suite import Backend, BackendFigures, Plan, run_backend
from bot.core.content.loader import load_or_raise
from tests.servers import running_postgres, running_redis

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "bench" / "results" / "latest.json"


def machine() -> dict[str, Any]:
    """What the figures came from."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal:"))
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(memory_kib / 2**20, 1),
            "python": platform.python_version(), "system": platform.platform(),
            "commit": commit or None,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average_at_start": [round(n, 2) for n in os.getloadavg()]}


Row = tuple[str, str, Callable[[BackendFigures], str]]


def latency_rows(levels: tuple[int, ...]) -> list[Row]:
    def at(level: int, name: str) -> Callable[[BackendFigures], str]:
        return lambda f: next((f"{getattr(x, name):.0f}" for x in f.latency if x.people == level),
                              "–")
    rows: list[Row] = []
    for level in levels:
        rows += [(f"reply latency p50 / p95 at {level} people, ms", "", lambda f, level=level: (
                     f"{at(level, 'p50_ms')(f)} / {at(level, 'p95_ms')(f)}")),
                 (f"reply latency p99 at {level} people, ms", "< 50" if level == 200 else "",
                  at(level, "p99_ms"))]
    return rows


def table(figures: list[BackendFigures], matcher: list[bench_matcher.MatcherFigures],
          plan: Plan, semantic: bench_semantic.SemanticFigures | None = None,
          understanding: bench_matcher.UnderstandingFigures | None = None,
          start: dict[str, float] | None = None) -> str:
    rows: list[Row] = [
        ("updates/s, echo bot (the floor)", "", lambda f: f"{f.echo_updates_per_second:.0f}"),
        ("updates/s, Lotse", "", lambda f: f"{f.lotse_updates_per_second:.0f}"),
        ("throughput ratio Lotse / echo", "≥ 0.25", lambda f: f"{f.throughput_ratio:.2f}"),
        ("CPU ms per update, echo bot / its generator", "", lambda f: "–" if f.echo is None
         else f"{f.echo.bot_cpu_ms:.1f} / {f.echo.generator_cpu_ms:.1f}"),
        ("CPU ms per update, Lotse / its generator", "", lambda f: "–" if f.lotse is None
         else f"{f.lotse.bot_cpu_ms:.1f} / {f.lotse.generator_cpu_ms:.1f}"),
        ("CPU per update, Lotse ÷ echo bot", "≤ 4", lambda f: "–" if f.lotse is None or
         f.echo is None else f"{f.lotse.bot_cpu_ms / f.echo.bot_cpu_ms:.1f}"),
        *latency_rows(plan.latency_levels),
        ("resident memory, echo bot (aiogram alone), MB", "", lambda f: f"{f.echo_rss_mb:.0f}"),
        ("resident memory, Lotse started, MB", "", lambda f: f"{f.rss_idle_mb:.0f}"),
        (f"resident memory, + {plan.people_with_state:,} people with state, MB", "≤ 150",
         lambda f: f"{f.rss_with_state_mb:.0f}"),
        ("  Redis used_memory then, MB", "", lambda f: "–" if f.redis_with_state_mb is None
         else f"{f.redis_with_state_mb:.0f}"),
        (f"  time to set up the {plan.people_with_state:,} people, s", "",
         lambda f: f"{f.state_setup_s:.0f}"),
        ("consent → case note, median s", "",
         lambda f: f"{f.handoff_from_consent_median_s:.2f}"),
        ("'Send' → case note, median s", "", lambda f: f"{f.handoff_from_send_median_s:.2f}"),
        ("no answer in 60 s: questions / handoffs / people set up", "0 / 0 / 0",
         lambda f: f"{sum(x.lost for x in f.latency)} / {f.handoffs_lost} / "
                   f"{f.people_without_state}"),
        ("calls the fake rejected", "0", lambda f: str(f.failed_calls)),
    ]
    header = ("figure", "target", *(f.backend for f in figures))
    body = [(name, target, *(show(f) for f in figures)) for name, target, show in rows]
    for result in matcher:  # the same in every column: the matcher runs in this process
        timing = f"{result.per_question.mean_ms:.2f} / {result.per_question.p99_ms:.2f}"
        body += [(f"matcher, {result.entries:,} entries ({result.corpus}), ms/question, "
                  "mean / p99", "< 2" if result.entries >= 2000 else "",
                  *([timing] * len(figures))),
                 ("  its index in memory, MB", "≤ 100" if result.entries >= 2000 else "",
                  *([f"{result.index_mb:.0f}"] * len(figures))),
                 ("  its build time, s", "", *([f"{result.build_seconds:.1f}"] * len(figures)))]
    if understanding is not None:  # the same in every column too: it runs in this process
        for name, steps in understanding.timings.items():
            body += [(f"understanding a text ({step}), {name}, mean / p50 / p99 CPU ms",
                      f"< {bench_matcher.TARGET_MS:g}" if step == "both" else "",
                      *([str(timing)] * len(figures))) for step, timing in steps.items()]
        body += [("  floor: normalize + split, mean / p50 / p99 CPU ms", "",
                  *([str(understanding.floor)] * len(figures))),
                 ("  content loaded in, CPU s", "",
                  *([f"{understanding.load_seconds}"] * len(figures)))]
    for name, seconds in (start or {}).items():  # the same in every column: SQLite, alone
        body.append((f"cold start to the first answer ({name}), s",
                     f"≤ {bench_start.TARGET_S:g}" if name.startswith("lotse") else "",
                     *([f"{seconds:.2f}"] * len(figures))))
    if semantic is not None:  # the same in every column too: it runs in this process
        added = f"{semantic.scores_p50_ms:.2f} / {semantic.scores_p95_ms:.2f}"
        lexical = f"{semantic.matcher_p50_ms:.2f} / {semantic.matcher_p95_ms:.2f}"
        body += [(f"semantic layer ({semantic.docs:,} docs × {semantic.dims}, fake server), "
                  + "scores() adds p50 / p95, ms", "", *([added] * len(figures))),
                 ("  lexical matcher in the same run, p50 / p95, ms", "",
                  *([lexical] * len(figures)))]
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(w) for cell, w in zip(row, widths)) for row in
             [header, tuple("-" * w for w in widths), *body]]
    return "\n".join(lines)


async def measure(plan: Plan, backends: list[str]) -> list[BackendFigures]:
    content = load_or_raise(REPO, REPO / "translations")
    figures = []
    if "sqlite" in backends:
        figures.append(await run_backend(Backend("sqlite"), plan, content))
    if "postgres+redis" in backends:
        with tempfile.TemporaryDirectory(prefix="lotse-bench-redis-") as folder, \
                running_postgres() as postgres, running_redis(Path(folder)) as redis_url:
            figures.append(await run_backend(Backend("postgres+redis", postgres, redis_url),
                                             plan, content))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the figures go")
    parser.add_argument("--people-with-state", type=int, default=Plan.people_with_state)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgres+redis"),
                        help="only this backend (repeatable); default both")
    args = parser.parse_args(argv)
    plan = dataclasses.replace(Plan(), people_with_state=args.people_with_state)
    started = time.monotonic()
    about = machine()
    understanding = bench_matcher.understand()
    print(bench_matcher.describe_understanding(understanding), flush=True)
    matcher = bench_matcher.run()
    for result in matcher:
        print(bench_matcher.describe(result), flush=True)
    semantic = bench_semantic.run()
    print(bench_semantic.describe(semantic), flush=True)
    imports = bench_import.run()
    print(bench_import.describe(imports), flush=True)
    start = bench_start.run()
    print(bench_start.describe(start), flush=True)
    figures = asyncio.run(measure(plan, args.backend or ["sqlite", "postgres+redis"]))
    about["load_average_at_end"] = [round(n, 2) for n in os.getloadavg()]
    about["suite_minutes"] = round((time.monotonic() - started) / 60, 1)
    print()
    print(table(figures, matcher, plan, semantic, understanding, start))
    print(f"\n{about['cpu']}, {about['cores']} cores, {about['ram_gb']} GB, Python "
          f"{about['python']}, {about['date']}, load average {about['load_average_at_start']} "
          f"→ {about['load_average_at_end']}, {about['suite_minutes']} min")
    report = {"machine": about, "plan": dataclasses.asdict(plan),
              "backends": [f.to_json() for f in figures],
              "matcher": [dataclasses.asdict(m) for m in matcher],
              "understanding": dataclasses.asdict(understanding),
              "semantic": dataclasses.asdict(semantic), "imports": imports,
              "start_s": start}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
