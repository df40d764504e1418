"""Leave-one-set-out: how well what Lotse learned carries to phrasing it was not taught.

Run: python bench/leave_one_out.py [--root CONTENT_ROOT] [--json]. For each retired held-out set k
of `SETS` (tests/data/heldout-2 … heldout-6) the content is read as the loader reads it, every
question variant and every crisis, human or calm example whose text (normalised) is a message of
set k is left out, the matcher and the signals are built from what is left exactly as the loader
builds them (`loader.matcher`, `Signals(signal_phrases, learned_signals)`), and set k is scored
with `lotse content eval`'s judge. The figures are the mean over the five sets, beside each set's.

What it cannot take out: the hand-written signal phrases, concepts and courtesy words, and the
code's constants, were partly read off these sets' misses (BENCHMARKS.md says which), so the
figures still flatter a set whose misses were read; a change is an improvement when it raises the
mean here, not when it raises the set it was read off.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.content.loader import learned_signals, matcher, parse_folder
from bot.core.content.model import EMERGENCY_TOPIC
from bot.core.content.parsed import Parsed
from bot.core.content.phrase_lists import signal_phrases
from bot.core.match_eval import EvalCase, evaluate, load_eval_cases
from bot.core.normalize import normalize
from bot.core.signals import Signals

REPO = Path(__file__).resolve().parent.parent
SETS = tuple(REPO / "tests" / "data" / f"heldout-{k}" for k in range(2, 7))
FIGURES = ("top1", "top3", "crisis_recall", "crisis_recall_asked", "false_alarms",
           "danger_asked", "human_recall")
"""The figures of `match_eval._figures` shown, in this order."""


def without(parsed: Parsed, texts: set[str]) -> Parsed:
    """`parsed` with every question variant and signal example whose normalised text is in
    `texts` left out (titles stay: an entry needs one)."""
    def kept(items: list[str]) -> list[str]:
        return [item for item in items if normalize(item) not in texts]

    entries = [(source, entry.model_copy(update={"text": {
        lang: text.model_copy(update={"questions": kept(text.questions)})
        for lang, text in entry.text.items()}})) for source, entry in parsed.entries]
    examples = {lang: (source, value.model_copy(update={
        "crisis": {kind: kept(items) for kind, items in value.crisis.items()},
        "human": kept(value.human), "calm": kept(value.calm)}))
        for lang, (source, value) in parsed.examples.items()}
    return replace(parsed, entries=entries, examples=examples)


def score(parsed: Parsed, cases: list[EvalCase]) -> dict[str, Any]:
    """`cases` judged by the matcher and signals built from `parsed`: the overall figures."""
    emergency = next((entry.id for _, entry in parsed.entries
                      if entry.topic == EMERGENCY_TOPIC), None)
    report = evaluate(matcher(parsed), Signals(signal_phrases(parsed), learned_signals(parsed)),
                      cases, emergency_id=emergency)
    return report.overall


def leave_one_out(root: Path) -> dict[str, Any]:
    """Each set of `SETS` scored by the content without it, and the mean of each figure."""
    parsed = parse_folder(root)
    by_set = {}
    for path in SETS:
        cases = load_eval_cases(path)
        by_set[path.name] = score(without(parsed, {normalize(c.text) for c in cases}), cases)
    mean = {figure: statistics.fmean(f[figure] for f in by_set.values()) for figure in FIGURES}
    return {"sets": by_set, "mean": mean}


def _table(result: dict[str, Any]) -> str:
    lines = ["set          " + " ".join(f"{name:>12}" for name in FIGURES)]
    for name, figures in [*result["sets"].items(), ("mean", result["mean"])]:
        lines.append(f"{name:12} " + " ".join(f"{figures[f]:12.1%}" for f in FIGURES))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = leave_one_out(args.root)
    print(json.dumps(result, indent=1) if args.json else _table(result))


if __name__ == "__main__":
    main()
