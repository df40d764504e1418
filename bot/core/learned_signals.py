"""Signals learned from examples: what a crisis or a request for a human looks like, taken from
messages as people wrote them (`faq/signals/examples/<lang>.yaml`) against ordinary ones (the
examples' `calm` list and every FAQ entry's title and questions).

The phrases (`bot.core.signals`) know what admins wrote; this reads what they did not. It is a naive
Bayes model (`bot.core.naive_bayes`) over a message's words, their beginnings and neighbouring
pairs, smoothed by `SMOOTHING`. A message whose features speak for a crisis by `CRISIS_EVIDENCE` (a
log-likelihood ratio against the calm and human examples) is a possible crisis — Lotse asks, it
never shows the numbers on this alone — of the kind its features speak for most; by
`HUMAN_EVIDENCE` (against the calm examples), a request for a human.
Both thresholds and the smoothing were tuned on the retired held-out set
`tests/data/heldout-1.yaml`, which is not among the examples.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from bot.core.naive_bayes import NaiveBayes, message_features

__all__ = ["CALM", "HUMAN", "LearnedSignals"]

CALM = "calm"
HUMAN = "human"
"""The labels besides the crisis kinds' names."""
CRISIS, NO_CRISIS = "crisis", "no crisis"
"""Pooled labels: every crisis example whatever its kind, and the calm and human examples (a
request for a human is no crisis: "please call me")."""
SMOOTHING = 0.05
CRISIS_EVIDENCE = 3.0
HUMAN_EVIDENCE = 12.0


class LearnedSignals:
    """The model, learned from `(label, words)` examples; `labels` are the crisis kinds' names,
    `HUMAN` and `CALM`."""

    def __init__(self, examples: Iterable[tuple[str, Sequence[str]]],
                 kinds: Sequence[str]) -> None:
        self._kinds = tuple(kinds)
        self._model = NaiveBayes(self._labelled(examples), SMOOTHING)

    def _labelled(self, examples: Iterable[tuple[str, Sequence[str]]]
                  ) -> Iterator[tuple[str, set[str]]]:
        """Each example under its label and under its pooled label."""
        for label, words in examples:
            found = message_features(words)
            yield label, found
            yield (CRISIS if label in self._kinds else NO_CRISIS), found

    def crisis(self, words: Sequence[str]) -> str | None:
        """The crisis kind a message possibly shows, or None."""
        found = message_features(words)
        if self._model.evidence(found, CRISIS, NO_CRISIS) < CRISIS_EVIDENCE:
            return None
        return max((kind for kind in self._kinds if self._model.sizes[kind]),
                   key=lambda kind: self._model.evidence(found, kind, NO_CRISIS))

    def human(self, words: Sequence[str]) -> bool:
        """Whether a message asks for a human."""
        return self._model.evidence(message_features(words), HUMAN, CALM) >= HUMAN_EVIDENCE
