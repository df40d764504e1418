"""Signals: what a message says beyond its topic — a crisis, or a wish to talk to a human.

Read on every text before anything else, from the phrases of `faq/signals/<lang>.yaml` of every
language at once (people write in the language they can, not the one they chose). A `clear` crisis
phrase is a crisis; an `unsure` one is a crisis to ask about, unless an `ordinary` word near it
shows the message is about everyday matters ("Notfall Kurs"); a crisis phrase inside a `not` phrase ("kill
time", "emergency course") does not count. A clear crisis in a message that also asks an ordinary
question (`asks_an_ordinary_question`) is asked about too, except in an open case; a request for
a human beside a question the matcher is sure of gets that answer before the counsellor offer, and
a vague one ("I don't understand") beside a long question its likely answers (`beside_a_human`).
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.core.layout import retyped
from bot.core.learned_signals import LearnedSignals
from bot.core.matcher import Confidence, Matcher, MatchResult
from bot.core.phrases import Hit, Phrase, PhraseSet, words_of

__all__ = ["CERTAINTIES", "PLAIN_LISTS", "CrisisKind", "Signal", "Signals",
           "asks_an_ordinary_question", "beside_a_human"]


class CrisisKind(enum.Enum):
    """The five kinds of crisis; when a message shows several, the first counts ("I want to kill
    myself" is suicide, though "want … kill" is also a threat)."""

    DANGER_TO_LIFE = "danger_to_life"
    SUICIDE = "suicide"
    VIOLENCE = "violence"
    NO_PLACE_TO_SLEEP = "no_place_to_sleep"
    CHILD_IN_DANGER = "child_in_danger"


CERTAINTIES = ("clear", "unsure")
ORDINARY = "ordinary"
PLAIN_LISTS = (ORDINARY, "not", "human", "human_vague", "courtesy")
"""The lists of a signals file besides `crisis` (as the YAML keys name them); `courtesy` is for
the FAQ matcher (`Matcher(courtesy=…)`), not read here."""


@dataclass(frozen=True)
class Signal:
    """What `Signals.read` found: a crisis (`certain` or to be asked about), a request for a
    human, both or neither."""

    crisis: CrisisKind | None = None
    certain: bool = False
    human: bool = False
    vague: bool = False
    """The request for a human rests only on `human_vague` words ("I don't understand")."""

    @property
    def clear_crisis(self) -> bool:
        return self.crisis is not None and self.certain

    @property
    def possible_crisis(self) -> bool:
        return self.crisis is not None and not self.certain


NOTHING = Signal()

VETO_REACH = 10
"""An everyday word vetoes an unsure crisis phrase within this many words of it, not beyond: in "my
mother knows no German … he threatened her with an axe" the course word is no veto (tuned on the
retired held-out sets 2 to 5: crises at least asked about +1 to +2 points, the danger question on
calm messages +0.1 to +1.3)."""


def _near(positions: frozenset[int], others: frozenset[int]) -> bool:
    """Whether some of `positions` lies within `VETO_REACH` words of some of `others`."""
    return any(abs(p - o) <= VETO_REACH for p in positions for o in others)


MIXED_MIN_SCORE = 40.0
"""An entry other than the emergency one scoring this makes a clear crisis a possible one (tuned
on the retired held-out sets 1 and 2)."""


def asks_an_ordinary_question(matcher: Matcher, signals: Signals, text: str, lang: str,
                              emergency_id: str | None) -> bool:
    """Whether `text` also asks what an entry other than the emergency one answers ("last winter
    I slept in the station, now I want a job, where do I start?"): a clear crisis phrase in it is
    then asked about ("Are you in danger right now?", the numbers under it) rather than taken for
    certain, and "No, I am safe" leads to that answer. The words besides the crisis phrase's must
    ask it too: "my husband hits me" asks nothing, whichever variant tells of a husband.
    (Both, not only the rest: a short rest scores higher on what it shares with a variant.)"""
    def asked(words: str) -> set[str]:
        return {candidate.entry_id for candidate in matcher.rank(words, lang, 2)
                if candidate.entry_id != emergency_id and candidate.score >= MIXED_MIN_SCORE}
    whole = asked(text)
    return bool(whole and whole & asked(signals.without_words_of(text, "crisis:")))


LONG_QUESTION = 10
"""Beside a vague request for a human ("I don't understand where to start with the Ausbildung, I
am a welder"), this many other words are a question of their own: its likely answers are offered
with the counsellor offer. Shorter rests ("I don't understand this bot") are no question (tuned on
the development set and the retired held-out sets 1 to 5: of the vague requests for a human 9 in
56 have a rest this long, of the ordinary questions read as one 47 in 50)."""


def beside_a_human(matcher: Matcher, signals: Signals, text: str, lang: str, vague: bool
                   ) -> MatchResult | None:
    """What the words besides a request for a human ask: an answer the matcher is sure of ("I don't
    understand, what is the 3+2 rule?") comes before the counsellor offer; beside a `vague` one,
    when they are a long question, the likely answers are offered too. None when they ask
    nothing to show."""
    rest = signals.without_words_of(text, "human")
    result = matcher.match(rest, lang)
    if result.confidence is Confidence.CONFIDENT or (
            vague and result.confidence is Confidence.UNSURE
            and len(rest.split()) >= LONG_QUESTION):
        return result
    return None


@dataclass(frozen=True)
class SignalPhrases:
    """The phrases of one language's signals file, read (labels: `crisis:<kind>:<certainty>`,
    `ordinary`, `not`, `human`)."""

    lang: str
    phrases: tuple[tuple[str, Phrase], ...]


class Signals:
    """Every language's signal phrases in one index, and what was learned from examples."""

    def __init__(self, languages: Iterable[SignalPhrases],
                 learned: LearnedSignals | None = None) -> None:
        languages = list(languages)
        self._set = PhraseSet((label, phrase) for language in languages
                              for label, phrase in language.phrases if label != ORDINARY)
        self._ordinary = PhraseSet(((label, phrase) for language in languages
                                    for label, phrase in language.phrases if label == ORDINARY),
                                   typos=False)
        """Everyday words that veto an unsure phrase, only as written: a typo of one must not
        veto a crisis ('Gewaltschutz' is no 'Gehalts…', a salary)."""
        self._learned = learned

    def read(self, text: str) -> Signal:
        """What `text` says; Russian or Ukrainian typed on an English keyboard layout ("Z [jxe
        evthtnm") is read as what it meant too when it shows no crisis as typed."""
        signal = self._read(text)
        if signal.crisis is None:
            for meant in retyped(text):
                found = self._read(meant)
                if found.crisis is not None:
                    human = found.human or signal.human
                    vague = human and not any(s.human and not s.vague for s in (found, signal))
                    return replace(found, human=human, vague=vague)
        return signal

    def _read(self, text: str) -> Signal:
        words = words_of(text)
        hits = self._set.find(words)
        excluded = frozenset().union(*(h.positions for h in hits if h.label == "not"))
        if excluded:  # read again without the words of the exceptions ("kill time then kill me")
            words = ["" if i in excluded else w for i, w in enumerate(words)]
            hits = self._set.find(words)
        everyday = frozenset().union(*(h.positions for h in self._ordinary.find(words)))
        labels = {h.label for h in hits if h.label != "not"
                  and not (h.label.endswith(":unsure") and _near(h.positions, everyday))}
        learned = self._learned
        human = "human" in labels or (learned is not None and learned.human(words))
        vague = not human and "human_vague" in labels
        found = Signal(human=human or vague, vague=vague)
        for certainty in CERTAINTIES:
            for kind in CrisisKind:
                if f"crisis:{kind.value}:{certainty}" in labels:
                    return replace(found, crisis=kind, certain=certainty == "clear")
        if everyday:  # the learned model weighs words, not places: any everyday word vetoes it
            return found
        kind_name = learned.crisis(words) if learned is not None else None
        return replace(found, crisis=CrisisKind(kind_name) if kind_name else None)

    def without_words_of(self, text: str, label: str) -> str:
        """`text` (normalised) without the words of the phrases found in it whose label starts
        with `label` ("crisis:" for every crisis phrase, "human")."""
        words = words_of(text)
        found = frozenset().union(*(h.positions for h in self._set.find(words)
                                    if h.label.startswith(label)))
        return " ".join(w for i, w in enumerate(words) if i not in found)

    def hits(self, text: str) -> list[Hit]:
        """The phrases found in `text` (for the content check's explanations)."""
        words = words_of(text)
        return self._set.find(words) + self._ordinary.find(words)

