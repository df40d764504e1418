"""A naive Bayes model over sets of features, learned from labelled examples: what the crisis
examples (`bot.core.learned_signals`) and the entries' question variants (`bot.core.matcher`) teach.

Each example counts once per feature it holds; a feature's likelihood under a label is its share of
the label's examples, smoothed by `smoothing` (so that a feature one label never saw does not rule
it out). Only features the examples hold count: a word nobody wrote says nothing.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = ["NaiveBayes", "message_features"]

PREFIXES = (4, 5)
"""Word beginnings taken as features, for words longer than the beginning."""


def message_features(words: Iterable[str]) -> set[str]:
    """A message's normalised words, their beginnings (4 and 5 letters: inflections and typos)
    and neighbouring pairs; a blanked word (`""`) is no feature and breaks a pair. Every number
    is the one feature `#`: which number says nothing, though crises often give an age or a time
    ("7" alone had made "Frage Nummer 7" a possible crisis)."""
    found: set[str] = set()
    previous = ""
    for word in words:
        if word.isdigit():
            word = "#"
        if word:
            found.add(word)
            found.update(f"{word[:n]}-" for n in PREFIXES if len(word) > n)
            if previous:
                found.add(f"{previous}+{word}")
        previous = word
    return found


class NaiveBayes:
    """Labels learned from `(label, features)` examples; see the module docstring."""

    def __init__(self, examples: Iterable[tuple[str, Iterable[str]]], smoothing: float) -> None:
        counts: dict[str, Counter[str]] = {}
        sizes: Counter[str] = Counter()
        for label, found in examples:
            counts.setdefault(label, Counter()).update(set(found))
            sizes[label] += 1
        self.sizes: Mapping[str, int] = sizes
        self._seen = {label: frozenset(c) for label, c in counts.items()}
        self._log = {label: {f: math.log(n + smoothing) for f, n in c.items()}
                     for label, c in counts.items()}
        self._unseen = math.log(smoothing)
        self._norm = {label: math.log(sizes[label] + 2 * smoothing) for label in sizes}
        self._known = frozenset().union(*self._seen.values())

    def _log_likelihood(self, label: str, found: Iterable[str]) -> float:
        logs, unseen = self._log.get(label, {}), self._unseen
        return math.fsum(logs.get(f, unseen) - self._norm[label] for f in found)

    def evidence(self, found: set[str], label: str, against: str) -> float:
        """How much more likely `found` is under `label` than under `against` (a log-likelihood
        ratio over the features either of them saw); 0 when one of them has no examples."""
        if not (self.sizes[label] and self.sizes[against]):
            return 0.0
        seen, seen_against = self._seen[label], self._seen[against]
        known = [f for f in found if f in seen or f in seen_against]  # not a union: vocabularies are large
        return self._log_likelihood(label, known) - self._log_likelihood(against, known)

    def known_share(self, found: set[str]) -> float:
        """The share of `found` that some example holds (0 for no features)."""
        return len(found & self._known) / len(found) if found else 0.0

    def posterior(self, found: set[str], sharpness: float | None = None,
                  floor: int = 1) -> dict[str, float]:
        """Each label's probability given `found` (equal priors); empty when the examples hold
        none of the features. With `sharpness` the log-likelihoods are averaged over the known
        features (at least `floor` of them) and multiplied by it: a long message is then no surer
        than a short one, and a message of one or two words not surer than one of `floor`."""
        known = found & self._known
        if not known:
            return {}
        logs = {label: self._log_likelihood(label, known) for label in self._log}
        best = max(logs.values())
        scale = 1.0 if sharpness is None else sharpness / max(len(known), floor)
        weights = {label: math.exp((value - best) * scale) for label, value in logs.items()}
        total = math.fsum(weights.values())
        return {label: weight / total for label, weight in weights.items()}
