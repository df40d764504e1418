"""The phrase lists of the content (signals per language, concepts) read into labelled phrases, and
the mistakes in their syntax as problems with the line of the phrase."""
from __future__ import annotations

from collections.abc import Iterator

from bot.core.content.parsed import Parsed
from bot.core.content.problems import Problem
from bot.core.content.source import Key, SourceFile
from bot.core.phrases import Phrase, PhraseError, parse_phrase
from bot.core.signals import CERTAINTIES, PLAIN_LISTS, SignalPhrases

__all__ = ["Written", "concept_phrases", "courtesy_phrases", "phrase_problems", "signal_phrases",
           "written_signals"]

Written = tuple[SourceFile, tuple[Key, ...], str, str]
"""A phrase as written: its file, keys (for the line), label and text."""


def written_signals(parsed: Parsed, lang: str) -> Iterator[Written]:
    """The phrases of one language's signals file; labels `crisis:<kind>:<certainty>`,
    `ordinary`, `not`, `human` and `courtesy`."""
    source, signals = parsed.signals[lang]
    for kind, phrases in signals.crisis.items():
        for certainty in CERTAINTIES:
            for i, text in enumerate(getattr(phrases, certainty)):
                yield source, ("crisis", kind, certainty, i), f"crisis:{kind}:{certainty}", text
    for name in PLAIN_LISTS:
        for i, text in enumerate(getattr(signals, "not_" if name == "not" else name)):
            yield source, (name, i), name, text


def _written_concepts(parsed: Parsed) -> Iterator[Written]:
    """Every concept phrase, labelled with the concept's name."""
    for name, (source, concept) in parsed.concepts.items():
        for lang, phrases in concept.root.items():
            for i, text in enumerate(phrases):
                yield source, (lang, i), name, text


def _all_written(parsed: Parsed) -> Iterator[Written]:
    for lang in sorted(parsed.signals):
        yield from written_signals(parsed, lang)
    yield from _written_concepts(parsed)


def _read(written: Iterator[Written]) -> Iterator[tuple[str, Phrase]]:
    """The phrases that can be read (the others are `phrase_problems`)."""
    for _, _, label, text in written:
        try:
            yield label, parse_phrase(text)
        except PhraseError:
            continue


def phrase_problems(parsed: Parsed) -> list[Problem]:
    problems = []
    for source, keys, _, text in _all_written(parsed):
        try:
            parse_phrase(text)
        except PhraseError as error:
            problems.append(Problem(source.path, source.line(keys),
                                    f"cannot read this phrase: {error}"))
    return problems


def signal_phrases(parsed: Parsed) -> list[SignalPhrases]:
    return [SignalPhrases(lang, tuple(p for p in _read(written_signals(parsed, lang))
                                      if p[0] != "courtesy"))
            for lang in sorted(parsed.signals)]


def courtesy_phrases(parsed: Parsed) -> list[tuple[str, Phrase]]:
    """Every language's `courtesy` phrases, for the matcher."""
    return [p for lang in sorted(parsed.signals) for p in _read(written_signals(parsed, lang))
            if p[0] == "courtesy"]


def concept_phrases(parsed: Parsed) -> list[tuple[str, Phrase]]:
    return list(_read(_written_concepts(parsed)))
