"""Grouping similar questions, so that an admin reads a few topics instead of thousands of lines.

Greedy clustering on normalised text: distinct questions are taken most frequent first; each joins
the cluster of the most similar anchor that scores at least `SIMILAR_MIN_SCORE`, or starts a cluster
of its own. A cluster's anchors are its `ANCHORS` most frequent wordings (the first is its
representative), so a typo finds the wording it was typed from without rare wordings chaining one
topic into the next. Only anchors that share the question's rarest character trigrams are scored
(as in the matcher), so 50 000 questions take seconds.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.matcher import trigrams
from bot.core.normalize import normalize

SIMILAR_MIN_SCORE = 80.0
"""On `similarity`'s 0..100 scale. Read off questions like these: a changed function word ("wo kann
ich / wo kann man schwimmen lernen") 89, reordered words ("wo bekomme ich kindergeld / wie viel
kindergeld bekomme ich") 90, a typo 97, two words typed as one 98, a longer wording of the same
request ("jobcenter termin / termin beim jobcenter verschieben") 83: together. A greeting before a
question ("hallo / hallo ich brauche hilfe mit wohnung") 62, "wohnung / wohngeld" 67, the same frame
about another thing ("wie finde ich eine wohnung / einen arzt") 76, ("ich brauche hilfe mit wohnung
/ mit kindergeld") 79: apart. Still together, as with any spelling-based measure: "ich brauche
einen arzt / anwalt" (87); the examples under each cluster show it."""
ANCHORS = 3
"""A cluster's most frequent wordings that new questions are compared with. In the synthetic test
(tests/test_gaps.py) 3 put 99.8 % of the questions in their topic's cluster, the representative
alone 91 % (typos of rarer wordings stray); 5 let questions sharing a long frame ("ich brauche hilfe
mit …" + different words) chain into one cluster three times as large."""
POSTING_BUDGET = 4_000
"""At most this many index entries are counted to find a question's candidate anchors."""
CANDIDATES = 25
"""At most this many anchors (those sharing the most trigrams) are scored per question."""


@dataclass(frozen=True)
class Cluster:
    """Questions that say nearly the same thing: `count` in all, `questions` their distinct
    wordings, most frequent first (the first is the representative)."""

    count: int
    questions: tuple[str, ...]

    @property
    def representative(self) -> str:
        return self.questions[0]


def similarity(a: str, b: str) -> float:
    """0..100 for two normalised questions: the mean of rapidfuzz's `token_set_ratio` (shared words
    count whatever their order) and `token_sort_ratio` (so do the words that are not shared:
    `token_set_ratio` alone scores 100 whenever one question's words are all in the other, and a
    frequent "hallo" would swallow every "hallo, …" question); or plain `ratio` when that is
    higher (two words typed as one)."""
    return max(fuzz.ratio(a, b), (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2)


def cluster(questions: Iterable[str]) -> list[Cluster]:
    """`questions` grouped by similarity; the largest cluster first (ties by representative)."""
    spellings: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for question in questions:
        spellings[normalize(question)][question.strip()] += 1
    counts = {key: sum(c.values()) for key, c in spellings.items()}
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    grams = {key: trigrams(key) for key in keys}
    frequency = Counter(g for key in keys for g in grams[key])
    anchors: list[tuple[str, int]] = []  # (wording, its cluster)
    members: list[list[str]] = []
    index: defaultdict[str, list[int]] = defaultdict(list)  # trigram -> anchors having it
    for key in keys:
        joined = _most_similar(key, sorted(grams[key], key=lambda g: (frequency[g], g)),
                               anchors, index)
        if joined is None:
            joined = len(members)
            members.append([])
        members[joined].append(key)
        if len(members[joined]) <= ANCHORS:
            for gram in grams[key]:
                index[gram].append(len(anchors))
            anchors.append((key, joined))
    clusters = [Cluster(sum(counts[k] for k in group),
                        tuple(q for q, _ in sorted(
                            ((q, n) for k in group for q, n in spellings[k].items()),
                            key=lambda item: (-item[1], item[0]))))
                for group in members]
    return sorted(clusters, key=lambda c: (-c.count, c.representative))


def _most_similar(key: str, rarest_first: list[str], anchors: list[tuple[str, int]],
                  index: dict[str, list[int]]) -> int | None:
    """The cluster of the anchor most similar to `key` (at least `SIMILAR_MIN_SCORE`), if any."""
    shared: Counter[int] = Counter()
    budget = POSTING_BUDGET
    for gram in rarest_first:
        ids = index.get(gram)
        if not ids:
            continue
        if shared and len(ids) > budget:
            break
        shared.update(ids)
        budget -= len(ids)
    best, best_score = None, SIMILAR_MIN_SCORE
    for anchor, _ in shared.most_common(CANDIDATES):
        score = similarity(key, anchors[anchor][0])
        if score >= best_score and (best is None or score > best_score or anchor < best):
            best, best_score = anchor, score
    return None if best is None else anchors[best][1]
