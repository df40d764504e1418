"""Benchmark of the FAQ matcher: average milliseconds per `match` call, in ten languages.

Run: python bench/bench_matcher.py. Two corpora, both asked the 456 real questions of
tests/data/match_eval.yaml: the shipped content (its 20-odd entries), and a synthetic corpus of
2 000 entries generated from the shipped ones (each shipped entry copied with its question
variants in every language, a word of each variant swapped and a word added per copy, so the
copies are near neighbours of each other and of the original: the matcher's worst case).
Prints figures only; it never fails because a machine is slow.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.content.loader import load_or_raise, match_docs
from bot.core.content.model import Content
from bot.core.signals import Signals
from bot.core.match_eval import EvalCase, evaluate, load_eval_cases
from bot.core.matcher import MatchDoc, Matcher

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC_ENTRIES = 2_000
ROUNDS = 2
"""Each question is matched this many times; the figure is the average."""


@dataclass(frozen=True)
class MatcherFigures:
    corpus: str
    entries: int
    docs: int
    languages: int
    questions: int
    build_seconds: float
    index_mb: float
    """How much this process's resident memory grew while the index was built."""
    ms_per_question: float
    top1: float | None
    """Share of real questions answered with the expected entry first (shipped corpus only)."""


def synthetic_docs(shipped: list[MatchDoc], entries: int, rng: random.Random) -> list[MatchDoc]:
    """`entries` entries made from the shipped docs (see the module docstring)."""
    originals = sorted({doc.entry_id for doc in shipped})
    words: dict[str, list[str]] = {}
    for doc in shipped:
        words.setdefault(doc.lang, []).extend(doc.text.split())
    docs: list[MatchDoc] = []
    for number in range(entries):
        original = originals[number % len(originals)]
        entry_id = f"{original}~{number}"
        added = {lang: rng.choice(vocabulary) for lang, vocabulary in words.items()}
        for doc in shipped:
            if doc.entry_id != original:
                continue
            text = doc.text.split()
            text[rng.randrange(len(text))] = rng.choice(words[doc.lang])
            docs.append(MatchDoc(entry_id, doc.lang, " ".join([*text, added[doc.lang]])))
    return docs


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmRSS:")) / 1024


def measure(corpus: str, docs: list[MatchDoc], cases: list[EvalCase], mixed: tuple[str, ...],
            signals: Signals | None) -> MatcherFigures:
    """Build time, memory and time per question; with `signals`, also the share of cases
    right at once (as `lotse content eval` judges them)."""
    before = resident_mb()
    started = time.perf_counter()
    matcher = Matcher(docs, mixed_langs=mixed)
    built = time.perf_counter() - started
    grown = resident_mb() - before
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for case in cases:
            matcher.match(case.text, case.lang)
    per_question_ms = (time.perf_counter() - started) * 1000 / (ROUNDS * len(cases))
    return MatcherFigures(
        corpus, len({doc.entry_id for doc in docs}), len(docs), len({doc.lang for doc in docs}),
        len(cases), round(built, 2), round(grown, 1), round(per_question_ms, 3),
        evaluate(matcher, signals, cases).top1 if signals else None)


def run(content: Content | None = None) -> list[MatcherFigures]:
    """The shipped corpus and the synthetic one of SYNTHETIC_ENTRIES entries."""
    content = content or load_or_raise(REPO, REPO / "translations")
    cases = load_eval_cases(REPO / "tests" / "data" / "match_eval.yaml")
    shipped = match_docs(content.entries.values())
    mixed = (content.languages.default_language, "en")
    return [measure("shipped content", shipped, cases, mixed, content.signals),
            measure("synthetic, from the shipped entries",
                    synthetic_docs(shipped, SYNTHETIC_ENTRIES, random.Random(SYNTHETIC_ENTRIES)),
                    cases, mixed, None)]


def describe(figures: MatcherFigures) -> str:
    accuracy = f", top-1 {figures.top1:.1%}" if figures.top1 is not None else ""
    return (f"{figures.corpus}: {figures.entries} entries × {figures.languages} languages "
            f"({figures.docs} docs), index built in {figures.build_seconds:.2f} s "
            f"(+{figures.index_mb:.0f} MB), "
            f"{figures.ms_per_question:.3f} ms/question over {figures.questions} real "
            f"questions{accuracy}")


if __name__ == "__main__":
    for result in run():
        print(describe(result))
