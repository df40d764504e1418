"""Benchmark of the optional semantic layer: the latency `Semantic.scores` adds to each question,
beside the lexical matcher's own time measured in the same run.

Run: python bench/bench_semantic.py. The fake embeddings server (tests/fake_embeddings.py) runs as
its own process on loopback with 1 024-dimensional vectors (as bge-m3 and multilingual-e5-large
give); every doc of the shipped content is embedded through it (`prepare`, batches of 64, no cache
file), then each of the 456 real questions of tests/data/match_eval.yaml goes once through
`Matcher.match` and once through `Semantic.scores` (one HTTP request, JSON of 1 024 floats back,
the cosine against every doc, the best per entry). A real model adds its own inference time on
top (a few ms per short question on a GPU, tens of ms on a CPU): the figure here is the floor,
what Lotse itself adds. Prints figures only; it never fails because a machine is slow.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.core.content.loader import load_or_raise, match_docs
from bot.core.content.model import Content
from bot.core.match_eval import load_eval_cases
from bot.core.matcher import Matcher
from bot.semantic.embeddings import EmbeddingsClient
from bot.semantic.layer import Semantic
from tests.fake_embeddings import running_fake_embeddings

REPO = Path(__file__).resolve().parent.parent
DIMS = 1_024
WARMUP = 20
"""Questions asked first and not counted (connection set up, caches warm)."""


@dataclass(frozen=True)
class SemanticFigures:
    entries: int
    docs: int
    dims: int
    questions: int
    prepare_seconds: float
    """Embedding every doc text through the fake, from nothing."""
    scores_p50_ms: float
    scores_p95_ms: float
    scores_mean_ms: float
    matcher_p50_ms: float
    matcher_p95_ms: float
    matcher_mean_ms: float
    cosine_ms: float
    """Of scores(): the cosine against every doc and the best per entry alone (numpy)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    """How the scores() calls ended: ok, or None (timeout, error) with EMBEDDINGS_TIMEOUT."""


def percentile(values: list[float], share: float) -> float:
    """Nearest rank, as bench/load.py."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


async def measure(content: Content, url: str, questions: int | None, dims: int) -> SemanticFigures:
    cases = load_eval_cases(REPO / "tests" / "data" / "match_eval.yaml")[:questions]
    docs = match_docs(content.entries.values())
    matcher = Matcher(docs, mixed_langs=(content.languages.default_language, "en"))
    timeout = Settings.model_fields["EMBEDDINGS_TIMEOUT"].default
    semantic = Semantic(EmbeddingsClient(url, "fake-embed"), timeout=timeout)
    try:
        started = time.perf_counter()
        await semantic.prepare(content.version, docs)
        prepared = time.perf_counter() - started
        for case in cases[:WARMUP]:
            await semantic.scores(case.text)
        lexical: list[float] = []
        semantical: list[float] = []
        outcomes: Counter[str] = Counter()
        for case in cases:
            started = time.perf_counter()
            matcher.match(case.text, case.lang)
            lexical.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            scores = await semantic.scores(case.text)
            semantical.append((time.perf_counter() - started) * 1000)
            outcomes["ok" if scores is not None else "none"] += 1
    finally:
        await semantic.close()
    return SemanticFigures(
        len(content.entries), len(docs), dims, len(cases), round(prepared, 2),
        *(round(f, 3) for f in (percentile(semantical, 0.5), percentile(semantical, 0.95),
                                sum(semantical) / len(semantical), percentile(lexical, 0.5),
                                percentile(lexical, 0.95), sum(lexical) / len(lexical))),
        cosine_ms(len(docs), dims, len(content.entries)), outcomes=dict(outcomes))


def cosine_ms(docs: int, dims: int, entries: int, rounds: int = 200) -> float:
    """What scores() computes in Lotse's process, on a matrix of the index's shape."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((docs, dims), dtype=np.float32)
    vector = rng.standard_normal(dims, dtype=np.float32)
    starts = np.linspace(0, docs, entries, endpoint=False).astype(np.intp)
    started = time.perf_counter()
    for _ in range(rounds):
        np.maximum.reduceat(matrix @ vector, starts).tolist()
    return round((time.perf_counter() - started) * 1000 / rounds, 3)


def run(content: Content | None = None, *, questions: int | None = None,
        dims: int = DIMS) -> SemanticFigures:
    """The shipped content against the fake in its own process; `questions`: only the first."""
    content = content or load_or_raise(REPO, REPO / "translations")
    with running_fake_embeddings(dims=dims) as url:
        return asyncio.run(measure(content, url, questions, dims))


def describe(figures: SemanticFigures) -> str:
    return (f"semantic layer, {figures.entries} entries ({figures.docs} docs × {figures.dims} "
            f"dims, embedded in {figures.prepare_seconds:.1f} s): scores() adds "
            f"{figures.scores_p50_ms:.2f} / {figures.scores_p95_ms:.2f} ms p50 / p95 (mean "
            f"{figures.scores_mean_ms:.2f}) per question against the fake server, of which "
            f"{figures.cosine_ms:.2f} ms the cosine; the lexical "
            f"matcher in the same run {figures.matcher_p50_ms:.2f} / "
            f"{figures.matcher_p95_ms:.2f} ms (mean {figures.matcher_mean_ms:.2f}), over "
            f"{figures.questions} real questions; outcomes {figures.outcomes}")


if __name__ == "__main__":
    print(describe(run()))
