"""The benchmark suite's code works: a handful of scripted people for a few seconds against the
echo bot and the real bot on SQLite. Only that figures come out; never how good they are."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench import bench_matcher
from bench.run import table
from bench.suite import QUICK, Backend, run_backend
from bot.core.content.loader import match_docs
from bot.core.content.model import Content


@pytest.mark.e2e  # the real bot and an echo bot under load, seconds
async def test_the_load_generator_measures_every_figure(shipped_content: Content,
                                                        tmp_path: Path) -> None:
    figures = await run_backend(Backend("sqlite"), QUICK, shipped_content,
                                progress=lambda line: None)
    assert figures.failed_calls == 0
    assert figures.echo_updates_per_second > 0 and figures.lotse_updates_per_second > 0
    assert figures.lotse is not None and figures.lotse.bot_cpu_ms > 0
    [latency] = figures.latency
    assert latency.people == 4 and latency.replies > 0 and latency.lost == 0
    assert 0 < latency.p50_ms <= latency.p95_ms <= latency.p99_ms
    assert len(figures.handoff_from_consent_s) == 1
    assert 0 < figures.handoff_from_send_s[0] < figures.handoff_from_consent_s[0]
    assert figures.people_with_state == 20
    assert figures.echo_rss_mb > 0 and figures.rss_idle_mb > 0 and figures.rss_with_state_mb > 0
    matcher = bench_matcher.MatcherFigures("shipped content", 21, 3000, 10, 456, 0.1, 5.0,
                                           bench_matcher.Timing(0.5, 0.4, 2.5), 0.97)
    shown = table([figures], [matcher], QUICK, start={"echo": 2.0, "lotse, cache": 3.5})
    assert "throughput ratio Lotse / echo" in shown and "p99 at 4 people" in shown
    assert "CPU per update, Lotse ÷ echo bot" in shown
    assert "cold start to the first answer (lotse, cache), s" in shown
    assert "0.50 / 2.50" in shown  # the matcher's mean / p99
    assert json.loads(json.dumps(figures.to_json()))["throughput_ratio"] > 0


def test_understanding_is_timed_in_every_pass(shipped_content: Content) -> None:
    figures = bench_matcher.understand(content=shipped_content, limit=50)
    assert figures.questions == 50 and figures.load_seconds is None
    assert set(figures.timings) == set(bench_matcher.PASSES)
    for steps in figures.timings.values():
        assert set(steps) == set(bench_matcher.STEPS)
        assert all(0 <= t.p50_ms <= t.p99_ms for t in steps.values())
    assert "both" in bench_matcher.describe_understanding(figures)
    assert "understanding a text (both)" in table([], [], QUICK, understanding=figures)


def test_synthetic_corpus_is_made_of_the_shipped_entries(shipped_content: Content) -> None:
    shipped = match_docs(shipped_content.entries.values())
    docs = bench_matcher.synthetic_docs(shipped, 50, random.Random(1))
    assert len({doc.entry_id for doc in docs}) == 50
    assert {doc.lang for doc in docs} == {doc.lang for doc in shipped}
    assert {doc.entry_id.split("~")[0] for doc in docs} <= {doc.entry_id for doc in shipped}


@pytest.mark.e2e  # the real bot, a cold start and two intakes
async def test_the_translation_bench_measures_both_directions_with_and_without() -> None:
    from bench import bench_translation

    figures = await bench_translation.measure(rounds=2)
    assert set(figures) == {f"{d}, {lang}" for d in ("person → topic", "counsellor → person")
                            for lang in ("ar", "uk")}
    assert all(0 < f["p50"] <= f["p90"] for f in figures.values())
    assert "added by translation, person → topic" in bench_translation.describe(figures)
