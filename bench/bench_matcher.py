"""Benchmark of the FAQ matcher on synthetic corpora: average milliseconds per `match` call.

Run: python bench/bench_matcher.py. Builds corpora of 20 and 2 000 entries in ten languages and
seven docs per entry and language (the title and six question variants of random words in each
language's script), then matches typo'd, shortened, German-mixed and gibberish questions.
Prints figures only; it never fails because a machine is slow.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.match_eval import EvalCase, evaluate  # noqa: E402
from bot.core.matcher import Matcher, MatchDoc  # noqa: E402

ALPHABETS = {
    "de": "abcdefghijklmnopqrstuvwxyzäöüß",
    "en": "abcdefghijklmnopqrstuvwxyz",
    "tr": "abcçdefgğhıijklmnoöprsştuüvyz",
    "ku": "abcçdeêfghiîjklmnopqrsştuûvwxyz",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوية",
    "fa": "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی",
    "ps": "ابپتټثجچحځڅخدډذرړزژږسشښصضطظعغفقکګلمنڼوهیېۍ",
    "ti": "".join(chr(c) for c in range(0x1200, 0x1350)),
}
VOCABULARY_SIZE = 3_000
FUNCTION_WORDS = 40
DOCS_PER_LANGUAGE = 7
QUESTIONS = 1_000


def _word(rng: random.Random, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 10)))


Topics = dict[tuple[str, str], list[str]]  # (entry id, lang) → the entry's topic words


def build_corpus(entries: int, rng: random.Random) -> tuple[list[MatchDoc], Topics]:
    """Docs for `entries` entries in every language, and each entry's topic words per language."""
    docs: list[MatchDoc] = []
    topics: Topics = {}
    for lang, alphabet in ALPHABETS.items():
        vocabulary = [_word(rng, alphabet) for _ in range(VOCABULARY_SIZE)]
        function_words = [_word(rng, alphabet)[:3] for _ in range(FUNCTION_WORDS)]
        for entry in range(entries):
            entry_id = f"entry-{entry}"
            topic = rng.sample(vocabulary, 3)
            topics[entry_id, lang] = topic
            docs.append(MatchDoc(entry_id, lang, " ".join(topic[:2])))
            for _ in range(DOCS_PER_LANGUAGE - 1):
                words = rng.sample(topic, rng.randint(2, 3))
                words += rng.sample(function_words, rng.randint(1, 3))
                rng.shuffle(words)
                docs.append(MatchDoc(entry_id, lang, " ".join(words)))
    return docs, topics


def _typo(rng: random.Random, word: str, alphabet: str) -> str:
    position = rng.randrange(len(word))
    return word[:position] + rng.choice(alphabet) + word[position + 1 :]


def build_questions(entries: int, topics: Topics, rng: random.Random) -> list[EvalCase]:
    """Questions users might type: topic words with a typo, one German topic word mixed into
    another language, or gibberish (expected to match nothing)."""
    cases: list[EvalCase] = []
    for _ in range(QUESTIONS):
        lang = rng.choice(list(ALPHABETS))
        entry_id = f"entry-{rng.randrange(entries)}"
        kind = rng.random()
        words = rng.sample(topics[entry_id, lang], 2)
        if kind < 0.6:
            words[0] = _typo(rng, words[0], ALPHABETS[lang])
        elif kind < 0.85:
            words[0] = topics[entry_id, "de"][0]
        else:
            cases.append(EvalCase(_word(rng, "qxzjvkw") + " " + _word(rng, "qxzjvkw"), lang, None))
            continue
        cases.append(EvalCase(" ".join(words), lang, entry_id))
    return cases


def bench(entries: int) -> None:
    rng = random.Random(entries)
    docs, topics = build_corpus(entries, rng)
    cases = build_questions(entries, topics, rng)
    started = time.perf_counter()
    matcher = Matcher(docs)
    built = time.perf_counter() - started
    started = time.perf_counter()
    for case in cases:
        matcher.match(case.text, case.lang)
    per_question_ms = (time.perf_counter() - started) * 1000 / len(cases)
    report = evaluate(matcher, cases)
    print(
        f"{entries:>5} entries, {len(docs):>7} docs: index built in {built:5.2f} s, "
        f"match {per_question_ms:5.3f} ms/question over {len(cases)} questions "
        f"(top1 {report.top1:.1%}, top3 {report.top3:.1%})"
    )


def bench_shipped() -> None:
    """The shipped content with the real questions of tests/data/match_eval.yaml."""
    from bot.core.content.loader import load_or_raise
    from bot.core.match_eval import load_eval_cases

    root = Path(__file__).resolve().parent.parent
    matcher = load_or_raise(root, root / "translations").matcher
    cases = load_eval_cases(root / "tests" / "data" / "match_eval.yaml")
    started = time.perf_counter()
    for _ in range(5):
        for case in cases:
            matcher.match(case.text, case.lang)
    per_question_ms = (time.perf_counter() - started) * 1000 / (5 * len(cases))
    report = evaluate(matcher, cases)
    print(f"shipped content, {len(cases)} real questions: match {per_question_ms:5.3f} "
          f"ms/question (top1 {report.top1:.1%}, top3 {report.top3:.1%})")


if __name__ == "__main__":
    bench_shipped()
    for size in (20, 2_000):
        bench(size)
