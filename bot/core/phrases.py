"""Phrases that admins write (crisis signals, requests for a human, shared concepts) and finding them
in a person's message, in any word order, with inflections and typos.

A phrase is words separated by spaces; it is found when every word occurs in the message, in any
order, within `len(words) + WINDOW_SLACK` consecutive words. A word may be `stem*` (starts with),
`*stem` (ends with), `*stem*` (contains) or `a|b|c` (any of them). Both sides are compared after
`normalize`. Words and stems of `FUZZY_MIN_LETTERS` letters or more match with one typo, from
`FUZZY_TWO_LETTERS` with two (starting words and stems too); `*stem` and `*stem*` only exactly.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.core.normalize import normalize

__all__ = ["Hit", "Phrase", "PhraseError", "PhraseSet", "parse_phrase", "words_of"]

WINDOW_SLACK = 3
"""Other words allowed between a phrase's words ("er will mich heute wirklich umbringen")."""
FUZZY_MIN_LETTERS = 5
FUZZY_TWO_LETTERS = 9
MIN_STEM_LETTERS = 3
MAX_WORDS = 400
"""Only the first words of a longer message are read (`MAX_TEXT` bounds it already)."""


class PhraseError(ValueError):
    """A phrase an admin wrote that cannot be read; the message says why, for the admin."""


class Mode(enum.Enum):
    WORD = "word"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    INFIX = "infix"


@dataclass(frozen=True, slots=True)
class Alternative:
    mode: Mode
    stem: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase as written (`text`) and read: per word, its alternatives."""

    text: str
    words: tuple[tuple[Alternative, ...], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in a message: its label and the positions of the words that matched it."""

    label: str
    phrase: str
    positions: frozenset[int]


def words_of(text: str) -> list[str]:
    """The normalised words of a message, as phrases see them."""
    return normalize(text).split()[:MAX_WORDS]


def parse_phrase(text: str) -> Phrase:
    """Read one phrase; raise PhraseError saying what is wrong with it."""
    words = []
    for raw in text.split():
        alternatives = []
        for part in raw.split("|"):
            alternatives.append(_alternative(part, text))
        words.append(tuple(alternatives))
    if not words:
        raise PhraseError("the phrase is empty")
    return Phrase(text, tuple(words))


def _alternative(part: str, phrase: str) -> Alternative:
    starts, ends = part.startswith("*"), part.endswith("*") and len(part) > 1
    stem = normalize(part.strip("*"))
    if not stem:
        raise PhraseError(f"'{part}' in '{phrase}' has no letters")
    if " " in stem:
        raise PhraseError(f"'{part}' in '{phrase}' is several words once punctuation is removed; "
                          "write them with spaces")
    if (starts or ends) and len(stem) < MIN_STEM_LETTERS:
        raise PhraseError(f"'{part}' in '{phrase}': a stem with * needs at least "
                          f"{MIN_STEM_LETTERS} letters, or it matches too many words")
    mode = (Mode.INFIX if starts and ends else Mode.SUFFIX if starts else
            Mode.PREFIX if ends else Mode.WORD)
    return Alternative(mode, stem)


def _typos_allowed(letters: int) -> int:
    """How many typos a word or stem of that many letters may have."""
    return 2 if letters >= FUZZY_TWO_LETTERS else 1 if letters >= FUZZY_MIN_LETTERS else 0


class PhraseSet:
    """Labelled phrases, compiled once; `find` lists those a message contains."""

    def __init__(self, labelled: Iterable[tuple[str, Phrase]], *, typos: bool = True) -> None:
        """`typos`: a word within its allowed typos of a phrase's word counts (False: only as
        written, with the phrase's * parts)."""
        self._phrases: list[tuple[str, Phrase, tuple[int, ...]]] = []
        word_ids: dict[tuple[Alternative, ...], int] = {}
        self._alternatives: list[list[int]] = []  # per alternative id: the word ids it serves
        alternative_ids: dict[Alternative, int] = {}
        for label, phrase in labelled:
            ids = []
            for word in phrase.words:
                if word not in word_ids:
                    word_ids[word] = len(word_ids)
                    for alternative in word:
                        if alternative not in alternative_ids:
                            alternative_ids[alternative] = len(alternative_ids)
                            self._alternatives.append([])
                        self._alternatives[alternative_ids[alternative]].append(word_ids[word])
                ids.append(word_ids[word])
            self._phrases.append((label, phrase, tuple(ids)))
        self._by_word: defaultdict[int, list[int]] = defaultdict(list)
        for index, (_, _, phrase_ids) in enumerate(self._phrases):
            for word_id in set(phrase_ids):
                self._by_word[word_id].append(index)
        self._stems: dict[Mode, dict[str, int]] = {mode: {} for mode in Mode}
        for alternative, index in alternative_ids.items():
            self._stems[alternative.mode][alternative.stem] = index
        self._lengths = {mode: sorted({len(stem) for stem in self._stems[mode]})
                         for mode in (Mode.PREFIX, Mode.SUFFIX, Mode.INFIX)}
        # Fuzzy candidates by mode, first letter and length. Typos rarely hit the first letter, so
        # it must be the same (which keeps 'kill' from 'bill'-like neighbours that mean something
        # else), and a stem within k typos is at most k letters longer or shorter.
        fuzzy: defaultdict[tuple[Mode, str, int], list[tuple[str, int]]] = defaultdict(list)
        for mode in (Mode.WORD, Mode.PREFIX):
            for stem, index in self._stems[mode].items():
                if typos and _typos_allowed(len(stem)):
                    fuzzy[(mode, stem[0], len(stem))].append((stem, index))
        self._fuzzy = dict(fuzzy)
        self._fuzzy_prefix_lengths = sorted({length for mode, _, length in fuzzy
                                             if mode is Mode.PREFIX})
        self._cache: dict[str, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self._phrases)

    def find(self, words: Sequence[str]) -> list[Hit]:
        """Every phrase found in the (normalised) `words`, in the order the phrases were given."""
        positions: defaultdict[int, list[int]] = defaultdict(list)  # word id -> message positions
        for position, word in enumerate(words):
            for word_id in self._word_ids(word):
                positions[word_id].append(position)
        candidates = sorted({p for word_id in positions for p in self._by_word[word_id]})
        hits = []
        for index in candidates:
            label, phrase, ids = self._phrases[index]
            if all(word_id in positions for word_id in ids):
                found = _within_window(ids, positions, len(ids) + WINDOW_SLACK)
                if found is not None:
                    hits.append(Hit(label, phrase.text, found))
        return hits

    def without(self, words: Sequence[str]) -> list[str]:
        """`words` without every word of every phrase found in them, however often a phrase
        stands there (`find` finds each phrase once: so it is asked again until it finds none)."""
        kept = list(words)
        while hits := self.find(kept):
            found = frozenset().union(*(hit.positions for hit in hits))
            kept = ["" if i in found else w for i, w in enumerate(kept)]
        return [w for w in kept if w]

    def _word_ids(self, word: str) -> frozenset[int]:
        """The phrase words that one message word matches (cached: people reuse their words)."""
        cached = self._cache.get(word)
        if cached is None:
            cached = frozenset(w for a in self._alternatives_of(word) for w in self._alternatives[a])
            if len(self._cache) < 100_000:
                self._cache[word] = cached
        return cached

    def _alternatives_of(self, word: str) -> set[int]:
        found: set[int] = set()
        stems = self._stems
        if (index := stems[Mode.WORD].get(word)) is not None:
            found.add(index)
        for mode, lengths in self._lengths.items():
            for length in lengths:
                if length > len(word):
                    break
                found.update(stems[mode][piece] for piece in _pieces(word, mode, length)
                             if piece in stems[mode])
        if len(word) >= FUZZY_MIN_LETTERS - 1:
            found |= self._fuzzy_matches(word)
        return found

    def _fuzzy_matches(self, word: str) -> set[int]:
        """Words and stems within their allowed typos (a swap of two letters is one typo); a
        stem is compared with the word's start one letter shorter, as long and one longer."""
        found: set[int] = set()
        first = word[0]
        for length in range(len(word) - 2, len(word) + 3):
            if abs(length - len(word)) <= _typos_allowed(length):
                found |= _within_typos(word, self._fuzzy.get((Mode.WORD, first, length), ()),
                                       _typos_allowed(length))
        for length in self._fuzzy_prefix_lengths:
            if length - 1 > len(word):
                break
            candidates = self._fuzzy.get((Mode.PREFIX, first, length), ())
            for head in {word[:length - 1], word[:length], word[:length + 1]} if candidates else ():
                found |= _within_typos(head, candidates, _typos_allowed(length))
        return found


def _within_typos(head: str, candidates: Iterable[tuple[str, int]], typos: int) -> set[int]:
    """The ids of the candidate stems within `typos` of `head` (OSA distance: a swap of two
    letters is one typo)."""
    return {index for stem, index in candidates
            if OSA.distance(head, stem, score_cutoff=typos) <= typos}


def _pieces(word: str, mode: Mode, length: int) -> Iterable[str]:
    """The parts of `word` that a stem of `length` letters matches exactly in `mode`."""
    if mode is Mode.PREFIX:
        return (word[:length],)
    if mode is Mode.SUFFIX:
        return (word[-length:],)
    return (word[start:start + length] for start in range(len(word) - length + 1))


def _within_window(ids: Sequence[int], positions: dict[int, list[int]],
                   window: int) -> frozenset[int] | None:
    """Positions, one per phrase word (distinct where words repeat), all inside `window`
    consecutive message words; None if there are none."""
    starts = sorted({p for word_id in ids for p in positions[word_id]})
    for start in starts:
        chosen: list[int] = []
        for word_id in ids:
            spot = next((p for p in positions[word_id]
                         if start <= p < start + window and p not in chosen), None)
            if spot is None:
                break
            chosen.append(spot)
        else:
            return frozenset(chosen)
    return None
