"""Checks of the crisis signals (`faq/signals/<lang>.yaml`) against the languages and the entries.

- every content language has a signals file, with clear phrases for each of the five crisis kinds
  (errors: a language without them would have its crises missed); a signals file of a language
  that is not a content language is a warning (it is read all the same);
- a `clear` crisis phrase or a `human` phrase that fires on a title or question variant of an
  ordinary entry is a warning at the phrase: a person asking that question would get the
  emergency numbers or the counsellor offer instead of the answer. `human` phrases may fire on the
  question variants of the entries about reaching a counsellor (`CONTACT_ENTRIES`), whose
  variants are requests for a human themselves; their titles are still checked;
- a question variant of the emergency entry that the signals do not read as a crisis is a warning
  at the variant: the FAQ matcher does not search the emergency entry, so nothing leads there;
- a title or question variant made of nothing but `courtesy` words is a warning at the variant:
  the matcher leaves those words out, so nothing is left of it to find.

The texts are read by the bot's own `Signals` (`hits`, then `read` for the few with a hit), so the
check sees what the bot sees.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from bot.core.content import schema
from bot.core.content.model import EMERGENCY_TOPIC
from bot.core.content.parsed import Parsed
from bot.core.content.phrase_lists import courtesy_phrases, signal_phrases, written_signals
from bot.core.content.problems import Problem, Severity
from bot.core.content.source import Key, SourceFile
from bot.core.normalize import normalize
from bot.core.phrases import Hit, PhraseSet
from bot.core.signals import CrisisKind, Signals

__all__ = ["CONTACT_ENTRIES", "signal_problems"]

CONTACT_ENTRIES = frozenset({"contact-hotline", "counselling-offer"})
"""Entries about reaching the office's counsellors: a `human` phrase firing on one of their
question variants ("I want to talk to a person") leads, rightly, to the counsellor offer."""

Where = tuple[SourceFile, tuple[Key, ...]]


def signal_problems(parsed: Parsed) -> list[Problem]:
    """Every problem of the signals files (`parsed` has no errors, so every phrase can be read)."""
    problems = _file_problems(parsed)
    if parsed.signals:
        signals = Signals(signal_phrases(parsed))
        problems += _firing_on_entries(parsed, signals)
        problems += _emergency_missed(parsed, signals)
        problems += _only_courtesy(parsed)
    return problems


# ----- files and kinds ------------------------------------------------------------------------


def _signals_path(parsed: Parsed, lang: str) -> str:
    """How the signals file of `lang` is named in messages (beside faq/languages.yaml)."""
    assert parsed.languages is not None
    return str(Path(parsed.languages[0].path).parent / "signals" / f"{lang}.yaml")


def _file_problems(parsed: Parsed) -> list[Problem]:
    assert parsed.languages is not None
    source, settings = parsed.languages
    problems = [Problem(source.path, source.line(("languages", i)),
                        f"no crisis signals for '{lang}': {_signals_path(parsed, lang)} is "
                        "missing, so crises written in this language are not recognised")
                for i, lang in enumerate(settings.languages) if lang not in parsed.signals]
    for lang, (signals_source, signals) in sorted(parsed.signals.items()):
        if lang not in settings.languages:
            problems.append(Problem(
                signals_source.path, 1, f"'{lang}' is not a language listed in {source.path}; "
                "its phrases are read all the same, but is the file name right?",
                Severity.WARNING))
        missing = [kind.value for kind in CrisisKind if kind.value not in signals.crisis]
        if missing:
            line = signals_source.key_line(("crisis",)) if "crisis" in signals_source.data else 1
            problems.append(Problem(signals_source.path, line,
                                    f"crisis kind(s) missing: {', '.join(missing)}; every "
                                    f"language needs clear phrases for all "
                                    f"{len(CrisisKind)} kinds"))
        for kind, phrases in signals.crisis.items():
            if not phrases.clear:
                problems.append(Problem(signals_source.path,
                                        signals_source.line(("crisis", kind, "clear")),
                                        f"crisis kind '{kind}' has no clear phrases"))
    return problems


# ----- phrases firing on ordinary entries -----------------------------------------------------


def _texts(entry: schema.FaqEntry) -> Iterator[tuple[tuple[Key, ...], str, str]]:
    """Each title and question variant of an entry: keys, what it is ('de title') and text."""
    for lang, text in entry.text.items():
        yield ("text", lang, "title"), f"{lang} title", text.title
        for i, question in enumerate(text.questions):
            yield ("text", lang, "questions", i), f"{lang} question", question


def _phrase_places(parsed: Parsed) -> dict[tuple[str, str], list[Where]]:
    """Where each (label, phrase) is written; the same phrase may stand in several files."""
    places: defaultdict[tuple[str, str], list[Where]] = defaultdict(list)
    for lang in sorted(parsed.signals):
        for source, keys, label, text in written_signals(parsed, lang):
            places[(label, text)].append((source, keys))
    return places


def _counted(hits: list[Hit]) -> list[Hit]:
    """The hits that `Signals.read` counts: those not inside a `not` phrase."""
    excluded = frozenset().union(*(h.positions for h in hits if h.label == "not"))
    return [h for h in hits if not h.positions & excluded]


def _firing_on_entries(parsed: Parsed, signals: Signals) -> list[Problem]:
    places = _phrase_places(parsed)
    problems = []
    for source, entry in parsed.entries:
        if entry.topic == EMERGENCY_TOPIC:
            continue
        for keys, what, text in _texts(entry):
            hits = signals.hits(text)
            if not any(h.label.startswith("human") or h.label.endswith(":clear") for h in hits):
                continue
            signal = signals.read(text)
            human_allowed = entry.id in CONTACT_ENTRIES and "questions" in keys
            for hit in _counted(hits):
                if hit.label.endswith(":clear") and signal.clear_crisis:
                    kind = hit.label.split(":")[1]
                    effect = f"a clear crisis ({kind}): the emergency numbers come instead"
                elif hit.label.startswith("human") and signal.human and not human_allowed:
                    effect = "a request for a human: the counsellor offer comes instead"
                else:
                    continue
                for phrase_source, phrase_keys in places[(hit.label, hit.phrase)]:
                    problems.append(Problem(
                        phrase_source.path, phrase_source.line(phrase_keys),
                        f"'{hit.phrase}' fires on entry '{entry.id}' ({what} '{text}', "
                        f"{source.path}:{source.line(keys)}) and reads it as {effect} of "
                        "the answer", Severity.WARNING))
    return problems


# ----- the emergency entry's questions --------------------------------------------------------


def _emergency_missed(parsed: Parsed, signals: Signals) -> list[Problem]:
    problems = []
    for source, entry in parsed.entries:
        if entry.topic != EMERGENCY_TOPIC:
            continue
        for lang, text in entry.text.items():
            for i, question in enumerate(text.questions):
                if signals.read(question).crisis is not None:
                    continue
                keys = ("text", lang, "questions", i)
                why = _why(signals, question)
                problems.append(Problem(
                    source.path, source.line(keys),
                    f"the signals do not read '{question}' as a crisis{why}; the FAQ matcher "
                    "does not search the emergency entry, so a person writing this does not get "
                    f"the emergency numbers: add a clear or unsure phrase to "
                    f"{_signals_path(parsed, lang)}"
                    f"{' (or change the phrase that cancels it)' if why else ''}",
                    Severity.WARNING))
    return problems


def _why(signals: Signals, text: str) -> str:
    """What cancelled the crisis phrases found in `text`, if any did."""
    hits = signals.hits(text)
    crisis = [h for h in hits if h.label.startswith("crisis:")]
    if not crisis:
        return ""
    counted = _counted(hits)
    if not any(h.label.startswith("crisis:") for h in counted):
        cancelling = sorted({f"'{h.phrase}'" for h in hits if h.label == "not"})
        return f" (its crisis words are inside the not phrase {', '.join(cancelling)})"
    ordinary = sorted({f"'{h.phrase}'" for h in counted if h.label == "ordinary"})
    return f" (its unsure crisis words are cancelled by the ordinary phrase {', '.join(ordinary)})"


# ----- variants the courtesy words leave empty ------------------------------------------------


def _only_courtesy(parsed: Parsed) -> list[Problem]:
    courtesy = PhraseSet(courtesy_phrases(parsed))
    return [Problem(source.path, source.line(keys),
                    f"{what} '{text}' is nothing but courtesy words (the `courtesy` lists of the "
                    "signals files): the FAQ matcher leaves them out, so it finds nothing here",
                    Severity.WARNING)
            for source, entry in parsed.entries for keys, what, text in _texts(entry)
            if (words := normalize(text).split()) and not courtesy.without(words)]
