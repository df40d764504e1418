"""Evaluation of what a person is shown for a message with a known right answer.

Each case is judged the way the engine treats a free text: signals first (`bot.core.signals`), then
the FAQ matcher. `expect` names what should happen:

- an FAQ entry id: the entry should be the one answer (`top1`) or among the offered (`top3`); a
  clear crisis signal (the emergency page instead) or a request-for-a-human signal (the counsellor
  offer instead) hides it; a possible crisis (the one question "Are you in danger?") leads to the
  same answer or choices behind its "no" button;
- `null`: nothing should be shown (small talk, gibberish);
- `emergency`: a crisis; at once when the signal is clear, and `asked` when it is possible;
- `counsellor`: a request for a human; a hit when the human signal fires.

`top1`/`top3` are over all cases (a crisis counts as first when recognised at once and as shown
when at least asked about; a request for a human is either recognised or not), so that older sets
keep their meaning; the per-kind figures sit beside them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.core.matcher import Confidence, Matcher
from bot.core.signals import Signals, asks_an_ordinary_question, beside_a_human

__all__ = ["CRISIS", "HUMAN", "EvalCase", "EvalReport", "evaluate", "load_eval_cases"]

CRISIS = "emergency"
HUMAN = "counsellor"
KEYS = {"text", "lang", "expect", "tag"}
WORST_PAIRS = 10


@dataclass(frozen=True, slots=True)
class EvalCase:
    """A message in language `lang` and what it should get: an entry id, None (nothing),
    `CRISIS` or `HUMAN`; `tag` says how it was written (near-miss, transliterated, …)."""

    text: str
    lang: str
    expect: str | None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one case got: `first` (the right thing at once), `shown` (at least offered or asked),
    `alarm` (a non-crisis shown the emergency page), `asked` (a non-crisis asked about danger),
    and the entries or signal names the person saw."""

    case: EvalCase
    first: bool
    shown: bool
    alarm: bool
    asked: bool
    got: list[str]


def _rate(hits: int, n: int) -> float:
    return hits / n if n else 0.0


def _figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """top-1/top-3 over the questions, crisis recall (at once, at least asked), false alarms and
    danger questions over the non-crises, and the requests for a human recognised."""
    questions = [o for o in outcomes if o.case.expect not in (CRISIS, HUMAN)]
    crises = [o for o in outcomes if o.case.expect == CRISIS]
    humans = [o for o in outcomes if o.case.expect == HUMAN]
    calm = [o for o in outcomes if o.case.expect != CRISIS]
    near = [o for o in calm if o.case.tag == "near-miss"]
    return {
        "n": len(outcomes),
        "questions": len(questions),
        "top1": _rate(sum(o.first for o in questions), len(questions)),
        "top3": _rate(sum(o.shown for o in questions), len(questions)),
        "crises": len(crises),
        "crisis_recall": _rate(sum(o.first for o in crises), len(crises)),
        "crisis_recall_asked": _rate(sum(o.shown for o in crises), len(crises)),
        "non_crises": len(calm),
        "false_alarms": _rate(sum(o.alarm for o in calm), len(calm)),
        "danger_asked": _rate(sum(o.asked for o in calm), len(calm)),
        "near_misses": len(near),
        "near_miss_alarms": _rate(sum(o.alarm for o in near), len(near)),
        "human_requests": len(humans),
        "human_recall": _rate(sum(o.first for o in humans), len(humans)),
    }


@dataclass
class EvalReport:
    """`top1`/`top3`: share of all cases that got the right thing first / at least offered;
    `overall` and `languages`: the figures of `_figures`; `confused`: the most frequent pairs of
    (expected, shown first) among the misses."""

    n: int
    top1: float
    top3: float
    misses: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    languages: dict[str, dict[str, Any]] = field(default_factory=dict)
    confused: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (`n`, `top1`, `top3`, `misses` as ever, the rest
        beside them)."""
        return {"n": self.n, "top1": self.top1, "top3": self.top3, "misses": self.misses,
                "overall": self.overall, "languages": self.languages, "confused": self.confused}

    def to_text(self) -> str:
        """The report for a terminal: one line per language and overall, then the misses and
        the pairs confused most."""
        lines = [f"{self.n} messages: right at once {self.top1:.1%}, at least offered "
                 f"{self.top3:.1%}",
                 "lang   questions  top-1  top-3 | crises at-once  asked | calm  alarm  asked"
                 " | human recall"]
        for lang, f in [*self.languages.items(), ("all", self.overall)]:
            lines.append(
                f"{lang:6} {f['questions']:9} {_pct(f['top1'], f['questions'])} "
                f"{_pct(f['top3'], f['questions'])} | {f['crises']:6} "
                f"{_pct(f['crisis_recall'], f['crises'])} "
                f"{_pct(f['crisis_recall_asked'], f['crises'])} | {f['non_crises']:4} "
                f"{_pct(f['false_alarms'], f['non_crises'])} "
                f"{_pct(f['danger_asked'], f['non_crises'])} | {f['human_requests']:5} "
                f"{_pct(f['human_recall'], f['human_requests'])}")
        lines += [f"  miss [{m['lang']}] {m['text']!r}: expected {m['expect']}, "
                  f"got {', '.join(m['got']) or 'nothing'}" for m in self.misses]
        lines += [f"  confused {p['count']}x: {p['expect']} -> {p['got'] or 'nothing'}"
                  for p in self.confused]
        return "\n".join(lines)


def _pct(value: float, n: int) -> str:
    return f"{value:6.1%}" if n else "     -"


def judge(matcher: Matcher, signals: Signals, case: EvalCase, emergency_id: str | None
          ) -> Outcome:
    """What the person who wrote `case.text` is shown, against what they should get (outside a
    case: a clear crisis in a text that also asks an ordinary question is asked about)."""
    signal = signals.read(case.text)
    if signal.clear_crisis and asks_an_ordinary_question(matcher, signals, case.text, case.lang,
                                                         emergency_id):
        signal = replace(signal, certain=False)
    if case.expect == CRISIS:
        got = [signal.crisis.value] if signal.crisis else []
        return Outcome(case, signal.clear_crisis, signal.crisis is not None, False, False, got)
    if case.expect == HUMAN:
        return Outcome(case, signal.human, signal.human, signal.clear_crisis,
                       signal.possible_crisis, [HUMAN] if signal.human else [])
    if signal.clear_crisis:
        return Outcome(case, False, False, True, False, [CRISIS])
    if signal.human:  # the counsellor offer, after the answer or answers to a question beside it
        beside = beside_a_human(matcher, signals, case.text, case.lang, signal.vague)
        if beside is None or case.expect is None:
            return Outcome(case, False, False, False, signal.possible_crisis, [HUMAN])
        offered = 1 if beside.confidence is Confidence.CONFIDENT else 3
        answers = [candidate.entry_id for candidate in beside.candidates[:offered]]
        return Outcome(case, answers[:1] == [case.expect], case.expect in answers, False,
                       signal.possible_crisis, answers)
    result = matcher.match(case.text, case.lang)
    got = [candidate.entry_id for candidate in result.candidates]  # ("No, I am safe" leads on)
    if case.expect is None:
        first = shown = not got and result.confidence is Confidence.NONE
    else:
        first, shown = got[:1] == [case.expect], case.expect in got
    return Outcome(case, first, shown, False, signal.possible_crisis, got)


def evaluate(matcher: Matcher, signals: Signals, cases: Iterable[EvalCase], *,
             emergency_id: str | None) -> EvalReport:
    """Judge every case (see the module docstring) and sum up, overall and per language;
    `emergency_id` is the content's emergency entry."""
    outcomes = [judge(matcher, signals, case, emergency_id) for case in cases]
    by_lang: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_lang[outcome.case.lang].append(outcome)
    missed = [o for o in outcomes if not o.first]
    pairs = Counter((o.case.expect, o.got[0] if o.got else None) for o in missed)
    n = len(outcomes)
    return EvalReport(
        n=n,
        top1=_rate(sum(o.first for o in outcomes), n),
        top3=_rate(sum(o.shown for o in outcomes), n),
        misses=[{"text": o.case.text, "lang": o.case.lang, "expect": o.case.expect, "got": o.got}
                for o in missed],
        overall=_figures(outcomes) if outcomes else {},
        languages={lang: _figures(items) for lang, items in sorted(by_lang.items())},
        confused=[{"expect": expect, "got": got, "count": count}
                  for (expect, got), count in pairs.most_common(WORST_PAIRS)],
    )


def load_eval_cases(path: str | Path) -> list[EvalCase]:
    """Read a YAML list of `{text, lang, expect[, tag]}` mappings, or every `*.yaml` file of a
    folder in name order; raise ValueError naming the file and the item index of the first
    malformed item."""
    path = Path(path)
    if path.is_dir():
        return [case for file in sorted(path.glob("*.yaml")) for case in load_eval_cases(file)]
    try:
        items = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of {{text, lang, expect}} items")
    return [_parse_case(path, index, item) for index, item in enumerate(items)]


def _parse_case(path: Path, index: int, item: object) -> EvalCase:
    """One YAML item as an EvalCase, or a ValueError saying what is wrong with item `index`."""
    where = f"{path}: item {index}"
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected a mapping with text, lang and expect")
    unknown = sorted(set(item) - KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    for key in ("text", "lang"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ValueError(f"{where}: '{key}' must be a non-empty string")
    if "expect" not in item:
        raise ValueError(f"{where}: 'expect' is missing (an entry id, {CRISIS}, {HUMAN}, "
                         "or null for no match)")
    expect, tag = item["expect"], item.get("tag")
    if expect is not None and (not isinstance(expect, str) or not expect.strip()):
        raise ValueError(f"{where}: 'expect' must be an entry id, {CRISIS}, {HUMAN} or null")
    if tag is not None and (not isinstance(tag, str) or not tag.strip()):
        raise ValueError(f"{where}: 'tag' must be a word such as near-miss")
    return EvalCase(text=item["text"], lang=item["lang"], expect=expect, tag=tag)
