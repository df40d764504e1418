"""FAQ matcher: finds the FAQ entries a free-text question is most likely about.

Every searchable text (question variant or title) of every entry is normalised once, stripped of
its courtesy words (greetings, thanks, please: the `courtesy` lists of `faq/signals/`), and indexed
by its character trigrams; so is every question. A question is scored against the docs that share
its rarest trigrams: IDF-weighted trigram overlap, which survives typos, missing accents, compounds, agglutination and
mixed-in words of another language, topped up by rapidfuzz's `token_sort_ratio` for near-verbatim
variants. Besides trigrams a text has word stems (Snowball, for the languages that have one) and
the concepts of `faq/concepts.yaml` it contains, weighted more than a trigram: a concept found in a
question and in a variant links them whatever their languages. Docs in the user's language and in
`mixed_langs` count fully, docs of every other language with a penalty; an entry scores as its best
doc, plus what its docs say together: a naive Bayes model learned from all of an entry's docs
(their words, word beginnings, pairs, stems and concepts; `bot.core.naive_bayes`) adds
`LEARNED_WEIGHT` times the entry's probability, times the share of the question's words that some
doc holds, so a question whose words are spread over several variants of one entry finds it; the
sum is scaled back onto 0..100. Optional semantic scores (cosines from an embeddings server,
`bot.semantic.layer`) are blended in.
"""

from __future__ import annotations

import enum
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.naive_bayes import NaiveBayes, message_features
from bot.core.normalize import normalize
from bot.core.phrases import PhraseSet
from bot.core.stems import Stems

__all__ = ["Candidate", "Confidence", "MatchDoc", "MatchResult", "Matcher", "trigrams"]

# Thresholds on the 0..100 entry score, read off the scores on the corpus in
# tests/core/test_matcher.py (and checked on the synthetic corpora of bench/bench_matcher.py):
# exact or lightly typo'd variants score 95–100, with a sibling entry whose variant contains the
# question ("Integrationskurs" in "Integrationskurs Kosten") at 80–90, so a lead is required as
# well; a variant with two typos or an extra word scores 70–85; a German keyword inside an Arabic,
# Farsi, Russian or Turkish sentence 55–70; a shared single word ("kurs") 40–50; greetings and
# gibberish stay under 30.
# The naive Bayes model adds up to LEARNED_WEIGHT points to these; the sum is scaled back onto
# 0..100 by LEXICAL_SHARE, and so are the thresholds, which are written in lexical points.
LEARNED_WEIGHT = 25.0  # points for an entry the naive Bayes model is sure of (tuned on heldout-1)
LEXICAL_SHARE = 100 / (100 + LEARNED_WEIGHT)
CONFIDENT_MIN_SCORE = 75.0 * LEXICAL_SHARE  # the best entry must score this to be answered …
CONFIDENT_MIN_LEAD = 12.0 * LEXICAL_SHARE  # … and lead the second distinct entry by this much.
UNSURE_MIN_SCORE = 28.0 * LEXICAL_SHARE  # below this nothing is offered (NONE)
UNSURE_MAX_CANDIDATES = 3  # UNSURE offers the best entries, up to this many, …
UNSURE_CANDIDATE_FLOOR = 10.0 * LEXICAL_SHARE  # … that score at least this.
# Once the best is worth offering, the next ones are offered however far behind it. They had to
# be within 25 points of it and score UNSURE_MIN_SCORE too, which hid the right answer when it was
# second or third: without that, top-3 rose on each of the retired held-out sets 2 to 6 left out
# in turn (bench/leave_one_out.py: +0.8 to +4.1 points, mean 86.5 -> 88.3 %), top-1 unchanged.

# Scoring.
QUERY_COVERAGE_WEIGHT = 0.6  # share of the score for "how much of the question the doc explains";
# the rest is "how much of the doc the question covers", so a short question does not tie every
# long variant that happens to contain it.
NEAR_DUPLICATE_MIN_RATIO = 80.0  # from here token_sort_ratio counts as the score (typo'd variant)
OTHER_LANGUAGE_FACTOR = 0.85  # docs outside the question's language and mixed_langs
UNKNOWN_GRAM_WEIGHT = 0.5  # a question trigram no doc has, as a share of the rarest's weight
CONCEPT_WEIGHT = 20.0  # a shared concept counts as this many shared trigrams of its rarity …
STEM_WEIGHT = 1.0  # … and a shared word stem (Snowball) as this many (tuned on the dev set)
LEARNED_SHARPNESS = 8.0  # the model's log-likelihoods, averaged per known feature, times this …
LEARNED_MIN_FEATURES = 15  # … but averaged over at least this many (a word or two is thin evidence)
LEARNED_SMOOTHING = 0.1  # its smoothing (see bot.core.naive_bayes); all three tuned on heldout-1
LEARNED_MIN_PROBABILITY = 0.01  # below this an entry no doc scored is not added
LEARNED_LONG_WORDS = 15  # a question longer than this many words gets the model's points …
LEARNED_LONG_MAX = 2.0  # … times its words / LEARNED_LONG_WORDS, up to this factor.
# A long message tells its situation around the question ("I have been in the camp for eight
# months, I only have my phone, I cannot wait doing nothing"): its overlap with any one variant is
# small, as the question-coverage share divides by all its words, while the model reads every word
# against all of an entry's variants together. With these two, top-1 rose on the retired held-out
# sets left out in turn (bench/leave_one_out.py) most where messages are long (set 6 +2.7
# points), within ±0.5 elsewhere.
SEMANTIC_WEIGHT = 0.5  # share of the blended score that the semantic layer decides
SEMANTIC_FLOOR, SEMANTIC_CEILING = 0.3, 0.9  # cosines mapped onto 0..100 (bge-m3/e5 range)
MIN_QUERY_CHARS = 3  # shorter questions (without spaces), and digits only, never match
MAX_QUERY_CHARS = 1_000  # only the start of a longer text is matched (a question, not a letter)

# Cost bounds: at most this many posting-list entries are counted to pick candidate docs (rarest
# trigrams first), and at most this many of them are scored, besides every doc sharing a concept
# (50 scored as well as 120 on the development set, in half the time).
POSTING_BUDGET = 6_000
CANDIDATE_DOCS = 50

_GRAM = 3


@dataclass(frozen=True, slots=True)
class MatchDoc:
    """One searchable text of an FAQ entry: a question variant or the entry title."""

    entry_id: str
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """An FAQ entry with its score (0..100) for one question."""

    entry_id: str
    score: float


class Confidence(enum.Enum):
    """How sure the matcher is: answer directly, offer a choice, or admit it found nothing."""

    CONFIDENT = "confident"
    UNSURE = "unsure"
    NONE = "none"


@dataclass(frozen=True)
class MatchResult:
    """The outcome of `Matcher.match`: one candidate if CONFIDENT, up to three if UNSURE, none
    if NONE; best first, distinct entries."""

    confidence: Confidence
    candidates: tuple[Candidate, ...]


def trigrams(normalized: str) -> frozenset[str]:
    """Character trigrams of a normalised text, padded so word starts and ends form grams."""
    padded = f" {normalized} "
    return frozenset(padded[i : i + _GRAM] for i in range(len(padded) - _GRAM + 1))


def _is_too_thin(normalized: str) -> bool:
    """True for questions that carry nothing to match on: one or two characters, or just digits."""
    compact = normalized.replace(" ", "")
    return len(compact) < MIN_QUERY_CHARS or compact.isdigit()


class Matcher:
    """An immutable index of FAQ docs answering `rank` and `match` for free-text questions."""

    def __init__(
        self, docs: Iterable[MatchDoc], *, mixed_langs: Sequence[str] = ("de", "en"),
        concepts: PhraseSet | None = None, courtesy: PhraseSet | None = None,
    ) -> None:
        self._mixed_langs = frozenset(mixed_langs)
        self._concepts = concepts if concepts is not None else PhraseSet(())
        self._courtesy = courtesy if courtesy is not None else PhraseSet(())
        self._stems = Stems(next(iter(mixed_langs), "de"))
        self._doc_entry: list[str] = []
        self._doc_lang: list[str] = []
        self._texts_start = array("I", [0])
        # Every feature (trigram, stem, concept) once, as an integer id; a doc's features are a
        # run of ids in one flat array (`_doc_grams[_doc_start[d]:_doc_start[d + 1]]`), and the
        # postings are per id: no string object per doc and gram.
        self._gram_ids: dict[str, int] = {}
        self._doc_grams = array("I")
        self._doc_start = array("I", [0])
        self._postings: list[array[int]] = []
        # The docs' comparable texts, UTF-8, one after the other (`_texts_start[d]` on): one
        # buffer, not a string object per doc.
        texts = bytearray()
        self._learned = NaiveBayes(self._indexed(docs, texts), LEARNED_SMOOTHING)
        # Two bytes a gram where the ids fit (tens of thousands of distinct features).
        if len(self._gram_ids) < 2**16:
            self._doc_grams = array("H", self._doc_grams)
        self._texts = bytes(texts)
        # The docs by their text, for `_exact` to look a question up by bisection.
        self._by_text = array("I", sorted(range(len(self._doc_entry)), key=self._text_bytes))
        doc_count = len(self._doc_entry)
        self._idf = array("d", (_boost(gram) * math.log(1 + doc_count / len(self._postings[i]))
                                for gram, i in self._gram_ids.items()))
        self._unknown_idf = UNKNOWN_GRAM_WEIGHT * math.log(1 + max(doc_count, 1))
        # math.fsum throughout: exact, hence independent of the (hash-seeded) order of set items.
        self._doc_weight = array("d", (math.fsum(map(self._idf.__getitem__, self._grams_of(d)))
                                       for d in range(doc_count)))

    def _indexed(self, docs: Iterable[MatchDoc], texts: bytearray
                 ) -> Iterator[tuple[str, set[str]]]:
        """Index each doc (its text appended to `texts`) and yield its entry and learned
        features, for the model to count in the same pass: no doc's features are held once it
        is counted."""
        for doc in docs:
            text = self._comparable(doc.text)
            if not text:
                continue
            grams = self._features(text, doc.lang)
            index = len(self._doc_entry)
            for gram in grams:
                gram_id = self._gram_ids.setdefault(gram, len(self._gram_ids))
                if gram_id == len(self._postings):
                    self._postings.append(array("I"))
                self._postings[gram_id].append(index)
                self._doc_grams.append(gram_id)
            self._doc_start.append(len(self._doc_grams))
            self._doc_entry.append(doc.entry_id)
            self._doc_lang.append(doc.lang)
            texts += text.encode()
            self._texts_start.append(len(texts))
            yield doc.entry_id, _learned_features(text, grams)

    def _text_bytes(self, doc: int) -> bytes:
        """A doc's comparable text, UTF-8."""
        return self._texts[self._texts_start[doc]:self._texts_start[doc + 1]]

    def _exact(self, query: str) -> tuple[str, ...]:
        """The entries (sorted, distinct) of the docs whose text is exactly `query`."""
        wanted = query.encode()
        spot = bisect_left(self._by_text, wanted, key=self._text_bytes)
        entries = set()
        while spot < len(self._by_text) and self._text_bytes(self._by_text[spot]) == wanted:
            entries.add(self._doc_entry[self._by_text[spot]])
            spot += 1
        return tuple(sorted(entries))

    def _grams_of(self, doc: int) -> array[int]:
        """The feature ids of a doc."""
        return self._doc_grams[self._doc_start[doc]:self._doc_start[doc + 1]]

    def _comparable(self, text: str) -> str:
        """A text as it is compared: normalised, without its courtesy words ("hello", "thanks"),
        which would otherwise tie a greeting to whichever long variant greets too."""
        return " ".join(self._courtesy.without(normalize(text).split()))

    def _features(self, text: str, lang: str) -> frozenset[str]:
        """What a normalised text is compared by: trigrams, `#stems` and `§concepts`."""
        words = text.split()
        concepts = {f"§{hit.label}" for hit in self._concepts.find(words)}
        return trigrams(text) | concepts | {f"#{stem}" for stem in self._stems.of(words, lang)}

    def rank(self, text: str, lang: str, limit: int = 5,
             semantic: Mapping[str, float] | None = None) -> list[Candidate]:
        """Return up to `limit` distinct entries for the question, best first (ties by id)."""
        return self._rank(self._comparable(text), lang, limit, semantic)

    def match(self, text: str, lang: str,
              semantic: Mapping[str, float] | None = None) -> MatchResult:
        """Decide whether to answer one entry, offer a few, or none (thresholds above).

        A question that is, once normalised, exactly a variant of one single entry is answered
        directly even when a longer variant of another entry contains it ("Integration course"
        against "Integration course costs"): an admin wrote that exact question for that entry.
        """
        query = self._comparable(text)
        exact = self._exact(query)
        if len(exact) == 1:
            return MatchResult(Confidence.CONFIDENT, (Candidate(exact[0], 100.0),))
        ranked = self._rank(query, lang, UNSURE_MAX_CANDIDATES, semantic)
        if not ranked or ranked[0].score < UNSURE_MIN_SCORE:
            return MatchResult(Confidence.NONE, ())
        best = ranked[0].score
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best >= CONFIDENT_MIN_SCORE and best - runner_up >= CONFIDENT_MIN_LEAD:
            return MatchResult(Confidence.CONFIDENT, (ranked[0],))
        return MatchResult(Confidence.UNSURE,
                           tuple(c for c in ranked if c.score >= UNSURE_CANDIDATE_FLOOR))

    def _rank(self, query: str, lang: str, limit: int,
              semantic: Mapping[str, float] | None = None) -> list[Candidate]:
        """`rank` for an already normalised question."""
        if limit <= 0 or _is_too_thin(query):
            return []
        query = query[:MAX_QUERY_CHARS]
        grams = self._features(query, lang)
        best: dict[str, float] = {}
        for doc, score in self._score_docs(grams, query, lang).items():
            entry_id = self._doc_entry[doc]
            if score > best.get(entry_id, 0.0):
                best[entry_id] = score
        learned = _learned_features(query, grams)
        length = min(LEARNED_LONG_MAX, max(1.0, len(query.split()) / LEARNED_LONG_WORDS))
        weight = LEARNED_WEIGHT * length * self._learned.known_share(learned)
        posterior = self._learned.posterior(learned, LEARNED_SHARPNESS, LEARNED_MIN_FEATURES)
        for entry_id in best.keys() | posterior.keys():
            probability = posterior.get(entry_id, 0.0)
            if entry_id in best or probability >= LEARNED_MIN_PROBABILITY:
                best[entry_id] = min(100.0, (best.get(entry_id, 0.0) + weight * probability)
                                     * LEXICAL_SHARE)
        if semantic:
            best = _blend(best, semantic)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [Candidate(entry_id, round(score, 2)) for entry_id, score in ranked[:limit]]

    def _candidate_docs(self, grams: frozenset[str]) -> list[int]:
        """Docs sharing the most of the question's rarest trigrams, within `POSTING_BUDGET`, and
        every doc sharing one of its concepts."""
        # Sorted by length, then by gram: set order varies between processes (hash seeds), and the
        # order decides which lists fit the budget and how ties among candidates fall.
        ids = self._gram_ids
        known = sorted((len(self._postings[ids[g]]), g) for g in grams if g in ids)
        lists = [self._postings[ids[g]] for _, g in known]
        shared: Counter[int] = Counter()
        budget = POSTING_BUDGET
        for docs in lists:
            if shared and len(docs) > budget:
                break
            shared.update(docs)
            budget -= len(docs)
        chosen = [doc for doc, _ in shared.most_common(CANDIDATE_DOCS)]
        # A doc sharing a concept is scored whatever else it shares: one concept can outweigh
        # dozens of trigrams, which the count above does not see.
        seen = set(chosen)
        for concept in sorted(g for g in grams if g[0] == "§" and g in ids):
            docs = self._postings[ids[concept]]
            chosen += [doc for doc in docs if doc not in seen]
            seen.update(docs)
        return chosen

    def _score_docs(self, grams: frozenset[str], query: str, lang: str) -> dict[int, float]:
        """Score (0..100) the candidate docs for a normalised question in language `lang` with
        the features `grams`."""
        candidates = self._candidate_docs(grams)
        ids, idf = self._gram_ids, self._idf
        query_weight = math.fsum(idf[ids[g]] if g in ids else _boost(g) * self._unknown_idf
                                 for g in grams)
        known = frozenset(ids[g] for g in grams if g in ids)
        near_duplicates = {
            doc: ratio
            for _, ratio, doc in process.extract(
                query,
                {doc: self._text_bytes(doc).decode() for doc in candidates},
                scorer=fuzz.token_sort_ratio,
                score_cutoff=NEAR_DUPLICATE_MIN_RATIO,
                limit=None,
            )
        }
        full_weight_langs = self._mixed_langs | {lang}
        scores: dict[int, float] = {}
        for doc in candidates:
            shared = math.fsum(map(idf.__getitem__, known.intersection(self._grams_of(doc))))
            overlap = 100 * (
                QUERY_COVERAGE_WEIGHT * shared / query_weight
                + (1 - QUERY_COVERAGE_WEIGHT) * shared / self._doc_weight[doc]
            )
            score = max(overlap, near_duplicates.get(doc, 0.0))
            if self._doc_lang[doc] not in full_weight_langs:
                score *= OTHER_LANGUAGE_FACTOR
            scores[doc] = score
        return scores


def _learned_features(text: str, grams: Iterable[str]) -> set[str]:
    """What the naive Bayes model knows a normalised text by: its words, their beginnings and
    pairs, and the stems and concepts among its matcher features."""
    return message_features(text.split()) | {g for g in grams if g[0] in "#§"}


def _boost(feature: str) -> float:
    """How much more than a trigram a feature weighs (concepts and stems, see the constants)."""
    return CONCEPT_WEIGHT if feature[0] == "§" else STEM_WEIGHT if feature[0] == "#" else 1.0


def _blend(lexical: Mapping[str, float], semantic: Mapping[str, float]) -> dict[str, float]:
    """Lexical scores with the semantic layer's cosines mixed in (`SEMANTIC_WEIGHT`)."""
    span = SEMANTIC_CEILING - SEMANTIC_FLOOR
    blended = {}
    for entry_id in lexical.keys() | semantic.keys():
        cosine = semantic.get(entry_id, SEMANTIC_FLOOR)
        meaning = 100 * min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / span))
        blended[entry_id] = ((1 - SEMANTIC_WEIGHT) * lexical.get(entry_id, 0.0) +
                             SEMANTIC_WEIGHT * meaning)
    return blended
