"""A naive Bayes model over sets of features, learned from labelled examples: what the crisis
examples (`bot.core.learned_signals`) and the entries' question variants (`bot.core.matcher`) teach.

Each example counts once per feature it holds; a feature's likelihood under a label is its share of
the label's examples, smoothed by `smoothing` (so that a feature one label never saw does not rule
it out). Only features the examples hold count: a word nobody wrote says nothing.
"""
from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

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
    """Labels learned from `(label, features)` examples; see the module docstring.

    Stored compactly, as a model over hundreds of thousands of features and thousands of labels
    must be (the matcher's, at 2 000 entries): every feature once, as an id into `_vocabulary`,
    and per feature id a run (`_start[i]:_start[i + 1]`) of the label ids that saw it, ascending,
    with how many of their examples did (`_labels`, `_counts`)."""

    def __init__(self, examples: Iterable[tuple[str, Iterable[str]]], smoothing: float) -> None:
        vocabulary: dict[str, int] = {}
        label_ids: dict[str, int] = {}
        sizes: Counter[str] = Counter()
        seen_features, seen_labels = array("I"), array("I")  # one pair per example and feature
        for label, found in examples:
            label_id = label_ids.setdefault(label, len(label_ids))
            sizes[label] += 1
            for feature in set(found):
                seen_features.append(vocabulary.setdefault(feature, len(vocabulary)))
                seen_labels.append(label_id)
        pairs, counts = np.unique(np.frombuffer(seen_features, dtype=np.uint32).astype(np.uint64)
                                  * max(len(label_ids), 1)
                                  + np.frombuffer(seen_labels, dtype=np.uint32),
                                  return_counts=True)
        del seen_features, seen_labels
        self.sizes: Mapping[str, int] = sizes
        self._vocabulary = vocabulary
        self._label_names = list(label_ids)
        self._label_ids = label_ids
        self._labels = array("I", (pairs % max(len(label_ids), 1)).astype(np.uint32).tobytes())
        self._counts = array("I", counts.astype(np.uint32).tobytes())
        self._start = array("I", np.searchsorted(pairs // max(len(label_ids), 1),
                                                 np.arange(len(vocabulary) + 1))
                            .astype(np.uint32).tobytes())
        self._log_count = [math.log(n + smoothing) for n in range(int(counts.max(initial=0)) + 1)]
        self._unseen = math.log(smoothing)
        self._norm = [math.log(sizes[label] + 2 * smoothing) for label in self._label_names]

    def _count(self, feature: int, label: int) -> int:
        """How many of the label's examples hold the feature."""
        start, end = self._start[feature], self._start[feature + 1]
        spot = bisect_left(self._labels, label, start, end)
        return self._counts[spot] if spot < end and self._labels[spot] == label else 0

    def _log_likelihood(self, label: int, found: Iterable[int]) -> float:
        norm, unseen = self._norm[label], self._unseen
        return math.fsum((self._log_count[n] if (n := self._count(f, label)) else unseen) - norm
                         for f in found)

    def evidence(self, found: set[str], label: str, against: str) -> float:
        """How much more likely `found` is under `label` than under `against` (a log-likelihood
        ratio over the features either of them saw); 0 when one of them has no examples."""
        if not (self.sizes[label] and self.sizes[against]):
            return 0.0
        mine, theirs = self._label_ids[label], self._label_ids[against]
        known = [i for f in found if (i := self._vocabulary.get(f)) is not None
                 and (self._count(i, mine) or self._count(i, theirs))]
        return self._log_likelihood(mine, known) - self._log_likelihood(theirs, known)

    def known_share(self, found: set[str]) -> float:
        """The share of `found` that some example holds (0 for no features)."""
        return sum(f in self._vocabulary for f in found) / len(found) if found else 0.0

    def posterior(self, found: set[str], sharpness: float | None = None,
                  floor: int = 1) -> dict[str, float]:
        """Each label's probability given `found` (equal priors); empty when the examples hold
        none of the features. With `sharpness` the log-likelihoods are averaged over the known
        features (at least `floor` of them) and multiplied by it: a long message is then no surer
        than a short one, and a message of one or two words not surer than one of `floor`."""
        known = np.array([i for f in found if (i := self._vocabulary.get(f)) is not None],
                         dtype=np.int64)
        if not len(known):
            return {}
        logs = dict(zip(self._label_names, self._log_likelihoods(known)))
        best = max(logs.values())
        scale = 1.0 if sharpness is None else sharpness / max(len(known), floor)
        weights = {label: math.exp((value - best) * scale) for label, value in logs.items()}
        total = math.fsum(weights.values())
        return {label: weight / total for label, weight in weights.items()}

    def _log_likelihoods(self, known: np.ndarray) -> list[float]:
        """`_log_likelihood` of the feature ids `known` for every label, the labels' runs read at
        once: each label's sum is over the same terms, so exactly the same."""
        start = np.frombuffer(self._start, dtype=np.uint32).astype(np.int64)
        begins, lengths = start[known], start[known + 1] - start[known]
        spots = np.repeat(begins - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        labels = np.frombuffer(self._labels, dtype=np.uint32)[spots]
        terms = (np.array(self._log_count)[np.frombuffer(self._counts, dtype=np.uint32)[spots]]
                 - np.array(self._norm)[labels])
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(len(self._norm) + 1)).tolist()
        terms = terms[order].tolist()
        unseen_only: dict[float, float] = {}  # a label that saw none: its sum, by its term
        sums = []
        for label, norm in enumerate(self._norm):
            seen = terms[bounds[label]:bounds[label + 1]]
            missing = self._unseen - norm
            if not seen:
                if missing not in unseen_only:
                    unseen_only[missing] = math.fsum([missing] * len(known))
                sums.append(unseen_only[missing])
            else:
                sums.append(math.fsum(seen + [missing] * (len(known) - len(seen))))
        return sums
