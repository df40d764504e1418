"""Signals learned from examples: what a crisis or a request for a human looks like, taken from
messages as people wrote them (`faq/signals/examples/<lang>.yaml`) against ordinary ones (the
examples' `calm` list and every FAQ entry's title and questions).

The phrases (`bot.core.signals`) know what admins wrote; this reads what they did not. It is a naive
Bayes model over a message's words, their beginnings (4 and 5 letters: inflections and typos) and
neighbouring pairs: each feature the examples hold counts for the label it was seen with, smoothed
by `SMOOTHING`. A message whose features speak for a crisis by `CRISIS_EVIDENCE` (a log-likelihood
ratio against the calm examples) is a possible crisis — Lotse asks, it never shows the numbers on
this alone — of the kind its features speak for most; by `HUMAN_EVIDENCE`, a request for a human.
Both thresholds and the smoothing were tuned on the retired held-out set
`tests/data/heldout-1.yaml`, which is not among the examples.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["CALM", "HUMAN", "LearnedSignals", "features"]

CALM = "calm"
HUMAN = "human"
"""The labels besides the crisis kinds' names."""
CRISIS, NO_CRISIS = "crisis", "no crisis"
"""Pooled labels: every crisis example whatever its kind, and the calm and human examples (a
request for a human is no crisis: "please call me")."""
SMOOTHING = 0.05
CRISIS_EVIDENCE = 3.0
HUMAN_EVIDENCE = 12.0
PREFIXES = (4, 5)
"""Word beginnings taken as features, for words longer than the beginning."""


def features(words: Sequence[str]) -> set[str]:
    """The features of a message's normalised words."""
    found: set[str] = set()
    for i, word in enumerate(words):
        if not word:
            continue
        found.add(word)
        found.update(f"{word[:n]}-" for n in PREFIXES if len(word) > n)
        if i and words[i - 1]:
            found.add(f"{words[i - 1]}+{word}")
    return found


class LearnedSignals:
    """The model, learned from `(label, words)` examples; `labels` are the crisis kinds' names,
    `HUMAN` and `CALM`."""

    def __init__(self, examples: Iterable[tuple[str, Sequence[str]]],
                 kinds: Sequence[str]) -> None:
        self._kinds = tuple(kinds)
        self._counts: dict[str, Counter[str]] = {}
        self._sizes: Counter[str] = Counter()
        for label, words in examples:
            self._counts.setdefault(label, Counter()).update(features(words))
            self._sizes[label] += 1
        self._pool(CRISIS, self._kinds)
        self._pool(NO_CRISIS, (CALM, HUMAN))

    def _pool(self, name: str, labels: Iterable[str]) -> None:
        """A label holding the examples of `labels`."""
        pooled: Counter[str] = Counter()
        for label in labels:
            pooled.update(self._counts.get(label, Counter()))
            self._sizes[name] += self._sizes[label]
        self._counts[name] = pooled

    def _evidence(self, found: set[str], label: str, against: str) -> float:
        """How much more likely `found` is under `label` than under `against` (log-likelihood
        ratio over the features either holds)."""
        counts, calm = self._counts.get(label, Counter()), self._counts.get(against, Counter())
        size, calm_size = self._sizes[label] + 2 * SMOOTHING, self._sizes[against] + 2 * SMOOTHING
        total = 0.0
        for feature in found:
            seen, seen_calm = counts[feature], calm[feature]
            if seen or seen_calm:
                total += (math.log((seen + SMOOTHING) / size)
                          - math.log((seen_calm + SMOOTHING) / calm_size))
        return total

    def crisis(self, words: Sequence[str]) -> str | None:
        """The crisis kind a message possibly shows, or None."""
        found = features(words)
        if not self._sizes[CRISIS] or self._evidence(found, CRISIS, NO_CRISIS) < CRISIS_EVIDENCE:
            return None
        return max((k for k in self._kinds if self._sizes[k]),
                   key=lambda kind: self._evidence(found, kind, NO_CRISIS))

    def human(self, words: Sequence[str]) -> bool:
        """Whether a message asks for a human."""
        return bool(self._sizes[HUMAN]) and self._evidence(features(words), HUMAN, CALM) >= HUMAN_EVIDENCE
