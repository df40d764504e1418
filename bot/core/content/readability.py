"""Sentence length in German answers: the content is meant for readers of German at A2–B1, so a
sentence of more than `MAX_WORDS` words is a warning (`lotse content check`).

A sentence ends at `.`, `!`, `?` or `:` before a space, and at a line break (a list item, a
heading, a paragraph); a `.` after a number ("12. Juni"), a single letter ("z. B.") or a common
abbreviation ("Abs.") ends none. HTML tags, URLs and {placeholders} are left out. A word is a run of
characters without spaces that holds a letter or a digit: "Bosnien-Herzegowina", "§ 60a" (one
word: the § alone holds neither), "1.000" and "2,29 €" (one word each)."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.core.content.problems import Problem, Severity
from bot.core.content.source import Key, SourceFile

MAX_WORDS = 20
ABBREVIATIONS = frozenset({"abs", "bzw", "ca", "dr", "evtl", "ggf", "inkl", "nr", "str", "tel",
                           "usw", "vgl"})
"""Besides these, every single letter ("z. B.", "d. h.", "u. a.")."""
_HIDDEN = re.compile(r"<[^>]*>|https?://\S+|\{[a-z_]+\}")
_END = re.compile(r"(?<=[.!?:])\s+|\s*\n\s*")
_WORD = re.compile(r"\w")
_LAST_WORD = re.compile(r"(\w+)\.$")


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence of `text` with the offset where it starts (in `text`)."""
    visible = _HIDDEN.sub(lambda m: " " * len(m.group()), text)  # offsets stay those of `text`
    start = 0
    for gap in _END.finditer(visible):
        piece = visible[start:gap.start()]
        if "\n" not in gap.group() and _continues(piece):
            continue
        if piece.strip():
            yield start + len(piece) - len(piece.lstrip()), piece.strip()
        start = gap.end()
    if visible[start:].strip():
        yield start, visible[start:].strip()


def _continues(piece: str) -> bool:
    """Whether the `.` that ends `piece` belongs to a number or an abbreviation."""
    last = _LAST_WORD.search(piece)
    word = last.group(1) if last else ""
    return bool(word) and (word.isdigit() or len(word) == 1 or word.lower() in ABBREVIATIONS)


def words(sentence: str) -> list[str]:
    return [word for word in sentence.split() if _WORD.search(word)]


def long_sentences(text: str, limit: int = MAX_WORDS) -> Iterator[tuple[int, str, int]]:
    """The sentences of `text` with more than `limit` words: offset, sentence, word count."""
    for offset, sentence in sentences(text):
        count = len(words(sentence))
        if count > limit:
            yield offset, sentence, count


def long_sentence_problems(source: SourceFile, keys: Sequence[Key], text: str) -> list[Problem]:
    """A warning per long sentence of a German text, at the line where the sentence starts."""
    return [Problem(source.path, _line(source, keys, text, offset),
                    f"this German sentence has {count} words; for readers at A2–B1 keep "
                    f"sentences to {MAX_WORDS} words or fewer (split it): "
                    f"\"{_shorten(' '.join(sentence.split()))}\"", Severity.WARNING)
            for offset, sentence, count in long_sentences(text)]


def _line(source: SourceFile, keys: Sequence[Key], text: str, offset: int) -> int:
    """The line of `offset` in a literal block (`|`), whose text starts on the next line; the
    line of the value for any other style (its line breaks are not the file's)."""
    line = source.line(keys)
    written = source.lines[line - 1].rstrip() if 0 < line <= len(source.lines) else ""
    if re.search(r"\|[-+]?\d?$", written):
        return line + 1 + text[:offset].count("\n")
    return line


def _shorten(sentence: str, size: int = 60) -> str:
    return sentence if len(sentence) <= size else sentence[:size].rstrip() + " …"
