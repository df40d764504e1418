"""Evaluation of the FAQ matcher on questions with known answers (top-1 and top-3 hit rates)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.core.matcher import Confidence, Matcher

__all__ = ["EvalCase", "EvalReport", "evaluate", "load_eval_cases"]


@dataclass(frozen=True, slots=True)
class EvalCase:
    """A question in language `lang` and the entry id it should match; None: it should match
    nothing (Confidence.NONE)."""

    text: str
    lang: str
    expect: str | None


@dataclass
class EvalReport:
    """Share of cases whose expected entry was shown first (`top1`) or among the shown (`top3`)."""

    n: int
    top1: float
    top3: float
    misses: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {"n": self.n, "top1": self.top1, "top3": self.top3, "misses": self.misses}


def evaluate(matcher: Matcher, cases: Iterable[EvalCase]) -> EvalReport:
    """Run every case through `matcher.match`, i.e. judge what the user would be shown: the one
    confident answer or up to three choices. A case expecting None is a hit when nothing is
    shown."""
    n = top1 = top3 = 0
    misses: list[dict[str, Any]] = []
    for case in cases:
        result = matcher.match(case.text, case.lang)
        got = [candidate.entry_id for candidate in result.candidates]
        if case.expect is None:
            first = shown = result.confidence is Confidence.NONE
        else:
            first = got[:1] == [case.expect]
            shown = case.expect in got
        n += 1
        top1 += first
        top3 += shown
        if not first:
            misses.append({"text": case.text, "lang": case.lang, "expect": case.expect, "got": got})
    return EvalReport(n=n, top1=top1 / n if n else 0.0, top3=top3 / n if n else 0.0, misses=misses)


def load_eval_cases(path: str | Path) -> list[EvalCase]:
    """Read a YAML list of `{text, lang, expect}` mappings; raise ValueError naming the file and
    the item index of the first malformed item."""
    path = Path(path)
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
    unknown = sorted(set(item) - {"text", "lang", "expect"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    for key in ("text", "lang"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ValueError(f"{where}: '{key}' must be a non-empty string")
    if "expect" not in item:
        raise ValueError(f"{where}: 'expect' is missing (an entry id, or null for no match)")
    expect = item["expect"]
    if expect is not None and (not isinstance(expect, str) or not expect.strip()):
        raise ValueError(f"{where}: 'expect' must be an entry id or null")
    return EvalCase(text=item["text"], lang=item["lang"], expect=expect)
