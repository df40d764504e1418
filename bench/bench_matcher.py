"""Benchmark of understanding a text: crisis signals and the FAQ matcher, in ten languages.

Run: python bench/bench_matcher.py [--root CONTENT_ROOT]. Everything is asked the real messages of
tests/data/match_eval.yaml.

Understanding (`understand`): the shipped content loaded as the bot loads it (`load_or_raise`,
timed), then per message `content.signals.read(text)` and `content.matcher.match(text, lang)`, each
timed, in three passes: the first pass straight after the load (a word costs the phrase sets'
per-word caches a miss the first time it is seen), a second pass (warm: every word seen before),
and a pass with a made-up word appended to each message (warm caches but one word never seen:
what a new word costs). Beside them a floor measured in the same run, `normalize(text).split()`
per message, so that a slow or busy machine shows.

Matcher corpora (`run`): the shipped content's docs and a synthetic corpus of 2 000 entries
generated from them (each shipped entry copied with its question variants in every language, a word
of each variant swapped and a word added per copy, so the copies are near neighbours of each other
and of the original: the matcher's worst case), both with the content's concepts; build time,
index memory and the time of `match` (mean, p50, p99).
Prints figures only; it never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.content.loader import load_or_raise, match_docs, parse_folder
from bot.core.content.model import Content
from bot.core.content.phrase_lists import concept_phrases
from bot.core.match_eval import EvalCase, evaluate, load_eval_cases
from bot.core.matcher import MatchDoc, Matcher
from bot.core.normalize import normalize
from bot.core.phrases import PhraseSet
from bot.core.signals import Signals

REPO = Path(__file__).resolve().parent.parent
EVAL_CASES = REPO / "tests" / "data" / "match_eval.yaml"
SYNTHETIC_ENTRIES = 2_000
ROUNDS = 2
"""Each question is matched this many times; the figure is the average."""
TARGET_MS = 2.0
"""Understanding a text (signals and matcher together) should take less, without the semantic
layer."""
PASSES = ("first pass after the load", "warm (second pass)", "one unseen word appended")
STEPS = ("signals.read", "matcher.match", "both")


@dataclass(frozen=True)
class Timing:
    """CPU milliseconds per message: the mean and, by nearest rank, the median and the 99th
    percentile."""

    mean_ms: float
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        ordered = sorted(seconds)
        def rank(q: float) -> float:
            return 1000 * ordered[max(0, math.ceil(q * len(ordered)) - 1)]
        return cls(round(1000 * math.fsum(ordered) / len(ordered), 3), round(rank(0.5), 3),
                   round(rank(0.99), 3))

    def __str__(self) -> str:
        return f"{self.mean_ms:.3f} / {self.p50_ms:.3f} / {self.p99_ms:.3f}"


@dataclass(frozen=True)
class UnderstandingFigures:
    questions: int
    load_seconds: float | None
    """CPU seconds of `load_or_raise` of the content folder (None when the content was handed
    in)."""
    floor: Timing
    """`normalize(text).split()` per message, in the same run."""
    timings: dict[str, dict[str, Timing]]
    """Per pass (`PASSES`), per step (`STEPS`)."""


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
    per_question: Timing
    """Wall milliseconds of one `match`, over ROUNDS passes of the real questions."""
    top1: float | None
    """Share of real questions answered with the expected entry first (shipped corpus only)."""


def made_up_word(text: str, seen: set[str], rng: random.Random) -> str:
    """Eight letters of the message's own (so of its script), a word no message has."""
    letters = [c for c in normalize(text) if c.isalpha()] or ["x"]
    while True:
        word = "".join(rng.choice(letters) for _ in range(8))
        if word not in seen:
            seen.add(word)
            return word


def _timed(step: Callable[..., object], *args: str) -> float:
    """The CPU seconds `step(*args)` took: on a shared machine, other processes' turns do not
    count."""
    started = time.process_time()
    step(*args)
    return time.process_time() - started


def _understanding_pass(content: Content,
                        messages: list[tuple[str, str]]) -> dict[str, Timing]:
    """Each message read by the signals, then matched, as the bot does; both = their sum."""
    signals, matched = [], []
    for text, lang in messages:
        signals.append(_timed(content.signals.read, text))
        matched.append(_timed(content.matcher.match, text, lang))
    return dict(zip(STEPS, map(Timing.of, (signals, matched,
                                           [a + b for a, b in zip(signals, matched)]))))


def _floor(text: str) -> list[str]:
    return normalize(text).split()


def understand(root: Path = REPO, content: Content | None = None,
               limit: int | None = None) -> UnderstandingFigures:
    """Load the content under `root` (unless `content` is given) and time understanding each
    real message (the first `limit` of them) in the three `PASSES`."""
    load_seconds = None
    if content is None:
        started = time.process_time()
        content = load_or_raise(root, REPO / "translations")
        load_seconds = round(time.process_time() - started, 2)
    messages = [(case.text, case.lang) for case in load_eval_cases(EVAL_CASES)][:limit]
    first = _understanding_pass(content, messages)
    warm = _understanding_pass(content, messages)
    floor = Timing.of([_timed(_floor, text) for text, _ in messages])
    seen = {word for text, _ in messages for word in normalize(text).split()}
    rng = random.Random(len(messages))
    unseen = _understanding_pass(content, [(f"{text} {made_up_word(text, seen, rng)}", lang)
                                           for text, lang in messages])
    return UnderstandingFigures(len(messages), load_seconds, floor,
                                dict(zip(PASSES, (first, warm, unseen))))


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
            concepts: PhraseSet, signals: Signals | None,
            emergency_id: str | None = None) -> MatcherFigures:
    """Build time, memory and time per question; with `signals` (and the content's
    `emergency_id`), also the share of cases right at once (as `lotse content eval` judges)."""
    before = resident_mb()
    started = time.perf_counter()
    matcher = Matcher(docs, mixed_langs=mixed, concepts=concepts)
    built = time.perf_counter() - started
    grown = resident_mb() - before
    seconds = []
    for _ in range(ROUNDS):
        for case in cases:
            started = time.perf_counter()
            matcher.match(case.text, case.lang)
            seconds.append(time.perf_counter() - started)
    return MatcherFigures(
        corpus, len({doc.entry_id for doc in docs}), len(docs), len({doc.lang for doc in docs}),
        len(cases), round(built, 2), round(grown, 1), Timing.of(seconds),
        evaluate(matcher, signals, cases, emergency_id=emergency_id).top1 if signals else None)


def run(root: Path = REPO, content: Content | None = None) -> list[MatcherFigures]:
    """The shipped corpus and the synthetic one of SYNTHETIC_ENTRIES entries, each indexed with
    the content's concepts (a fresh phrase set each, so its build time includes finding them)."""
    content = content or load_or_raise(root, REPO / "translations")
    cases = load_eval_cases(EVAL_CASES)
    shipped = match_docs(content.entries.values())
    mixed = (content.languages.default_language, "en")
    concept_list = list(concept_phrases(parse_folder(content.root)))
    emergency = content.emergency_entry
    return [measure("shipped content", shipped, cases, mixed, PhraseSet(concept_list),
                    content.signals, emergency.id if emergency else None),
            measure("synthetic, from the shipped entries",
                    synthetic_docs(shipped, SYNTHETIC_ENTRIES, random.Random(SYNTHETIC_ENTRIES)),
                    cases, mixed, PhraseSet(concept_list), None)]


def describe(figures: MatcherFigures) -> str:
    accuracy = f", top-1 {figures.top1:.1%}" if figures.top1 is not None else ""
    return (f"{figures.corpus}: {figures.entries} entries × {figures.languages} languages "
            f"({figures.docs} docs), index built in {figures.build_seconds:.2f} s "
            f"(+{figures.index_mb:.0f} MB), "
            f"{figures.per_question} ms/question (mean / p50 / p99) over {figures.questions} real "
            f"questions{accuracy}")


def describe_understanding(figures: UnderstandingFigures) -> str:
    """A table: per pass and step, mean / p50 / p99 ms per message, beside the target."""
    load = "" if figures.load_seconds is None else f"content loaded in {figures.load_seconds:.2f} s; "
    lines = [f"understanding a text, {figures.questions} real messages; {load}"
             f"floor (normalize + split) {figures.floor} ms (mean / p50 / p99)",
             f"{'pass':<26} | {'step':<13} | {'mean / p50 / p99 CPU ms':<22} | target"]
    for name, steps in figures.timings.items():
        for step, timing in steps.items():
            target = f"< {TARGET_MS:g} ms" if step == "both" else ""
            lines.append(f"{name:<26} | {step:<13} | {timing!s:<22} | {target}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="content folder (default: repo)")
    parser.add_argument("--only-understanding", action="store_true",
                        help="skip the matcher corpora (the synthetic one takes a minute)")
    args = parser.parse_args()
    print(describe_understanding(understand(args.root)), flush=True)
    if not args.only_understanding:
        for result in run(args.root):
            print(describe(result), flush=True)
